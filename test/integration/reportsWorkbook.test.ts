import { readFileSync } from 'node:fs';

import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { describeImportProblem, importSources } from '../../src/import/importer.js';
import type { ChainReportQuery } from '../../src/graphql/generated/operations.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph, linearSegments } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The chain report as a workbook and as CSV (issue 16): GET /reports/chain.xlsx and /reports/chain.csv run the
 * saved ChainReport operation through the /graphql pipeline, so every figure must equal what POST /graphql answers
 * for the same arguments, contact details follow the access rules, and a client's mistake is a 400 naming it.
 */

const prefix = uniquePrefix('reports');
const VIEWER_KEY = 'viewer-key-for-report-tests';
const API_KEYS = `reports-viewer:viewer:${hashKey(VIEWER_KEY)}`;
const CHAIN_REPORT = readFileSync(new URL('../../queries/chain-report.graphql', import.meta.url), 'utf8');
const SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'];
const SHEETS = ['缺口 Gaps', '目标企业 Targets', '地区对比 Comparison', '说明 About'];
const CONTACT = {
  website: `https://${prefix}-far1.example.com`,
  phone: '0311-55509911',
  email: `invest@${prefix}-far1.example.com`,
  address: `${prefix} 示例路9号（示例地址）`,
  person: `${prefix} 示例联系人`,
};
const CONTACT_HEADERS = ['网站 Website', '电话 Phone', '邮箱 Email', '地址 Address', '联系人 Contact person'];

type Data = ChainReportQuery;

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; disposition: string | null; body: Buffer }> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    disposition: response.headers.get('content-disposition'),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

async function openWorkbook(body: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(body as unknown as ArrayBuffer);
  return workbook;
}

/** A sheet's rows as arrays of cell values (row 1 the header), empty cells null. */
function rowsOf(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  const width = sheet.getRow(1).cellCount;
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: unknown[] = [];
    for (let column = 1; column <= width; column += 1) {
      const value = row.getCell(column).value;
      cells.push(value === undefined ? null : value);
    }
    rows.push(cells);
  });
  return rows;
}

function records(rows: unknown[][]): Record<string, unknown>[] {
  const [header = [], ...body] = rows;
  return body.map((row) => Object.fromEntries(header.map((name, index) => [String(name), row[index]])));
}

