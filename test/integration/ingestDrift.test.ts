import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { creditCodeCheckCharacter } from '../../src/ingest/creditCode.js';
import type { Problem } from '../../src/ingest/problem.js';
import { loadSeeds } from '../../src/seed/load.js';
import { readSeedDirectory, SeedValidationError } from '../../src/seed/validate.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 13: seeds and imports are one write model. The same facts given as seed records and as import rows (through
 * the importRecords mutation over HTTP) produce the same nodes and relationships, and the same bad value gets the
 * same problem text from both. On the old code the seed loader took a credit code with a wrong check character, an
 * import could not give a term's English text (it copied the Chinese into textEn) nor a policy's English title, and
 * seed and import ids were checked with different words.
 */

const EDITOR_KEY = 'editor-key-for-ingest-drift';
const IMPORT = `mutation ($kind: ImportKind!, $content: String!) {
  importRecords(kind: $kind, format: CSV, content: $content) { written problems { line column reason } }
}`;

/** A valid unified social credit code, distinct per call. */
let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185MA${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

interface ImportAnswer {
  importRecords: { written: boolean; problems: { line: number; column: string; reason: string }[] };
}

describe('one write model: seeds and imports', () => {
  let database: TestDatabase;
  let server: TestServer;
  let workDir: string;
  const prefix = uniquePrefix('drift');
  const id = (local: string) => `${prefix}-${local}`;
  const [seedCode, importCode] = [creditCode(), creditCode()];
  const provenance = { source: 'PLAN', section: '三(一)', note: 'drift test' } as const;

  /** The shared structure and, for `who` (seed or import), an enterprise, a platform and a policy measure. */
  const seedFiles = (who: string, code: string) => ({
    'regions.json': [
      { id: id('region'), name: '漂移区', nameEn: 'Drift district', level: 'DISTRICT', provenance },
    ],
    'chains.json': [{ id: id('chain'), name: '漂移链', nameEn: 'Drift chain', industryIds: [], provenance }],
    'segments.json': [
      {
        id: id('segment'),
        chainId: id('chain'),
        name: '漂移环节',
        nameEn: 'Drift segment',
        stage: 'MIDSTREAM',
        provenance,
      },
    ],
    'enterprises.json': [
      {
        id: id(`${who}-firm`),
        // Each writer's firm is its own company (the validator refuses two enterprises of one name); readBack makes
        // the id in the name alike.
        name: `漂移企业 ${id(`${who}-firm`)}`,
        nameEn: 'Drift firm (illustrative)',
        regionId: id('region'),
        sizeBand: 'MEDIUM',
        flags: { highTech: true, leading: false, listed: true, specialised: false },
        creditCode: code,
        description: '主营漂移',
        contact: {
          website: 'https://drift.example.com',
          phone: '0311-55501234',
          email: 'info@drift.example.com',
          address: '示例路1号（示例地址）',
          person: '示例联系人',
        },
        segments: [{ segmentId: id('segment'), role: 'SUPPLIER', mainProducts: ['甲', '乙'] }],
        provenance,
      },
    ],
    'platforms.json': [
      {
        id: id(`${who}-lab`),
        name: '漂移实验室',
        kind: 'KEY_LABORATORY',
        level: 'PROVINCIAL',
        regionId: id('region'),
        hostEnterpriseId: id(`${who}-firm`),
        supportsSegmentIds: [id('segment')],
        provenance,
      },
    ],
    'policies.json': [
      {
        id: id(`${who}-policy`),
        title: '漂移政策',
        titleEn: 'Drift policy',
        issuer: '测试机关',
        period: '2024—2026',
        regionId: id('region'),
        measures: [
          {
            id: id(`${who}-measure`),
            number: 1,
            title: '漂移措施',
            titleEn: 'Drift measure',
            terms: [
              { text: '条款一', textEn: 'Term one' },
              { text: '条款二', textEn: 'Term two' },
            ],
            appliesTo: { chainIds: [id('chain')] },
          },
        ],
        provenance,
      },
    ],
  });

  const P = 'PLAN,三(一),drift test';
  const importTables = (who: string, code: string) => ({
    ENTERPRISES: [
      'id,name,nameEn,regionId,sizeBand,highTech,leading,listed,specialised,creditCode,description,website,phone,email,address,contactPerson,source,section,note',
      `${id(`${who}-firm`)},漂移企业 ${id(`${who}-firm`)},Drift firm (illustrative),${id('region')},MEDIUM,yes,no,yes,no,${code},主营漂移,https://drift.example.com,0311-55501234,info@drift.example.com,示例路1号（示例地址）,示例联系人,${P}`,
    ],
    SEGMENT_LINKS: [
      'enterpriseId,segmentId,role,mainProducts,source,section,note',
      `${id(`${who}-firm`)},${id('segment')},SUPPLIER,甲;乙,${P}`,
    ],
    PLATFORMS: [
      'id,name,kind,level,regionId,hostEnterpriseId,segmentIds,source,section,note',
      `${id(`${who}-lab`)},漂移实验室,KEY_LABORATORY,PROVINCIAL,${id('region')},${id(`${who}-firm`)},${id('segment')},${P}`,
    ],
    POLICIES: [
      'policyId,policyTitle,policyTitleEn,issuer,period,regionId,measureId,number,title,titleEn,terms,termsEn,chainIds,source,section,note',
      `${id(`${who}-policy`)},漂移政策,Drift policy,测试机关,2024—2026,${id('region')},${id(`${who}-measure`)},1,漂移措施,Drift measure,条款一;条款二,Term one;Term two,${id('chain')},${P}`,
    ],
  });

  async function writeSeedDirectory(name: string, files: Record<string, unknown[]>): Promise<string> {
    const directory = path.join(workDir, name);
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    for (const [file, records] of Object.entries(files))
      await writeFile(path.join(directory, file), JSON.stringify(records));
    return directory;
  }

  const importOverHttp = (kind: string, lines: readonly string[]) =>
    postGraphQL<ImportAnswer>(
      server.url,
      { query: IMPORT, variables: { kind, content: lines.join('\n') } },
      { authorization: `Bearer ${EDITOR_KEY}` },
    );

  /** A node with its relationships both ways, ids of the seed's and the import's own records made alike. */
  async function readBack(label: string, nodeId: string): Promise<unknown> {
    const [row] = await database.executor.read(
      'drift-read',
      cypher(
        `MATCH (n:${label} { id: $id })
         RETURN properties(n) AS node,
                [(n)-[r]->(x) | ['out', type(r), x.id, properties(r)]] + [(x)-[r]->(n) | ['in', type(r), x.id, properties(r)]] AS links`,
        { id: nodeId },
      ),
    );
    expect(row, `${label} ${nodeId} was written`).toBeDefined();
    const alike = JSON.stringify(row)
      .replaceAll(`${prefix}-seed-`, 'OWN-')
      .replaceAll(`${prefix}-import-`, 'OWN-');
    const parsed = JSON.parse(alike) as { node: Record<string, unknown>; links: unknown[] };
    return { ...parsed, links: parsed.links.map((link) => JSON.stringify(link)).sort() };
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, {
      API_KEYS: `drift-editor:editor:${hashKey(EDITOR_KEY)}`,
    });
    workDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-drift-'));
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await rm(workDir, { recursive: true, force: true });
    await server.close();
    await database.close();
  });

  it('writes the same nodes and relationships for an enterprise, its segment, a platform and a policy measure given either way', async () => {
    await loadSeeds(database.executor, await writeSeedDirectory('good', seedFiles('seed', seedCode)));
    for (const [kind, lines] of Object.entries(importTables('import', importCode))) {
      const response = await importOverHttp(kind, lines);
      expect([response.status, response.body.errors, response.body.data?.importRecords.problems]).toEqual([
        200,
        undefined,
        [],
      ]);
      expect(response.body.data?.importRecords.written, kind).toBe(true);
    }

    const seedFirm = (await readBack('Enterprise', id('seed-firm'))) as { node: Record<string, unknown> };
    const importFirm = (await readBack('Enterprise', id('import-firm'))) as { node: Record<string, unknown> };
    // The credit codes differ (one firm per code); everything else is the same.
    expect([seedFirm.node['creditCode'], importFirm.node['creditCode']]).toEqual([seedCode, importCode]);
    delete seedFirm.node['creditCode'];
    delete importFirm.node['creditCode'];
    expect(importFirm).toEqual(seedFirm);
    expect(seedFirm.node).toMatchObject({ contactPerson: '示例联系人', highTech: true, source: 'PLAN' });
    expect(seedFirm.node).not.toHaveProperty('regionId');

    for (const [label, local] of [
      ['Platform', 'lab'],
      ['Policy', 'policy'],
      ['PolicyMeasure', 'measure'],
    ] as const) {
      const fromSeed = await readBack(label, id(`seed-${local}`));
      expect(await readBack(label, id(`import-${local}`)), label).toEqual(fromSeed);
    }

    // The English of a term is the source's English; without an English terms column it is null, never the Chinese.
    const withoutEnglish = await importOverHttp('POLICIES', [
      'policyId,policyTitle,issuer,period,measureId,number,title,terms,source,section',
      `${id('import-policy-2')},漂移政策二,测试机关,2024—2026,${id('import-measure-2')},1,漂移措施二,条款三,PLAN,三(一)`,
    ]);
    expect(withoutEnglish.body.data?.importRecords).toEqual({ written: true, problems: [] });
    const read = await postGraphQL<{ policies: { id: string; measures: { terms: unknown[] }[] }[] }>(
      server.url,
      {
        query: '{ policies { id measures { terms { text textEn } } } }',
      },
    );
    const terms = (policyId: string) =>
      read.body.data?.policies.find((policy) => policy.id === policyId)?.measures[0]?.terms;
    expect(terms(id('seed-policy'))).toEqual([
      { text: '条款一', textEn: 'Term one' },
      { text: '条款二', textEn: 'Term two' },
    ]);
    expect(terms(id('import-policy'))).toEqual(terms(id('seed-policy')));
    expect(terms(id('import-policy-2'))).toEqual([{ text: '条款三', textEn: null }]);
  });

  /** The problems the seed loader reports for a directory whose enterprise record is edited. */
  async function seedProblems(
    name: string,
    edit: (firm: Record<string, unknown>) => void,
  ): Promise<Problem[]> {
    const files = seedFiles('bad', creditCode());
    edit(files['enterprises.json'][0] as Record<string, unknown>);
    const error = await readSeedDirectory(await writeSeedDirectory(name, files)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SeedValidationError);
    return [...(error as SeedValidationError).problems];
  }

  /** The problems importRecords reports for the enterprise row with one cell replaced. */
  async function importProblems(
    column: string,
    value: string,
  ): Promise<ImportAnswer['importRecords']['problems']> {
    const [header, row] = importTables('bad', creditCode()).ENTERPRISES;
    const index = header!.split(',').indexOf(column);
    const cells = row!.split(',');
    cells[index] = value;
    const response = await importOverHttp('ENTERPRISES', [header!, cells.join(',')]);
    expect(response.body.data?.importRecords.written).toBe(false);
    return response.body.data?.importRecords.problems ?? [];
  }

  it.each([
    {
      what: 'a credit code with a wrong check character',
      field: 'creditCode',
      column: 'creditCode',
      value: '91130185693456472X',
      reason: 'check character should be R, not X',
    },
    {
      what: 'an id that is not one',
      field: 'id',
      column: 'id',
      value: 'Bad Id',
      reason: "'Bad Id' is not an id (lowercase letters, digits and hyphens, e.g. ent-abc)",
    },
    {
      what: 'an email address without @',
      field: 'contact.email',
      column: 'email',
      value: 'info-at-example.com',
      reason: "'info-at-example.com' is not an email address: expected name@domain, such as info@example.com",
    },
    {
      what: 'a value that is not one of its enumeration',
      field: 'sizeBand',
      column: 'sizeBand',
      value: 'HUGE',
      reason: "'HUGE' is not one of LARGE, MEDIUM, SMALL, MICRO, UNKNOWN (或 大型、中型、小型、微型、未知)",
    },
    {
      what: 'a reference to nothing',
      field: 'regionId',
      column: 'regionId',
      value: id('nowhere'),
      reason: `no Region with id '${id('nowhere')}'`,
    },
    {
      what: 'a PLAN fact without its section',
      field: 'provenance.section',
      column: 'section',
      value: '',
      reason: 'a PLAN fact needs the plan section it comes from',
    },
  ])('reports $what with the same words from a seed file and from an import', async (bad) => {
    const fromSeed = await seedProblems(bad.column, (firm) => {
      if (bad.field === 'contact.email') (firm['contact'] as Record<string, unknown>)['email'] = bad.value;
      else if (bad.field === 'provenance.section') firm['provenance'] = { source: 'PLAN' };
      else firm[bad.field] = bad.value;
    });
    const fromImport = await importProblems(bad.column, bad.value);
    const seedProblem = fromSeed.find((problem) => problem.column === bad.field);
    expect(seedProblem?.reason).toBe(bad.reason);
    expect(fromImport).toEqual([{ line: 2, column: bad.column, reason: bad.reason }]);
  });

  it('reports an id given twice with the same words from a seed file and from an import, naming the first', async () => {
    const files = seedFiles('twice', creditCode());
    const firms = files['enterprises.json'] as Record<string, unknown>[];
    firms.push({ ...firms[0], creditCode: creditCode(), segments: [] });
    const error = await readSeedDirectory(await writeSeedDirectory('twice', files)).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SeedValidationError);
    expect(
      (error as SeedValidationError).problems.map(({ record, column, reason }) => ({
        record,
        column,
        reason,
      })),
    ).toEqual([
      {
        record: { index: 1, id: id('twice-firm') },
        column: 'id',
        reason: 'duplicate of enterprises.json record 0',
      },
    ]);

    const [header, row] = importTables('twice', creditCode()).ENTERPRISES;
    const again = row!.replace(/,9113[0-9A-Z]{14},/, `,${creditCode()},`);
    expect(again).not.toBe(row);
    const response = await importOverHttp('ENTERPRISES', [header!, row!, again]);
    expect(response.body.data?.importRecords).toEqual({
      written: false,
      problems: [{ line: 3, column: 'id', reason: 'duplicate of content line 2' }],
    });
  });
});
