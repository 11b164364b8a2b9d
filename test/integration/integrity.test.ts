import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { creditCodeCheckCharacter } from '../../src/ingest/creditCode.js';
import { nameKey } from '../../src/ingest/integrity.js';
import type { Problem } from '../../src/ingest/problem.js';
import { seedRecords } from '../../src/seed/flatten.js';
import { loadSeeds } from '../../src/seed/load.js';
import { readSeedDirectory, SeedValidationError } from '../../src/seed/validate.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 14: no invented fact touches a real entity, a real supply link names its document, one company is one
 * record. Each rule is checked on the seed path (a seed directory) and the import path (the importRecords mutation
 * over HTTP, whose ends are already in the graph), and the shipped seeds are walked for the provenance rule. On the
 * old code every one of these loads was accepted, and the shipped graph had 280 invented links touching real firms.
 */

const EDITOR_KEY = 'editor-key-for-integrity';
const SEEDS_DIR = path.resolve(import.meta.dirname, '../../seeds');
const IMPORT = `mutation ($kind: ImportKind!, $content: String!) {
  importRecords(kind: $kind, format: CSV, content: $content) { written problems { line column reason } }
}`;

interface ImportAnswer {
  importRecords: { written: boolean; problems: { line: number; column: string; reason: string }[] };
}

