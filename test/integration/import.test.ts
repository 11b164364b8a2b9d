import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { creditCodeCheckCharacter } from '../../src/import/creditCode.js';
import { describeImportProblem, importSources, type ImportSource } from '../../src/import/importer.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';

const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

/** A valid unified social credit code, distinct per call. */
let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185MA${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

describe('import', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let workDir: string;
  const prefix = uniquePrefix('import');
  const codes: string[] = [];
  const code = () => {
    const value = creditCode();
    codes.push(value);
    return value;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    workDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-import-'));
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.executor.write(
      'cleanup',
      cypher('MATCH (e:Enterprise) WHERE e.creditCode IN $codes DETACH DELETE e', { codes }),
    );
    await rm(workDir, { recursive: true, force: true });
    await graphql.stop();
    await database.close();
  });

  const csv = (kind: ImportSource['kind'], content: string, name = `${kind}.csv`): ImportSource => ({
    name,
    content,
    format: 'csv',
    kind,
  });
  const count = async (text: string, params: Record<string, unknown>) =>
    Number((await database.executor.read('check', cypher(text, params)))[0]?.['n']);

  it('imports enterprises, links, supplies, platforms and policies with Chinese headers, then re-imports without duplicates', async () => {
    const [codeA, codeB] = [code(), code()];
    const sources = [
      csv(
        'enterprises',
        `企业编号,企业名称,英文名称,统一社会信用代码,所在地区,企业规模,高新技术企业,龙头企业,上市,专精特新,来源,备注
${prefix}-a,测试导入甲公司,Import Test A (illustrative),${codeA},sjz-luquan,中型,是,否,否,是,ILLUSTRATIVE,test
,测试导入乙公司,,${codeB},sjz-gaoxin,SMALL,0,0,0,0,ILLUSTRATIVE,by code only`,
      ),
      csv(
        'segment-links',
        `企业编号,统一社会信用代码,环节编号,角色,主要产品,来源\n${prefix}-a,,led-packaging,核心,SMD封装；COB封装,ILLUSTRATIVE\n,${codeB},led-chips,配套,芯片,ILLUSTRATIVE`,
      ),
      csv('supplies', `供应商编号,客户信用代码,产品,来源\n${prefix}-a,${codeB},LED器件,ILLUSTRATIVE`),
      csv(
        'platforms',
        `平台编号,平台名称,平台类型,级别,所在地区,依托企业,支撑环节,来源\n${prefix}-lab,测试导入实验室,重点实验室,省级,sjz-luquan,${prefix}-a,led-packaging;led-chips,ILLUSTRATIVE`,
      ),
      csv(
        'policies',
        `政策编号,政策名称,发布机关,实施期限,地区,措施编号,措施序号,措施名称,条款,适用产业链,来源,章节\n${prefix}-policy,测试政策,测试机关,2024—2026,shijiazhuang,${prefix}-m1,1,测试措施,条款一；条款二,led,ILLUSTRATIVE,`,
      ),
    ];
    const first = await importSources(database.executor, sources, { acceptValid: false });
    expect(first.problems.map(describeImportProblem)).toEqual([]);
    expect(first.written).toBe(true);
    expect(first.summaries).toEqual([
      { kind: 'enterprises', rows: 2, created: 2, updated: 0, unchanged: 0, rejected: 0 },
      { kind: 'platforms', rows: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 },
      { kind: 'policies', rows: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 },
      { kind: 'segment-links', rows: 2, created: 2, updated: 0, unchanged: 0, rejected: 0 },
      { kind: 'supplies', rows: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 },
    ]);
    // The firm given only by credit code got a stable id derived from it, and its links resolved to that id.
    const [b] = await database.executor.read(
      'check',
      cypher(
        `MATCH (b:Enterprise { creditCode: $code })
         RETURN b.id AS id, b.sizeBand AS size, [(b)-[:OPERATES_IN]->(s) | s.id] AS segments,
                [(a)-[r:SUPPLIES]->(b) | [a.id, r.products]] AS suppliers, [(b)-[:LOCATED_IN]->(r) | r.id] AS regions`,
        { code: codeB },
      ),
    );
    expect(b).toEqual({
      id: `ent-${codeB.toLowerCase()}`,
      size: 'SMALL',
      segments: ['led-chips'],
      suppliers: [[`${prefix}-a`, ['LED器件']]],
      regions: ['sjz-gaoxin'],
    });
    const [a] = await database.executor.read(
      'check',
      cypher(
        'MATCH (a:Enterprise { id: $id })-[op:OPERATES_IN]->(s) RETURN a.highTech AS highTech, a.specialised AS specialised, op.mainProducts AS products, op.role AS role',
        {
          id: `${prefix}-a`,
        },
      ),
    );
    expect(a).toEqual({ highTech: true, specialised: true, products: ['SMD封装', 'COB封装'], role: 'CORE' });

    // Again: nothing changes.
    const second = await importSources(database.executor, sources, { acceptValid: false });
    for (const summary of second.summaries)
      expect(summary, summary.kind).toMatchObject({ created: 0, updated: 0 });
    expect(second.summaries.map((summary) => summary.unchanged)).toEqual([2, 1, 1, 2, 1]);
    // The same with every reference looked up in a statement of its own: the pieces find what the whole found.
    const inPieces = await importSources(database.executor, sources, { acceptValid: false, lookupChunk: 1 });
    expect(inPieces.summaries).toEqual(second.summaries);

    // A change updates in place, found by credit code; the firm moves region rather than gaining a second one.
    const moved = await importSources(
      database.executor,
      [
        csv(
          'enterprises',
          `统一社会信用代码,企业名称,所在地区,企业规模,来源\n${codeB},测试导入乙公司（更名）,sjz-luquan,中型,ILLUSTRATIVE`,
        ),
      ],
      { acceptValid: false },
    );
    expect(moved.summaries[0]).toMatchObject({ created: 0, updated: 1 });
    expect(
      await count('MATCH (b:Enterprise { creditCode: $code }) RETURN count(b) AS n', { code: codeB }),
    ).toBe(1);
    const [after] = await database.executor.read(
      'check',
      cypher(
        'MATCH (b:Enterprise { creditCode: $code }) RETURN b.name AS name, b.highTech AS highTech, [(b)-[:LOCATED_IN]->(r) | r.id] AS regions',
        { code: codeB },
      ),
    );
    // Columns the file does not have are kept (highTech), the region is replaced.
    expect(after).toEqual({ name: '测试导入乙公司（更名）', highTech: false, regions: ['sjz-luquan'] });
  });

  it('reports every kind of bad row with file, line, column and reason, and writes nothing', async () => {
    const good = code();
    const taken = code();
    await importSources(
      database.executor,
      [
        csv(
          'enterprises',
          `id,name,creditCode,regionId,sizeBand,source\n${prefix}-owner,占用者,${taken},sjz-luquan,SMALL,ILLUSTRATIVE`,
        ),
      ],
      { acceptValid: false },
    );
    const content = [
      'id,name,creditCode,regionId,sizeBand,highTech,source,section',
      `${prefix}-canary,金丝雀,${good},sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-bad-enum,坏规模,,sjz-luquan,HUGE,no,ILLUSTRATIVE,`,
      `${prefix}-bad-bool,坏布尔,,sjz-luquan,SMALL,perhaps,ILLUSTRATIVE,`,
      `${prefix}-bad-code,坏代码,91130185693456472X,sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-no-name,,,sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-no-region,无地区,,atlantis,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-canary,重复,,sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-plan,规划,,sjz-luquan,SMALL,no,PLAN,`,
      `${prefix}-taken,冒用,${taken},sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `Bad Id,坏编号,,sjz-luquan,SMALL,no,ILLUSTRATIVE,`,
      `${prefix}-short,少列,,sjz-luquan`,
    ].join('\n');
    const result = await importSources(database.executor, [csv('enterprises', content, 'firms.csv')], {
      acceptValid: false,
    });
    expect(result.written).toBe(false);
    expect(result.problems.map(describeImportProblem)).toEqual([
      "firms.csv, line 3, column sizeBand: 'HUGE' is not one of LARGE, MEDIUM, SMALL, MICRO, UNKNOWN (或 大型、中型、小型、微型、未知)",
      "firms.csv, line 4, column highTech: 'perhaps' is not yes or no (true/false, 1/0, 是/否)",
      'firms.csv, line 5, column creditCode: check character should be R, not X',
      'firms.csv, line 6, column name: required, but empty',
      "firms.csv, line 7, column regionId: no Region with id 'atlantis'",
      `firms.csv, line 8, column id: duplicate of firms.csv line 2`,
      'firms.csv, line 9, column section: a PLAN fact needs the plan section it comes from',
      `firms.csv, line 10, column creditCode: this credit code already belongs to enterprise ${prefix}-owner`,
      "firms.csv, line 11, column id: 'Bad Id' is not an id (lowercase letters, digits and hyphens, e.g. ent-abc)",
      'firms.csv, line 12: 4 cells, but the header has 8 columns',
      'firms.csv, line 12, column sizeBand: required, but empty',
      'firms.csv, line 12, column source: required, but empty (every fact needs its provenance)',
    ]);
    // Looked up in pieces (a key or two per statement), the references give the same problems.
    for (const lookupChunk of [1, 2]) {
      const inPieces = await importSources(database.executor, [csv('enterprises', content, 'firms.csv')], {
        acceptValid: false,
        lookupChunk,
      });
      expect(inPieces.problems, `lookupChunk ${lookupChunk}`).toEqual(result.problems);
    }
    expect(
      await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-canary` }),
    ).toBe(0);
  });

  it('imports contact details with English or Chinese headers, and rejects a bad email, website or phone by line and column', async () => {
    const chinese = csv(
      'enterprises',
      [
        '企业编号,企业名称,所在地区,企业规模,官网,联系电话,邮箱,地址,联系人,来源',
        `${prefix}-contact-zh,联系方式导入甲,sjz-luquan,小型,https://${prefix}-zh.example.com,0311-5550 1234,info@${prefix}-zh.example.com,鹿泉区示例路1号（示例地址）,示例联系人,ILLUSTRATIVE`,
      ].join('\n'),
    );
    const first = await importSources(database.executor, [chinese], { acceptValid: false });
    expect(first.problems.map(describeImportProblem)).toEqual([]);
    expect(first.summaries[0]).toMatchObject({ created: 1, rejected: 0 });
    const [stored] = await database.executor.read(
      'check',
      cypher(
        `MATCH (e:Enterprise { id: $id })
         RETURN e.contactWebsite AS website, e.contactPhone AS phone, e.contactEmail AS email,
                e.contactAddress AS address, e.contactPerson AS person`,
        { id: `${prefix}-contact-zh` },
      ),
    );
    expect(stored).toEqual({
      website: `https://${prefix}-zh.example.com`,
      phone: '0311-5550 1234',
      email: `info@${prefix}-zh.example.com`,
      address: '鹿泉区示例路1号（示例地址）',
      person: '示例联系人',
    });
    // Again: unchanged. Then the API shows them to a viewer.
    const again = await importSources(database.executor, [chinese], { acceptValid: false });
    expect(again.summaries[0]).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    const read = await graphql.data<{ enterprise: { contact: unknown } }>(
      'query ($id: ID!) { enterprise(id: $id) { contact { website phone email address person } } }',
      { id: `${prefix}-contact-zh` },
      { caller: { name: 'reader', role: 'viewer' } },
    );
    expect(read.enterprise.contact).toEqual(stored);

    const content = [
      'id,name,regionId,sizeBand,website,phone,email,address,contactPerson,source',
      `${prefix}-contact-ok,好联系方式,sjz-luquan,SMALL,http://${prefix}-ok.example.com/about,+86 (311) 5550-1235,sales@${prefix}-ok.example.com,,,ILLUSTRATIVE`,
      `${prefix}-contact-email,坏邮箱,sjz-luquan,SMALL,,,sales-at-example.com,,,ILLUSTRATIVE`,
      `${prefix}-contact-url,坏网址,sjz-luquan,SMALL,www.example.com,,,,,ILLUSTRATIVE`,
      `${prefix}-contact-ftp,坏协议,sjz-luquan,SMALL,ftp://files.example.com,,,,,ILLUSTRATIVE`,
      `${prefix}-contact-phone,坏电话,sjz-luquan,SMALL,,call 0311-5550,,,,ILLUSTRATIVE`,
    ].join('\n');
    const result = await importSources(database.executor, [csv('enterprises', content, 'contacts.csv')], {
      acceptValid: false,
    });
    expect(result.written).toBe(false);
    expect(result.problems.map(describeImportProblem)).toEqual([
      "contacts.csv, line 3, column email: 'sales-at-example.com' is not an email address: expected name@domain, such as info@example.com",
      "contacts.csv, line 4, column website: 'www.example.com' is not a website address: expected an http:// or https:// URL such as https://www.example.com",
      "contacts.csv, line 5, column website: 'ftp://files.example.com' is not a website address: expected an http:// or https:// URL such as https://www.example.com",
      "contacts.csv, line 6, column phone: 'call 0311-5550' is not a phone number: use 5 to 20 digits with spaces, hyphens or parentheses and an optional leading +, such as 0311-85551234 or +86 311 8555 1234",
    ]);
    expect(
      await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-contact-ok` }),
    ).toBe(0);
    // With --accept-valid semantics the good row goes in, contact and all.
    const partial = await importSources(database.executor, [csv('enterprises', content, 'contacts.csv')], {
      acceptValid: true,
    });
    expect(partial.summaries[0]).toMatchObject({ created: 1, rejected: 4 });
    expect(
      await count(
        'MATCH (e:Enterprise { id: $id }) WHERE e.contactPhone = $phone AND e.contactAddress IS NULL RETURN count(e) AS n',
        { id: `${prefix}-contact-ok`, phone: '+86 (311) 5550-1235' },
      ),
    ).toBe(1);
  });

  it('refuses files it cannot read as a whole: unknown columns, no provenance, bad JSON', async () => {
    const unknown = await importSources(
      database.executor,
      [csv('enterprises', 'id,name,regionId,sizeBand,source,colour\nx,y,sjz-luquan,SMALL,PUBLIC,red')],
      { acceptValid: true },
    );
    expect(unknown.written).toBe(false);
    expect(unknown.problems[0]).toMatchObject({ line: 1, column: 'colour' });
    const noSource = await importSources(
      database.executor,
      [csv('enterprises', 'id,name,regionId,sizeBand\nx,y,sjz-luquan,SMALL')],
      { acceptValid: false },
    );
    expect(noSource.problems[0]?.reason).toContain('every fact needs its provenance');
    const badJson = await importSources(
      database.executor,
      [{ name: 'x.json', content: '[{"id": ', format: 'json', kind: 'enterprises' }],
      { acceptValid: false },
    );
    expect(badJson.problems[0]?.reason).toMatch(/^not valid JSON/);
  });

  it('takes JSON, and a default provenance for files without a source column', async () => {
    const result = await importSources(
      database.executor,
      [
        {
          name: 'firms.json',
          format: 'json',
          kind: 'enterprises',
          content: JSON.stringify([
            {
              id: `${prefix}-json`,
              name: 'JSON公司',
              regionId: 'sjz-luquan',
              sizeBand: 'MICRO',
              leading: true,
            },
          ]),
        },
      ],
      { acceptValid: false, defaultSource: 'ILLUSTRATIVE' },
    );
    expect(result.summaries).toEqual([
      { kind: 'enterprises', rows: 1, created: 1, updated: 0, unchanged: 0, rejected: 0 },
    ]);
    expect(
      await count(
        "MATCH (e:Enterprise { id: $id, source: 'ILLUSTRATIVE', leading: true }) RETURN count(e) AS n",
        { id: `${prefix}-json` },
      ),
    ).toBe(1);
  });

  it('imports the valid rows on request, writing the rejected ones to a reject file (through the CLI)', async () => {
    const file = path.join(workDir, 'enterprises-partial.csv');
    await writeFile(
      file,
      `企业编号,企业名称,所在地区,企业规模,来源\n${prefix}-p1,部分一,sjz-luquan,小型,ILLUSTRATIVE\n${prefix}-p2,部分二,nowhere,小型,ILLUSTRATIVE\n${prefix}-p3,部分三,sjz-gaoxin,巨型,ILLUSTRATIVE\n`,
    );
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', ...args], {
          cwd: PROJECT_ROOT,
          env: { ...process.env, NEO4J_URI: database.config.neo4j.uri, LOG_LEVEL: 'warn' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('close', (exitCode) => resolve({ code: exitCode, stdout, stderr }));
      });
    const strict = await run([file]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(`${file}, line 3, column 所在地区: no Region with id 'nowhere'`);
    expect(strict.stderr).toContain('Nothing was written');
    expect(await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-p1` })).toBe(
      0,
    );

    const partial = await run(['--accept-valid', file]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(/enterprises\s+3\s+1\s+0\s+0\s+2/);
    expect(await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-p1` })).toBe(
      1,
    );
    const rejects = await readFile(`${file}.rejected.csv`, 'utf8');
    expect(rejects.split('\n')[0]).toBe('line,企业编号,企业名称,所在地区,企业规模,来源,error');
    expect(rejects).toContain(
      `3,${prefix}-p2,部分二,nowhere,小型,ILLUSTRATIVE,所在地区: no Region with id 'nowhere'`,
    );
    expect(rejects).toContain(`4,${prefix}-p3,部分三,sjz-gaoxin,巨型,ILLUSTRATIVE`);
  });

  describe('the importRecords mutation', () => {
    const MUTATION = `mutation ($content: String!) {
      importRecords(kind: ENTERPRISES, format: CSV, content: $content, defaultSource: ILLUSTRATIVE) {
        written summaries { kind rows created updated unchanged rejected } problems { line column reason } rejectedLines
      }
    }`;
    const content = () =>
      `id,name,regionId,sizeBand\n${prefix}-gql,接口导入,sjz-luquan,SMALL\n${prefix}-gql-bad,接口坏行,sjz-luquan,TINY`;

    it('needs an editor', async () => {
      const anonymous = await graphql.run(MUTATION, { content: content() });
      expect(anonymous.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      const viewer = await graphql.run(
        MUTATION,
        { content: content() },
        { caller: { name: 'reader', role: 'viewer' } },
      );
      expect(viewer.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(
        await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-gql` }),
      ).toBe(0);
    });

    it('validates like the CLI and writes nothing when a row is bad', async () => {
      const result = await graphql.data<{
        importRecords: {
          written: boolean;
          problems: { line: number; column: string; reason: string }[];
          rejectedLines: number[];
        };
      }>(MUTATION, { content: content() }, { caller: { name: 'editor', role: 'editor' } });
      expect(result.importRecords.written).toBe(false);
      expect(result.importRecords.problems).toEqual([
        {
          line: 3,
          column: 'sizeBand',
          reason:
            "'TINY' is not one of LARGE, MEDIUM, SMALL, MICRO, UNKNOWN (或 大型、中型、小型、微型、未知)",
        },
      ]);
      expect(result.importRecords.rejectedLines).toEqual([3]);
      expect(
        await count('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-gql` }),
      ).toBe(0);
      const fixed = await graphql.data<{
        importRecords: { written: boolean; summaries: { created: number }[] };
      }>(
        MUTATION,
        { content: content().split('\n').slice(0, 2).join('\n') },
        { caller: { name: 'editor', role: 'editor' } },
      );
      expect(fixed.importRecords).toMatchObject({ written: true, summaries: [{ created: 1 }] });
    });
  });
});