describe('the chain report workbook and CSV', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  let query: string;
  let graphqlAnswer: Data;

  beforeAll(async () => {
    database = await openTestDatabase();
    // city holds a (upstream, leading) and b (midstream); far1 and far2 hold firms in the downstream segment the
    // city lacks, so both are target firms; peer holds p, in the city's segments. All are demo firms: only they may carry contact details.
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'city', lat: 38.0, lon: 114.5 },
        { id: 'peer', lat: 39.0, lon: 117.0 },
        { id: 'far1', lat: 39.1, lon: 117.2 },
        { id: 'far2', lat: 31.2, lon: 121.4 },
      ],
      chain: 'chain',
      segments: linearSegments(),
      firms: [
        { id: 'a', region: 'city', segments: ['up'], leading: true, source: 'ILLUSTRATIVE' },
        { id: 'b', region: 'city', segments: ['mid'], source: 'ILLUSTRATIVE' },
        { id: 'p', region: 'peer', segments: ['up', 'mid'], source: 'ILLUSTRATIVE' },
        { id: 'x', region: 'far1', segments: ['down'], sizeBand: 'LARGE', source: 'ILLUSTRATIVE' },
        { id: 'y', region: 'far2', segments: ['down'], sizeBand: 'SMALL', source: 'ILLUSTRATIVE' },
      ],
    });
    const imported = await importSources(
      database.executor,
      [
        {
          name: 'contacts.csv',
          format: 'csv',
          kind: 'enterprises',
          content: [
            '企业编号,企业名称,所在地区,企业规模,官网,联系电话,邮箱,地址,联系人,来源',
            `${graph.id('x')},${prefix} x,${graph.id('far1')},大型,${CONTACT.website},${CONTACT.phone},${CONTACT.email},${CONTACT.address},${CONTACT.person},ILLUSTRATIVE`,
          ].join('\n'),
        },
      ],
      { acceptValid: false },
    );
    expect(imported.problems.map(describeImportProblem)).toEqual([]);
    // A generous deadline: the first targetFirms after the writes folds them into the aggregates, and these
    // machines run several suites at once (the deadline is not what this file tests).
    server = await serveTestApp(database.executor, { API_KEYS, REQUEST_TIMEOUT_MS: '180000' });
    query = new URLSearchParams({
      chainId: graph.id('chain'),
      regionId: graph.id('city'),
      sources: SOURCES.join(','),
      compareWith: graph.id('peer'),
    }).toString();
    const answer = await postGraphQL<Data>(
      server.url,
      {
        query: CHAIN_REPORT,
        operationName: 'ChainReport',
        variables: {
          chainId: graph.id('chain'),
          regionId: graph.id('city'),
          sources: SOURCES,
          compareRegionIds: [graph.id('city'), graph.id('peer')],
          withContact: true,
        },
      },
      { 'x-api-key': VIEWER_KEY },
    );
    expect(answer.body.errors).toBeUndefined();
    graphqlAnswer = answer.body.data as Data;
  });
  afterAll(async () => {
    await server?.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('has the four sheets, bold frozen headers, and figures equal to the GraphQL answer', async () => {
    const response = await get(`${server.url}/reports/chain.xlsx?${query}`, { 'x-api-key': VIEWER_KEY });
    expect(response.status).toBe(200);
    expect(response.type).toContain('spreadsheetml');
    expect(response.disposition).toContain(`chain-report-${graph.id('chain')}-${graph.id('city')}.xlsx`);
    const workbook = await openWorkbook(response.body);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(SHEETS);
    for (const sheet of workbook.worksheets) {
      expect(sheet.getRow(1).font?.bold, `${sheet.name}'s header is bold`).toBe(true);
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    }

    // Gaps: one row per segment, in the answer's order, every figure a number equal to the answer's.
    const gaps = records(rowsOf(workbook.getWorksheet('缺口 Gaps')!));
    const answerGaps = graphqlAnswer.chainGaps.gaps;
    expect(gaps.map((row) => row['环节编号 Segment id'])).toEqual(answerGaps.map((gap) => gap.segment.id));
    const down = answerGaps.find((gap) => gap.segment.id === graph.id('down'))!;
    const downRow = gaps.find((row) => row['环节编号 Segment id'] === graph.id('down'))!;
    expect(down.localEnterpriseCount).toBe(0);
    expect(downRow).toMatchObject({
      '环节 Segment': down.segment.name,
      '阶段 Stage': 'DOWNSTREAM',
      '状态 Status': down.status,
      '优先度 Priority': down.priority,
      '缺口分 Score': down.score,
      '关键度 Criticality': down.criticality,
      '本地企业 Local firms': 0,
      '平台 Platforms': down.platformCount,
      '原因 Reasons (中文)': down.reasons.map((reason) => reason.textZh).join('\n'),
      'Reasons (English)': down.reasons.map((reason) => reason.text).join('\n'),
      '数据来源 Sources': 'PLAN, PUBLIC, ILLUSTRATIVE',
      '数据完整性 Completeness': graphqlAnswer.chainGaps.basis.completeness,
      '示例占比 Illustrative share': graphqlAnswer.chainGaps.basis.illustrativeShare,
    });
    expect(typeof downRow['缺口分 Score']).toBe('number');
    const upRow = gaps.find((row) => row['环节编号 Segment id'] === graph.id('up'))!;
    expect(upRow['本地企业 Local firms']).toBe(1);
    expect(upRow['龙头 Leading']).toBe(1);

    // Targets: the firms of far1 and far2 (and the peer's, for the city's thin segments), ranked as the answer
    // ranks them, with every factor.
    const targets = records(rowsOf(workbook.getWorksheet('目标企业 Targets')!));
    const recommendations = graphqlAnswer.targetFirms.recommendations;
    expect(recommendations.map((r) => r.enterprise.id)).toEqual(
      expect.arrayContaining([graph.id('x'), graph.id('y')]),
    );
    expect(targets.map((row) => row['企业编号 Enterprise id'])).toEqual(
      recommendations.map((r) => r.enterprise.id),
    );
    const x = recommendations.find((r) => r.enterprise.id === graph.id('x'))!;
    const xRow = targets.find((row) => row['企业编号 Enterprise id'] === graph.id('x'))!;
    expect(xRow).toMatchObject({
      '排名 Rank': recommendations.indexOf(x) + 1,
      '企业 Enterprise': x.enterprise.name,
      '规模 Size': 'LARGE',
      '所在地区 Region': `${prefix} far1`,
      '总分 Score': x.score,
      '距离 Distance (km)': x.distanceKm,
      '填补环节 Fills': `${prefix} down (${down.status})`,
    });
    const fit = x.factors.find((factor) => factor.name === 'FIT')!;
    expect(xRow['契合 Fit 值 value']).toBe(fit.value);
    expect(xRow['契合 Fit 权重 weight']).toBe(fit.weight);
    expect(xRow['契合 Fit 说明 why']).toBe(fit.explanation);
    expect(x.factors).toHaveLength(5);
    expect(xRow['网站 Website']).toBe(CONTACT.website);
    expect(xRow['联系人 Contact person']).toBe(CONTACT.person);

    // Comparison: each segment's status and firm count in the city and the peer region.
    const comparison = records(rowsOf(workbook.getWorksheet('地区对比 Comparison')!));
    const compared = graphqlAnswer.compareRegions!;
    expect(compared.regions.map((coverage) => coverage.region.id)).toEqual([
      graph.id('city'),
      graph.id('peer'),
    ]);
    const midRow = comparison.find((row) => row['环节编号 Segment id'] === graph.id('mid'))!;
    const mid = compared.segments.find((segment) => segment.segment.id === graph.id('mid'))!;
    const peerMid = mid.byRegion.find((entry) => entry.region.id === graph.id('peer'))!;
    expect(midRow[`${prefix} peer 状态 status`]).toBe(peerMid.status);
    expect(midRow[`${prefix} peer 本地企业 local firms`]).toBe(1);
    expect(midRow[`${prefix} city 本地企业 local firms`]).toBe(1);

    // About: the basis, and the totals as numbers.
    const about = records(rowsOf(workbook.getWorksheet('说明 About')!));
    const value = (item: string) => about.find((row) => row['项目 Item'] === item)?.['值 Value'];
    expect(value('数据来源 Sources')).toBe('PLAN, PUBLIC, ILLUSTRATIVE');
    expect(value('截至 As of')).toBe(graphqlAnswer.chainGaps.basis.asOf);
    expect(value('示例占比 Illustrative share')).toBe(graphqlAnswer.chainGaps.basis.illustrativeShare);
    expect(value('环节数 Segments')).toBe(3);
    expect(value('覆盖占比 Covered ratio')).toBe(graphqlAnswer.chainGaps.total.coveredRatio);
    expect(value('联系方式 Contact details')).toBe('已包含 included');
  });

  it('gives each sheet as CSV that parses back to the workbook rows', async () => {
    const workbook = await openWorkbook(
      (await get(`${server.url}/reports/chain.xlsx?${query}`, { 'x-api-key': VIEWER_KEY })).body,
    );
    for (const [sheet, title] of [
      ['gaps', '缺口 Gaps'],
      ['targets', '目标企业 Targets'],
      ['comparison', '地区对比 Comparison'],
    ] as const) {
      const response = await get(`${server.url}/reports/chain.csv?${query}&sheet=${sheet}`, {
        'x-api-key': VIEWER_KEY,
      });
      expect(response.status).toBe(200);
      expect(response.type).toContain('text/csv');
      expect(response.disposition).toContain(`-${sheet}.csv`);
      const parsed: string[][] = parse(response.body.toString('utf8'), { bom: true });
      // CSV holds text: the workbook's cells compared as the text CSV writes for them.
      const expected = rowsOf(workbook.getWorksheet(title)!).map((row) =>
        row.map((cell) => (cell === null ? '' : String(cell as string | number | boolean))),
      );
      expect(parsed, sheet).toEqual(expected);
      expect(parsed.length, `${sheet} has rows`).toBeGreaterThan(1);
    }
  });

  it('leaves every contact cell empty for an anonymous caller, and fills them for a viewer', async () => {
    const anonymous = await get(`${server.url}/reports/chain.xlsx?${query}`);
    expect(anonymous.status).toBe(200);
    const workbook = await openWorkbook(anonymous.body);
    const targets = records(rowsOf(workbook.getWorksheet('目标企业 Targets')!));
    expect(targets.length).toBe(graphqlAnswer.targetFirms.recommendations.length);
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const row of targets) {
      for (const header of CONTACT_HEADERS) expect(row[header], header).toBeNull();
    }
    // No contact value anywhere in the file, nor in the CSV.
    for (const sheet of workbook.worksheets) {
      const text = JSON.stringify(rowsOf(sheet));
      for (const value of Object.values(CONTACT)) expect(text).not.toContain(value);
    }
    const csv = await get(`${server.url}/reports/chain.csv?${query}&sheet=targets`);
    for (const value of Object.values(CONTACT)) expect(csv.body.toString('utf8')).not.toContain(value);
    const about = records(rowsOf(workbook.getWorksheet('说明 About')!));
    expect(about.find((row) => row['项目 Item'] === '联系方式 Contact details')?.['值 Value']).toBe(
      '未包含 not included',
    );

    // The saved operation itself, asked anonymously for the contacts, is refused them at each `contact`.
    const asked = await postGraphQL(server.url, {
      query: CHAIN_REPORT,
      variables: {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
        sources: SOURCES,
        withComparison: false,
        withContact: true,
      },
    });
    expect(asked.body.errors?.length).toBeGreaterThan(0);
    for (const error of asked.body.errors ?? []) {
      expect(error.extensions.code).toBe('UNAUTHENTICATED');
      expect(error.path?.at(-1)).toBe('contact');
    }
    for (const value of Object.values(CONTACT)) expect(asked.text).not.toContain(value);

    const viewer = await openWorkbook(
      (await get(`${server.url}/reports/chain.xlsx?${query}`, { 'x-api-key': VIEWER_KEY })).body,
    );
    const viewerTargets = records(rowsOf(viewer.getWorksheet('目标企业 Targets')!));
    const x = viewerTargets.find((row) => row['企业编号 Enterprise id'] === graph.id('x'))!;
    expect(CONTACT_HEADERS.map((header) => x[header])).toEqual([
      CONTACT.website,
      CONTACT.phone,
      CONTACT.email,
      CONTACT.address,
      CONTACT.person,
    ]);
  });

  it('refuses a credential the /graphql endpoint refuses', async () => {
    const response = await get(`${server.url}/reports/chain.xlsx?${query}`, { 'x-api-key': 'not-a-key' });
    expect(response.status).toBe(401);
    const body = JSON.parse(response.body.toString('utf8')) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['an unknown chainId', { chainId: `${prefix}-no-such-chain` }, `${prefix}-no-such-chain`],
    ['an unknown regionId', { regionId: `${prefix}-no-such-region` }, `${prefix}-no-such-region`],
    ['a bad source', { sources: 'PLAN,RUMOUR' }, 'RUMOUR'],
    ['a missing chainId', { chainId: '' }, 'chainId'],
    ['an unknown sheet', { sheet: 'everything' }, 'sheet'],
  ])('answers %s with a 400 naming it', async (_case, change, named) => {
    const parameters = new URLSearchParams(query);
    for (const [name, value] of Object.entries(change)) parameters.set(name, value);
    for (const endpoint of ['chain.xlsx', 'chain.csv', 'chain']) {
      if (endpoint !== 'chain.csv' && 'sheet' in change) continue;
      if (endpoint === 'chain.csv' && !parameters.has('sheet')) parameters.set('sheet', 'gaps');
      const response = await get(`${server.url}/reports/${endpoint}?${parameters.toString()}`);
      expect(response.status, endpoint).toBe(400);
      const body = JSON.parse(response.body.toString('utf8')) as {
        errors: { message: string; extensions: { code: string } }[];
      };
      expect(body.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0]?.message).toContain(named);
    }
  });
});