let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185MA${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

describe('integrity of links and identities', () => {
  let database: TestDatabase;
  let server: TestServer;
  let workDir: string;
  const prefix = uniquePrefix('integrity');
  const id = (local: string) => `${prefix}-${local}`;
  const PUBLIC = { source: 'PUBLIC', note: 'integrity test' } as const;
  const INVENTED = { source: 'ILLUSTRATIVE', note: 'integrity test' } as const;

  /** A region, a chain and a segment (the frame), and the enterprises given. */
  const frame = () => ({
    'regions.json': [
      {
        id: id('region'),
        name: '完整区',
        nameEn: 'Integrity district',
        level: 'DISTRICT',
        provenance: PUBLIC,
      },
    ],
    'chains.json': [
      { id: id('chain'), name: '完整链', nameEn: 'Integrity chain', industryIds: [], provenance: PUBLIC },
    ],
    'segments.json': [
      {
        id: id('segment'),
        chainId: id('chain'),
        name: '完整环节',
        nameEn: 'Integrity segment',
        stage: 'MIDSTREAM',
        provenance: PUBLIC,
      },
    ],
  });
  const firm = (local: string, name: string, provenance: object, extra: object = {}) => ({
    id: id(local),
    name,
    regionId: id('region'),
    sizeBand: 'MEDIUM',
    flags: { highTech: false, leading: false, listed: false, specialised: false },
    ...extra,
    provenance,
  });

  async function seedProblems(name: string, files: Record<string, unknown[]>): Promise<Problem[]> {
    const directory = path.join(workDir, name);
    await mkdir(directory, { recursive: true });
    for (const [file, records] of Object.entries(files))
      await writeFile(path.join(directory, file), JSON.stringify(records));
    const error = await readSeedDirectory(directory).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SeedValidationError);
    return [...(error as SeedValidationError).problems];
  }

  const importOverHttp = (kind: string, lines: readonly string[]) =>
    postGraphQL<ImportAnswer>(
      server.url,
      { query: IMPORT, variables: { kind, content: lines.join('\n') } },
      { authorization: `Bearer ${EDITOR_KEY}` },
    );

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, {
      API_KEYS: `integrity-editor:editor:${hashKey(EDITOR_KEY)}`,
    });
    workDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-integrity-'));
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await rm(workDir, { recursive: true, force: true });
    await server.close();
    await database.close();
  });

  it('seeds: refuses an ILLUSTRATIVE link to a real firm, naming both ends, and a real link to an invented firm', async () => {
    const problems = await seedProblems('provenance', {
      ...frame(),
      'enterprises.json': [
        firm('real-a', '完整甲药业股份有限公司', PUBLIC, {
          supplies: [{ enterpriseId: id('real-b'), products: ['原料药'], provenance: INVENTED }],
        }),
        firm('real-b', '完整乙制药有限公司', PUBLIC, {
          // A real-looking fact about an invented firm.
          supplies: [
            {
              enterpriseId: id('demo'),
              provenance: PUBLIC,
              evidence: { kind: 'ANNUAL_REPORT', title: '年报', year: 2023 },
            },
          ],
        }),
        firm('demo', '示例完整丙有限公司', INVENTED, {
          // Invented firms among themselves and in the frame are fine: this segment link is not a problem.
          segments: [{ segmentId: id('segment'), role: 'CORE' }],
        }),
      ],
      'platforms.json': [
        {
          id: id('lab'),
          name: '示例完整实验室',
          kind: 'KEY_LABORATORY',
          level: 'PROVINCIAL',
          regionId: id('region'),
          hostEnterpriseId: id('real-a'),
          provenance: INVENTED,
        },
      ],
    });
    expect(problems.map(({ record, column, reason }) => [record?.id, column, reason])).toEqual([
      [
        id('real-a'),
        'supplies[0].enterpriseId',
        `an ILLUSTRATIVE link cannot touch a real entity: supplier Enterprise '${id('real-a')}' (完整甲药业股份有限公司) is PUBLIC, customer Enterprise '${id('real-b')}' (完整乙制药有限公司) is PUBLIC`,
      ],
      [
        id('real-b'),
        'supplies[0].enterpriseId',
        `a PUBLIC link cannot touch an ILLUSTRATIVE entity: supplier Enterprise '${id('real-b')}' (完整乙制药有限公司) is PUBLIC, customer Enterprise '${id('demo')}' (示例完整丙有限公司) is ILLUSTRATIVE`,
      ],
      [
        id('lab'),
        'hostEnterpriseId',
        `an ILLUSTRATIVE link cannot touch a real entity: this Platform '${id('lab')}' (示例完整实验室) is ILLUSTRATIVE, hostEnterpriseId Enterprise '${id('real-a')}' (完整甲药业股份有限公司) is PUBLIC`,
      ],
    ]);
  });

  it('seeds: a PUBLIC supply link needs its evidence, an ILLUSTRATIVE one may not carry any, a PLAN one may omit it', async () => {
    const PLAN = { source: 'PLAN', section: '三(一)', note: 'integrity test' };
    const problems = await seedProblems('evidence', {
      ...frame(),
      'enterprises.json': [
        firm('real-a', '完整甲', PUBLIC, { supplies: [{ enterpriseId: id('real-b'), provenance: PUBLIC }] }),
        firm('real-b', '完整乙', PLAN, { supplies: [{ enterpriseId: id('real-a'), provenance: PLAN }] }),
        firm('demo-a', '示例完整甲', INVENTED, {
          supplies: [
            {
              enterpriseId: id('demo-b'),
              evidence: { kind: 'NEWS', title: '编造的新闻', year: 2024 },
              provenance: INVENTED,
            },
          ],
        }),
        firm('demo-b', '示例完整乙', INVENTED),
      ],
    });
    expect(problems.map(({ record, column, reason }) => [record?.id, column, reason])).toEqual([
      [
        id('real-a'),
        'supplies[0].evidence',
        'a PUBLIC supply link needs its evidence {kind, title, year}: the document that shows it (a PLAN link rests on its plan section)',
      ],
      [
        id('demo-a'),
        'supplies[0].evidence',
        'an ILLUSTRATIVE supply link may not carry evidence: an invented link has no document',
      ],
    ]);
  });

  it('seeds: one company, one record — stock code, credit code and normalised names are unique, both records named', async () => {
    const code = creditCode();
    const problems = await seedProblems('identity', {
      ...frame(),
      'enterprises.json': [
        firm('a', '河北完整科技股份有限公司', PUBLIC, { stockCode: '600999.SH', creditCode: code }),
        firm('b', '别的公司', PUBLIC, { stockCode: '600999.SH' }),
        firm('c', '再一家公司', PUBLIC, { creditCode: code }),
        // Full-width brackets, spaces and another company form: the same name once normalised.
        firm('d', ' 河北完整科技（有限公司） ', PUBLIC),
        firm('e', '新名字有限公司', PUBLIC, { formerNames: ['河北完整科技有限责任公司'] }),
      ],
    });
    const where = `enterprises.json record 0`;
    expect(problems.map(({ record, column, reason }) => [record?.id, column, reason])).toEqual([
      [
        id('b'),
        'stockCode',
        `stock code 600999.SH is also given to Enterprise '${id('a')}' (河北完整科技股份有限公司) at ${where}: one company, one record`,
      ],
      [
        id('c'),
        'creditCode',
        `credit code ${code} is also given to Enterprise '${id('a')}' (河北完整科技股份有限公司) at ${where}: one company, one record`,
      ],
      [
        id('d'),
        'name',
        `Enterprise '${id('d')}' (河北完整科技（有限公司）) and Enterprise '${id('a')}' (河北完整科技股份有限公司) at ${where} have the same name once normalised ('河北完整科技'): one company, one record (merge them, keeping the old name in formerNames)`,
      ],
      [
        id('e'),
        'name',
        `Enterprise '${id('e')}' (新名字有限公司) and Enterprise '${id('a')}' (河北完整科技股份有限公司) at ${where} have the same name once normalised ('河北完整科技'): one company, one record (merge them, keeping the old name in formerNames)`,
      ],
    ]);
  });

  it('normalises names: width, spaces, brackets and the company form', () => {
    expect(nameKey('石药创新制药股份有限公司')).toBe(nameKey('石药创新制药'));
    expect(nameKey('ＡＢＣ　电子（集团）有限责任公司')).toBe('abc电子集团');
    expect(nameKey('石药集团有限公司')).not.toBe(nameKey('石药有限公司'));
  });

  it('imports: refuses links whose ends in the graph break the rules, naming both ends as the graph holds them', async () => {
    // The ends are in the graph already (a seed load), so the import reads their provenance and names there.
    const directory = path.join(workDir, 'graph');
    await mkdir(directory, { recursive: true });
    const files = {
      ...frame(),
      'enterprises.json': [
        firm('g-real-a', '图中甲股份有限公司', PUBLIC),
        firm('g-real-b', '图中乙有限公司', PUBLIC),
        firm('g-demo', '示例图中丙有限公司', INVENTED),
      ],
    };
    for (const [file, records] of Object.entries(files))
      await writeFile(path.join(directory, file), JSON.stringify(records));
    await loadSeeds(database.executor, directory);

    const supplies = await importOverHttp('SUPPLIES', [
      'supplierId,customerId,products,source,note,证据类型,证据标题,证据年份',
      `${id('g-real-a')},${id('g-real-b')},原料药,ILLUSTRATIVE,invented,,,`,
      `${id('g-real-a')},${id('g-demo')},原料药,PUBLIC,real-looking,年报,某年报,2023`,
      `${id('g-real-b')},${id('g-real-a')},原料药,PUBLIC,no document,,,`,
      `${id('g-demo')},${id('g-real-a')},原料药,ILLUSTRATIVE,invented,新闻,编造,2024`,
    ]);
    expect(supplies.body.errors).toBeUndefined();
    expect(supplies.body.data?.importRecords.written).toBe(false);
    expect(supplies.body.data?.importRecords.problems).toEqual([
      {
        line: 2,
        column: 'customerId',
        reason: `an ILLUSTRATIVE link cannot touch a real entity: supplier Enterprise '${id('g-real-a')}' (图中甲股份有限公司) is PUBLIC, customer Enterprise '${id('g-real-b')}' (图中乙有限公司) is PUBLIC`,
      },
      {
        line: 3,
        column: 'customerId',
        reason: `a PUBLIC link cannot touch an ILLUSTRATIVE entity: supplier Enterprise '${id('g-real-a')}' (图中甲股份有限公司) is PUBLIC, customer Enterprise '${id('g-demo')}' (示例图中丙有限公司) is ILLUSTRATIVE`,
      },
      {
        line: 4,
        column: '证据类型',
        reason:
          'a PUBLIC supply link needs its evidence {kind, title, year}: the document that shows it (a PLAN link rests on its plan section)',
      },
      {
        line: 5,
        column: 'customerId',
        reason: `an ILLUSTRATIVE link cannot touch a real entity: supplier Enterprise '${id('g-demo')}' (示例图中丙有限公司) is ILLUSTRATIVE, customer Enterprise '${id('g-real-a')}' (图中甲股份有限公司) is PUBLIC`,
      },
      {
        line: 5,
        column: '证据类型',
        reason: 'an ILLUSTRATIVE supply link may not carry evidence: an invented link has no document',
      },
    ]);

    // An ILLUSTRATIVE segment link of a real firm (the frame is fine for invented firms, not invented facts of real ones).
    const links = await importOverHttp('SEGMENT_LINKS', [
      'enterpriseId,segmentId,role,source,note',
      `${id('g-real-a')},${id('segment')},CORE,ILLUSTRATIVE,invented`,
      `${id('g-demo')},${id('segment')},CORE,ILLUSTRATIVE,invented`,
    ]);
    expect(links.body.data?.importRecords.problems).toEqual([
      {
        line: 2,
        column: 'segmentId',
        reason: `an ILLUSTRATIVE link cannot touch a real entity: enterprise Enterprise '${id('g-real-a')}' (图中甲股份有限公司) is PUBLIC, segment ChainSegment '${id('segment')}' (完整环节) is PUBLIC`,
      },
    ]);

    // A same-named enterprise of the graph (normalised), found by one indexed lookup.
    const enterprises = await importOverHttp('ENTERPRISES', [
      'id,name,regionId,sizeBand,source,note',
      `${id('g-copy')},图中甲 有限公司,${id('region')},SMALL,PUBLIC,a second record of the same company`,
    ]);
    expect(enterprises.body.data?.importRecords.problems).toEqual([
      {
        line: 2,
        column: 'name',
        reason: `Enterprise '${id('g-copy')}' (图中甲 有限公司) and Enterprise '${id('g-real-a')}' (图中甲股份有限公司) in the graph have the same name once normalised ('图中甲'): one company, one record (merge them, keeping the old name in formerNames)`,
      },
    ]);

    // A PUBLIC link with its evidence is written, and the API shows it on the link and on the firm-level reach.
    const good = await importOverHttp('SUPPLIES', [
      '供应商,客户,产品,来源,备注,证据类型,证据标题,证据年份,证据链接',
      `${id('g-real-a')},${id('g-real-b')},原料药,公开,关联交易,关联交易,图中甲关于日常关联交易的公告,2023,https://example.com/notice.pdf`,
    ]);
    expect(good.body.data?.importRecords).toEqual({ written: true, problems: [] });
    const answer = await postGraphQL<{
      enterprise: {
        customers: unknown[];
        downstream: { enterprises: unknown[] };
      };
    }>(server.url, {
      query: `query ($id: ID!) { enterprise(id: $id) {
        customers { enterprise { id } provenance { source note } evidence { kind title year url } }
        downstream(depth: 1) { enterprises { enterprise { id } provenance { source } evidence { kind title year url } } }
      } }`,
      variables: { id: id('g-real-a') },
    });
    expect(answer.body.errors).toBeUndefined();
    const evidence = {
      kind: 'RELATED_PARTY',
      title: '图中甲关于日常关联交易的公告',
      year: 2023,
      url: 'https://example.com/notice.pdf',
    };
    expect(answer.body.data?.enterprise.customers).toEqual([
      { enterprise: { id: id('g-real-b') }, provenance: { source: 'PUBLIC', note: '关联交易' }, evidence },
    ]);
    expect(answer.body.data?.enterprise.downstream.enterprises).toEqual([
      { enterprise: { id: id('g-real-b') }, provenance: { source: 'PUBLIC' }, evidence },
    ]);
  });

  it('the shipped seeds: 0 ILLUSTRATIVE relationships touch a PLAN/PUBLIC entity, 0 PLAN/PUBLIC ones touch an ILLUSTRATIVE entity', async () => {
    // The seeded graph of the test database, walked over the seed's own nodes (other files' test data left out).
    const records = seedRecords(await readSeedDirectory(SEEDS_DIR));
    const ids = Object.values(records).flatMap((list: readonly { id?: string }[]) =>
      list.map((record) => record.id).filter((value): value is string => value !== undefined),
    );
    const [row] = await database.executor.read(
      'integrity-walk',
      cypher(
        `MATCH (a)-[r]->(b)
         WHERE a.id IN $ids AND b.id IN $ids
         WITH a, r, b,
              NOT (a:Region OR a:Industry OR a:IndustrialChain OR a:ChainSegment) AS entityA,
              NOT (b:Region OR b:Industry OR b:IndustrialChain OR b:ChainSegment) AS entityB
         RETURN count(r) AS links,
                count(CASE WHEN r.source = 'ILLUSTRATIVE'
                             AND ((entityA AND a.source <> 'ILLUSTRATIVE') OR (entityB AND b.source <> 'ILLUSTRATIVE')) THEN r END) AS inventedTouchingReal,
                count(CASE WHEN r.source <> 'ILLUSTRATIVE'
                             AND ((entityA AND a.source = 'ILLUSTRATIVE') OR (entityB AND b.source = 'ILLUSTRATIVE')) THEN r END) AS realTouchingInvented,
                count(CASE WHEN type(r) = 'SUPPLIES' THEN r END) AS supplies`,
        { ids },
      ),
    );
    expect(Number(row?.['links'])).toBeGreaterThan(1000);
    expect(Number(row?.['supplies'])).toBeGreaterThan(100);
    expect([Number(row?.['inventedTouchingReal']), Number(row?.['realTouchingInvented'])]).toEqual([0, 0]);
  });
});
