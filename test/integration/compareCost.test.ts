import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import type { CypherQuery } from '../../src/data/cypher.js';
import {
  deleteByPrefix,
  openTestDatabase,
  profiled,
  uniquePrefix,
  type TestDatabase,
} from '../support/database.js';
import { createTestGraph, type TestGraph, type TestGraphSpec } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 12 (compareRegions cost): compareRegions assesses each region once and answers from the same per-request
 * assessments (and the same per-process caches) as chainGaps. Whatever it shares or caches must give, field for
 * field, what a fresh chainGaps of each region gives — also right after writes that change one region's counts or the
 * chain's shape, so that nothing it keeps can be stale.
 *
 * Nation `n` with `a` (CENSUS, district `a1` under it), `b` (CENSUS, district `b1`) and `c` (declares nothing:
 * PARTIAL).
 * Chain: up → mid → down, `sub` narrower than mid, `svc` a SERVICE segment.
 *   a:  A1 up (leading), A2 up, A3 mid, A4 sub (high-tech, in a1), A5 down, A6 svc; A1 → A3, X1 → A3 (outside)
 *   b:  B1 up, B2 mid (leading), B3 mid; B1 → B2
 *   c:  C1 down
 *   x:  X1 up (a region outside the nation's children compared)
 * Platform P1 in a supports mid.
 */
const EDITOR_KEY = 'editor-key-for-the-compare-cost-test';
const SETTINGS = {
  API_KEYS: `ed:editor:${hashKey(EDITOR_KEY)}`,
  // The first report may wait for the first build of the aggregates over the whole seed on a busy machine.
  REQUEST_TIMEOUT_MS: '300000',
  ADMISSION_MAX_WAIT_MS: '60000',
};
const SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'];

const SUMMARY = 'segments covered weak dependent missing unknown presenceRatio coveredRatio coverageRatio';
const BASIS = 'sources completeness illustrativeShare asOf current pendingChanges';

const COMPARE = `query ($chainId: ID!, $regionIds: [ID!]!, $sources: [ProvenanceSource!]) {
  compareRegions(chainId: $chainId, regionIds: $regionIds, sources: $sources) {
    chain { id name }
    regions { region { id name } stages { stage summary { ${SUMMARY} } } total { ${SUMMARY} } basis { ${BASIS} } }
    segments { segment { id name stage } byRegion { region { id } status localEnterpriseCount } }
    comparable comparabilityNote
    basis { ${BASIS} }
  }
}`;

const GAPS = `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
  chainGaps(chainId: $chainId, regionId: $regionId, sources: $sources) {
    region { id name }
    gaps { segment { id name stage } status localEnterpriseCount }
    stages { stage summary { ${SUMMARY} } }
    total { ${SUMMARY} }
    basis { ${BASIS} }
  }
}`;

const SPEC: TestGraphSpec = {
  regions: [
    { id: 'n' },
    { id: 'a', parent: 'n', completeness: 'CENSUS' },
    { id: 'a1', parent: 'a' },
    { id: 'b', parent: 'n', completeness: 'CENSUS' },
    { id: 'b1', parent: 'b' },
    { id: 'c', parent: 'n' },
    { id: 'x', parent: 'n' },
  ],
  chain: 'chain',
  segments: [
    { id: 'up', stage: 'UPSTREAM', feeds: ['mid'] },
    { id: 'mid', stage: 'MIDSTREAM', feeds: ['down'] },
    { id: 'sub', stage: 'MIDSTREAM', parent: 'mid' },
    { id: 'down', stage: 'DOWNSTREAM' },
    { id: 'svc', stage: 'DOWNSTREAM', kind: 'SERVICE' },
  ],
  firms: [
    { id: 'A1', region: 'a', segments: ['up'], supplies: ['A3'], leading: true },
    { id: 'A2', region: 'a', segments: ['up'] },
    { id: 'A3', region: 'a', segments: ['mid'] },
    { id: 'A4', region: 'a1', segments: ['sub'], highTech: true },
    { id: 'A5', region: 'a', segments: ['down'] },
    { id: 'A6', region: 'a', segments: ['svc'] },
    { id: 'B1', region: 'b', segments: ['up'], supplies: ['B2'] },
    { id: 'B2', region: 'b', segments: ['mid'], leading: true },
    { id: 'B3', region: 'b', segments: ['mid'] },
    { id: 'C1', region: 'c', segments: ['down'] },
    { id: 'X1', region: 'x', segments: ['up'], supplies: ['A3'] },
  ],
  platforms: [{ id: 'P1', region: 'a', supports: ['mid'] }],
};

interface Summary {
  segments: number;
  [key: string]: unknown;
}
interface Basis {
  asOf: string;
  [key: string]: unknown;
}
interface GapReport {
  region: { id: string; name: string };
  gaps: {
    segment: { id: string; name: string; stage: string };
    status: string;
    localEnterpriseCount: number;
  }[];
  stages: { stage: string; summary: Summary }[];
  total: Summary;
  basis: Basis;
}
interface Comparison {
  chain: { id: string; name: string };
  regions: {
    region: { id: string; name: string };
    stages: GapReport['stages'];
    total: Summary;
    basis: Basis;
  }[];
  segments: {
    segment: { id: string; name: string; stage: string };
    byRegion: { region: { id: string }; status: string; localEnterpriseCount: number }[];
  }[];
  comparable: boolean;
  comparabilityNote: string | null;
  basis: Basis;
}

describe('compareRegions answers what chainGaps answers, region by region (issue 12)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  const prefix = uniquePrefix('cmpcost');
  /** The statements the app sent, recorded through its executor. */
  let statements: { operation: string; query: CypherQuery }[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    const observed = database.executor.forRequest('compare-cost', (event) => {
      statements.push({ operation: event.operation, query: event.query });
    });
    server = await serveTestApp(observed, SETTINGS);
    graph = await createTestGraph(database.executor, prefix, SPEC);
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  const regions = () => ['a', 'b', 'c'].map((local) => graph.id(local));

  async function compare(regionIds: readonly string[]): Promise<Comparison> {
    const response = await postGraphQL<{ compareRegions: Comparison }>(server.url, {
      query: COMPARE,
      variables: { chainId: graph.id('chain'), regionIds, sources: SOURCES },
    });
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.compareRegions;
  }

  async function gaps(regionId: string): Promise<GapReport> {
    const response = await postGraphQL<{ chainGaps: GapReport }>(server.url, {
      query: GAPS,
      variables: { chainId: graph.id('chain'), regionId, sources: SOURCES },
    });
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.chainGaps;
  }

  async function importRows(kind: string, lines: readonly string[]): Promise<void> {
    const response = await postGraphQL<{ importRecords: { written: boolean; problems: unknown[] } }>(
      server.url,
      {
        query: `mutation ($kind: ImportKind!, $content: String!) {
          importRecords(kind: $kind, format: CSV, content: $content, defaultSource: ILLUSTRATIVE) {
            written problems { line column reason }
          }
        }`,
        variables: { kind, content: lines.join('\n') },
      },
      { authorization: `Bearer ${EDITOR_KEY}` },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.importRecords).toEqual({ written: true, problems: [] });
  }

  /**
   * Every field of the comparison against the fresh chainGaps report of each region: the coverage per stage and in
   * total, the basis, each segment's status and count per region, the segments (those of the reports), their order
   * (the first region's report order, worst first) and the overall basis. Returns the reports.
   */
  async function expectComparisonEqualsReports(regionIds: readonly string[]): Promise<GapReport[]> {
    // Asked twice in a row: the second answer comes from whatever the first one left cached.
    const first = await compare(regionIds);
    const comparison = await compare(regionIds);
    expect(comparison).toEqual(first);
    const reports: GapReport[] = [];
    for (const regionId of regionIds) reports.push(await gaps(regionId));
    expect(comparison.chain.id).toBe(graph.id('chain'));
    expect(comparison.regions.map((entry) => entry.region)).toEqual(reports.map((report) => report.region));
    comparison.regions.forEach((entry, index) => {
      const report = reports[index]!;
      expect(entry.stages).toEqual(report.stages);
      expect(entry.total).toEqual(report.total);
      expect(entry.basis).toEqual(report.basis);
    });
    expect(comparison.segments.map((entry) => entry.segment)).toEqual(
      reports[0]!.gaps.map((gap) => gap.segment),
    );
    for (const entry of comparison.segments) {
      expect(entry.byRegion).toEqual(
        reports.map((report) => {
          const gap = report.gaps.find((candidate) => candidate.segment.id === entry.segment.id)!;
          return {
            region: { id: report.region.id },
            status: gap.status,
            localEnterpriseCount: gap.localEnterpriseCount,
          };
        }),
      );
    }
    expect(comparison.basis.asOf).toBe(reports[0]!.basis.asOf);
    return reports;
  }

  it('equals the chainGaps answer of each region, field for field', async () => {
    const reports = await expectComparisonEqualsReports(regions());
    // The graph gives the comparison something to compare: the regions differ.
    expect(new Set(reports.map((report) => JSON.stringify(report.total))).size).toBe(3);
    const statuses = reports.flatMap((report) => report.gaps.map((gap) => gap.status));
    expect(statuses).toEqual(expect.arrayContaining(['MISSING', 'UNKNOWN', 'DEPENDENT']));
    // In another order of the regions, each region's entries are the same (nothing is carried from one to the next).
    const reversed = await compare([...regions()].reverse());
    const forward = await compare(regions());
    expect(reversed.regions).toEqual([...forward.regions].reverse());
  });

  it('changes, after a write to one region, exactly as a fresh chainGaps of that region does', async () => {
    const before = await compare(regions());
    const beforeReports = await Promise.all(regions().map((regionId) => gaps(regionId)));
    // Two more firms of `down` in b (one leading), one of them supplied from b: only b's counts change.
    await importRows('ENTERPRISES', [
      'id,name,regionId,sizeBand,leading,source,note',
      `${graph.id('b4')},${prefix} 乙四,${graph.id('b')},SMALL,true,ILLUSTRATIVE,compare cost`,
      `${graph.id('b5')},${prefix} 乙五,${graph.id('b')},SMALL,false,ILLUSTRATIVE,compare cost`,
    ]);
    await importRows('SEGMENT_LINKS', [
      'enterpriseId,segmentId,role,source,note',
      `${graph.id('b4')},${graph.id('down')},CORE,ILLUSTRATIVE,compare cost`,
      `${graph.id('b5')},${graph.id('down')},CORE,ILLUSTRATIVE,compare cost`,
    ]);
    const afterReports = await expectComparisonEqualsReports(regions());
    const after = await compare(regions());
    const downIn = (comparison: Comparison) =>
      comparison.segments.find((entry) => entry.segment.id === graph.id('down'))!.byRegion;
    expect(downIn(before)[1]!.localEnterpriseCount).toBe(0);
    expect(downIn(after)[1]!.localEnterpriseCount).toBe(2);
    // b's report changed; a's and c's did not (their coverage is what it was).
    expect(afterReports[1]!.total).not.toEqual(beforeReports[1]!.total);
    expect(after.regions[1]!.total).not.toEqual(before.regions[1]!.total);
    expect(after.regions[0]!.total).toEqual(before.regions[0]!.total);
    expect(after.regions[2]!.total).toEqual(before.regions[2]!.total);
    expect(after.basis.asOf >= before.basis.asOf).toBe(true);
  });

  it("follows a change of the chain's shape (a new segment) as chainGaps does", async () => {
    const before = await compare(regions());
    // A new segment of the chain, narrower than up, and a firm of c in it, written as the seed loader writes (the
    // upsert of a segment moves the structure version, so cached structures are read again).
    await createTestGraph(database.executor, prefix, {
      ...SPEC,
      segments: [...SPEC.segments, { id: 'up2', stage: 'UPSTREAM', parent: 'up' }],
      firms: [...SPEC.firms, { id: 'C2', region: 'c', segments: ['up2'] }],
    });
    await expectComparisonEqualsReports(regions());
    const after = await compare(regions());
    expect(after.segments).toHaveLength(before.segments.length + 1);
    const up2 = after.segments.find((entry) => entry.segment.id === graph.id('up2'))!;
    expect(up2.byRegion.map((entry) => entry.localEnterpriseCount)).toEqual([0, 0, 1]);
  });
  /** The db hits of a statement, summed over its plan, and the labels of the nodes its operators touched. */
  async function profile(query: CypherQuery): Promise<{ dbHits: number; operators: string[] }> {
    const { operators } = await profiled(database, query);
    return {
      dbHits: operators.reduce((sum, operator) => sum + Number(operator.dbHits), 0),
      // The operators that produced rows from an Enterprise pattern (none may: the reports read aggregates).
      operators: operators
        .filter(
          (operator) =>
            Number(operator.rows) > 0 &&
            /Enterprise\b/.test((operator.arguments['Details'] as string | undefined) ?? ''),
        )
        .map(
          (operator) =>
            `${operator.operatorType} ${(operator.arguments['Details'] as string | undefined) ?? ''}`,
        ),
    };
  }

  /** The one statement a settled, cached compareRegions or chainGaps request sends. */
  async function factStatement(run: () => Promise<unknown>): Promise<CypherQuery> {
    await run(); // folds in pending writes and caches the structure
    statements = [];
    await run();
    expect(statements.map((statement) => statement.operation)).toEqual(['gap-facts']);
    return statements[0]!.query;
  }

  it('reads the same number of db hits however many firms the regions hold (aggregates only)', async () => {
    const compareStatement = () => factStatement(() => compare(regions()));
    const gapsStatement = () => factStatement(() => gaps(graph.id('b')));
    const before = {
      compare: await profile(await compareStatement()),
      gaps: await profile(await gapsStatement()),
    };
    // Forty more firms in b and a (their districts b1 and a1), with supply links, written as the seed loader writes.
    // In districts: the statement walks up the region tree from each region it is asked about, and a node with fewer
    // than 50 relationships (Neo4j's dense-node threshold) stores all of them in one chain, so firms located at the
    // region node itself would add a db hit each up to that threshold (on the province store every city is dense:
    // 277 db hits for chainGaps in a city of 71,607 firms as in one of 19,561).
    const more = Array.from({ length: 40 }, (_, index) => ({
      id: `M${index}`,
      region: index % 2 === 0 ? 'b1' : 'a1',
      segments: [index % 3 === 0 ? 'up' : 'mid'],
      supplies: index % 3 === 0 ? ['B2'] : [],
      leading: index % 5 === 0,
    }));
    await createTestGraph(database.executor, prefix, { ...SPEC, firms: [...SPEC.firms, ...more] });
    const after = {
      compare: await profile(await compareStatement()),
      gaps: await profile(await gapsStatement()),
    };
    process.stdout.write(
      `db hits of the fact statement: compareRegions (3 regions) ${before.compare.dbHits} -> ${after.compare.dbHits}, chainGaps ${before.gaps.dbHits} -> ${after.gaps.dbHits} with 40 more firms\n`,
    );
    expect(before.compare.dbHits).toBeGreaterThan(0);
    expect(after.compare.dbHits).toBe(before.compare.dbHits);
    expect(after.gaps.dbHits).toBe(before.gaps.dbHits);
    expect([...before.compare.operators, ...after.compare.operators, ...after.gaps.operators]).toEqual([]);
    // And the answers moved with the firms (the statements did read the new counts).
    await expectComparisonEqualsReports(regions());
  });
});
