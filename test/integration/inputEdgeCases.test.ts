import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 11, case 6 and the input edge cases of case 7, over real HTTP against the real Neo4j: a re-import with fewer
 * columns keeps what it does not mention; deeply nested JSON, duplicate columns, megabyte ids and cursors are
 * refused with BAD_USER_INPUT naming the argument and never echoed back whole; degenerate target weights still
 * give the documented weighted mean.
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const EDITOR_KEY = 'editor-key-for-input-edge-cases';
const EDITOR = { authorization: `Bearer ${EDITOR_KEY}` };
const prefix = uniquePrefix('inputedge');

const IMPORT = `mutation ($kind: ImportKind!, $format: ImportFormat!, $content: String!) {
  importRecords(kind: $kind, format: $format, content: $content) {
    written summaries { kind created updated unchanged rejected } problems { line column reason }
  }
}`;

interface ImportAnswer {
  importRecords: {
    written: boolean;
    summaries: { kind: string; created: number; updated: number; unchanged: number; rejected: number }[];
    problems: { line: number | null; column: string | null; reason: string }[];
  };
}

describe('input edge cases (issue 11)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let workDir: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, { API_KEYS: `ed:editor:${hashKey(EDITOR_KEY)}` });
    workDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-inputedge-'));
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await rm(workDir, { recursive: true, force: true });
    await server.close();
    await database.close();
  });

  const importRecords = (kind: string, content: string, format = 'CSV') =>
    postGraphQL<ImportAnswer>(server.url, { query: IMPORT, variables: { kind, format, content } }, EDITOR);

  /** Imports and expects it written without a problem. */
  async function imported(kind: string, content: string, format = 'CSV') {
    const response = await importRecords(kind, content, format);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.importRecords.problems).toEqual([]);
    expect(response.body.data?.importRecords.written).toBe(true);
    return response.body.data!.importRecords;
  }

  const stored = async (text: string, params: Record<string, unknown>) =>
    (await database.executor.read('check', cypher(text, params)))[0];

  describe('case 6: a re-import keeps every property whose column is missing or whose cell is empty', () => {
    const firm = `${prefix}-flags`;
    const supplier = `${prefix}-flags-supplier`;
    const flagsOf = (id: string) =>
      stored(
        `MATCH (e:Enterprise { id: $id })
         RETURN e.highTech AS highTech, e.leading AS leading, e.listed AS listed, e.specialised AS specialised,
                e.nameEn AS nameEn, e.description AS description, e.contactPhone AS phone, e.section AS section`,
        { id },
      );

    beforeAll(async () => {
      await imported(
        'ENTERPRISES',
        [
          'id,name,nameEn,regionId,sizeBand,highTech,leading,listed,specialised,description,phone,source,section,note',
          `${firm},旗标保留测试,Flags Kept (illustrative),sjz-luquan,LARGE,是,是,是,是,测试简介,0311-5550 1234,ILLUSTRATIVE,§1,first`,
          `${supplier},旗标供应商,,sjz-gaoxin,SMALL,否,否,否,否,,,PUBLIC,,`,
        ].join('\n'),
      );
    });

    it("keeps highTech, leading and listed true when re-imported with the issue's columns (id,name,regionId,sizeBand,source,section,note)", async () => {
      expect(await flagsOf(firm)).toMatchObject({ highTech: true, leading: true, listed: true });
      const again = await imported(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,source,section,note\n${firm},旗标保留测试（更名）,sjz-luquan,LARGE,PUBLIC,§2,second`,
      );
      expect(again.summaries).toEqual([
        { kind: 'ENTERPRISES', created: 0, updated: 1, unchanged: 0, rejected: 0 },
      ]);
      expect(await flagsOf(firm)).toEqual({
        highTech: true,
        leading: true,
        listed: true,
        specialised: true,
        nameEn: 'Flags Kept (illustrative)',
        description: '测试简介',
        phone: '0311-5550 1234',
        section: '§2',
      });
      // And through the API.
      const read = await postGraphQL<{
        enterprise: { name: string; flags: Record<string, boolean> };
      }>(server.url, {
        query:
          'query ($id: ID!) { enterprise(id: $id) { name flags { highTech leading listed specialised } } }',
        variables: { id: firm },
      });
      expect(read.body.data?.enterprise).toEqual({
        name: '旗标保留测试（更名）',
        flags: { highTech: true, leading: true, listed: true, specialised: true },
      });
    });

    it('keeps stored values for empty cells too, and changes only the cells that have a value', async () => {
      await imported(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,highTech,leading,listed,specialised,description,phone,source\n${firm},旗标保留测试,sjz-luquan,LARGE,,否,,,,,PUBLIC`,
      );
      expect(await flagsOf(firm)).toMatchObject({
        highTech: true,
        leading: false,
        listed: true,
        specialised: true,
        description: '测试简介',
        phone: '0311-5550 1234',
      });
      // A new firm without the flag columns starts with them false.
      await imported(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,source\n${prefix}-flags-new,新旗标,sjz-luquan,SMALL,PUBLIC`,
      );
      expect(await flagsOf(`${prefix}-flags-new`)).toMatchObject({
        highTech: false,
        leading: false,
        listed: false,
        specialised: false,
      });
    });

    it('keeps optional columns of every other kind: main products, supplied products, platform and measure details', async () => {
      const platform = `${prefix}-flags-lab`;
      const policy = `${prefix}-flags-policy`;
      const measure = `${prefix}-flags-m1`;
      // Issue 14: links between real firms are real (an ILLUSTRATIVE link may not touch a real firm), and a PUBLIC
      // supply would need its evidence columns; a PLAN one rests on its section.
      await imported(
        'SEGMENT_LINKS',
        `enterpriseId,segmentId,role,mainProducts,source,note\n${firm},led-packaging,CORE,SMD封装;COB封装,PUBLIC,link note`,
      );
      await imported(
        'SUPPLIES',
        `supplierId,customerId,products,source,section,note\n${supplier},${firm},LED芯片,PLAN,§3,supply note`,
      );
      await imported(
        'PLATFORMS',
        `id,name,nameEn,kind,level,regionId,hostOrganisation,source\n${platform},旗标实验室,Flags Lab (illustrative),KEY_LABORATORY,PROVINCIAL,sjz-luquan,测试依托单位,ILLUSTRATIVE`,
      );
      await imported(
        'POLICIES',
        `policyId,policyTitle,issuer,period,measureId,number,title,titleEn,terms,source\n${policy},旗标政策,测试机关,2024—2026,${measure},1,旗标措施,Flags measure,条款一;条款二,ILLUSTRATIVE`,
      );
      // Again with only the required columns: nothing optional is lost.
      const links = await imported(
        'SEGMENT_LINKS',
        `enterpriseId,segmentId,role,source\n${firm},led-packaging,SUPPLIER,PUBLIC`,
      );
      expect(links.summaries[0]).toMatchObject({ updated: 1 });
      await imported('SUPPLIES', `supplierId,customerId,source,section\n${supplier},${firm},PLAN,§3`);
      await imported(
        'PLATFORMS',
        `id,name,kind,level,regionId,source\n${platform},旗标实验室,KEY_LABORATORY,NATIONAL,sjz-luquan,PUBLIC`,
      );
      await imported(
        'POLICIES',
        `policyId,policyTitle,issuer,period,measureId,number,title,source\n${policy},旗标政策,测试机关,2024—2026,${measure},1,旗标措施,PUBLIC`,
      );
      expect(
        await stored(
          `MATCH (e:Enterprise { id: $firm })-[op:OPERATES_IN]->(:ChainSegment { id: 'led-packaging' })
           MATCH (:Enterprise { id: $supplier })-[s:SUPPLIES]->(e)
           MATCH (p:Platform { id: $platform }), (m:PolicyMeasure { id: $measure })
           RETURN op.role AS role, op.mainProducts AS mainProducts, op.note AS linkNote, op.source AS linkSource,
                  s.products AS products, s.note AS supplyNote,
                  p.level AS level, p.nameEn AS platformNameEn, p.hostOrganisation AS host,
                  m.nameEn AS measureNameEn, m.termsJson AS terms`,
          { firm, supplier, platform, measure },
        ),
      ).toEqual({
        role: 'SUPPLIER',
        mainProducts: ['SMD封装', 'COB封装'],
        linkNote: 'link note',
        linkSource: 'PUBLIC',
        products: ['LED芯片'],
        supplyNote: 'supply note',
        level: 'NATIONAL',
        platformNameEn: 'Flags Lab (illustrative)',
        host: '测试依托单位',
        measureNameEn: 'Flags measure',
        // Issue 13: an import without English terms stores none (it used to copy the Chinese into textEn).
        terms: JSON.stringify([{ text: '条款一' }, { text: '条款二' }]),
      });
    });

    it('keeps the flags through the CLI (npm run import) as well', async () => {
      const cliFirm = `${prefix}-flags-cli`;
      await imported(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,highTech,leading,listed,source\n${cliFirm},命令行旗标,sjz-luquan,MEDIUM,1,1,1,PUBLIC`,
      );
      const file = path.join(workDir, 'enterprises.csv');
      await writeFile(
        file,
        `id,name,regionId,sizeBand,source,section,note\n${cliFirm},命令行旗标,sjz-luquan,MEDIUM,PUBLIC,§3,cli\n`,
      );
      const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', file], {
          cwd: PROJECT_ROOT,
          env: { ...process.env, NEO4J_URI: database.config.neo4j.uri, LOG_LEVEL: 'warn' },
        });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('close', (code) => resolve({ code, output }));
      });
      expect(run.code, run.output).toBe(0);
      expect(await flagsOf(cliFirm)).toMatchObject({
        highTech: true,
        leading: true,
        listed: true,
        section: '§3',
      });
    });
  });

  describe('case 7: deeply nested JSON', () => {
    it('refuses a 10k-deep JSON cell with BAD_USER_INPUT naming the record and key, and writes nothing', async () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const content = `[{"id": "${prefix}-deep-ok", "name": "浅", "regionId": "sjz-luquan", "sizeBand": "SMALL", "source": "PUBLIC"},
        {"id": "${prefix}-deep", "name": ${deep}, "regionId": "sjz-luquan", "sizeBand": "SMALL", "source": "PUBLIC"}]`;
      const response = await importRecords('ENTERPRISES', content, 'JSON');
      expect(response.status).toBe(200);
      expect(response.body.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT', argument: 'content' },
      });
      expect(response.body.errors?.[0]?.message).toBe(
        `Argument 'content': record 2, key "name": JSON nested deeper than 10 levels (an import is an array of flat objects, one per row)`,
      );
      expect(
        await stored('MATCH (e:Enterprise) WHERE e.id STARTS WITH $id RETURN count(e) AS n', {
          id: `${prefix}-deep`,
        }),
      ).toEqual({ n: 0 });
    });

    it('refuses a 10k-deep JSON document the same way', async () => {
      const response = await importRecords('ENTERPRISES', '['.repeat(10_000) + ']'.repeat(10_000), 'JSON');
      expect(response.body.errors?.[0]).toMatchObject({
        message: expect.stringMatching(
          /^Argument 'content': record 1: JSON nested deeper than 10 levels/,
        ) as string,
        extensions: { code: 'BAD_USER_INPUT' },
      });
    });

    it('stores a CSV cell holding deep JSON text as the text it is', async () => {
      const text = '['.repeat(10_000) + ']'.repeat(10_000);
      await imported(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,description,source\n${prefix}-deep-text,深文本,sjz-luquan,SMALL,${text},PUBLIC`,
      );
      expect(
        await stored('MATCH (e:Enterprise { id: $id }) RETURN size(e.description) AS n', {
          id: `${prefix}-deep-text`,
        }),
      ).toEqual({ n: 20_000 });
    });
  });

  describe('case 7: duplicate columns', () => {
    it('refuses a CSV with two name columns, naming both, and writes nothing', async () => {
      const response = await importRecords(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,name,source\n${prefix}-twice,第一,sjz-luquan,SMALL,第二,PUBLIC`,
      );
      expect(response.body.data?.importRecords).toEqual({
        written: false,
        summaries: [],
        problems: [{ line: 1, column: 'name', reason: "columns 'name' and 'name' both give name; keep one" }],
      });
      expect(
        await stored('MATCH (e:Enterprise { id: $id }) RETURN count(e) AS n', { id: `${prefix}-twice` }),
      ).toEqual({ n: 0 });
    });

    it('refuses two headers that are aliases of one field (name and 企业名称)', async () => {
      const response = await importRecords(
        'ENTERPRISES',
        `企业名称,id,Name,regionId,sizeBand,source\n第一,${prefix}-alias,第二,sjz-luquan,SMALL,PUBLIC`,
      );
      expect(response.body.data?.importRecords).toMatchObject({
        written: false,
        problems: [
          { line: 1, column: 'Name', reason: "columns '企业名称' and 'Name' both give name; keep one" },
        ],
      });
    });

    it('refuses a JSON object that gives a key twice, and JSON rows mixing aliases', async () => {
      const twice = await importRecords(
        'ENTERPRISES',
        `[{"id": "${prefix}-json-twice", "name": "第一", "regionId": "sjz-luquan", "sizeBand": "SMALL", "source": "PUBLIC", "name": "第二"}]`,
        'JSON',
      );
      expect(twice.body.data?.importRecords).toMatchObject({
        written: false,
        problems: [
          {
            line: 1,
            column: null,
            reason: 'record 1, key "name" is given twice in one object; give each column once',
          },
        ],
      });
      const aliases = await importRecords(
        'SUPPLIES',
        `[{"supplier": "a", "supplierId": "b", "customerId": "c", "source": "PUBLIC"}]`,
        'JSON',
      );
      expect(aliases.body.data?.importRecords.problems).toEqual([
        {
          line: null,
          column: 'supplierId',
          reason: "columns 'supplier' and 'supplierId' both give supplierId; keep one",
        },
      ]);
    });
  });
  describe('case 7: the length of ids, cursors and text is capped, and no error echoes a client value whole', () => {
    const huge = 'x'.repeat(1_900_000);
    const ask = (query: string, variables: Record<string, unknown> = {}) =>
      postGraphQL<unknown>(server.url, { query, variables });

    /** A refusal naming the argument, its length and the maximum: short, and without the value. */
    async function refused(
      query: string,
      variables: Record<string, unknown>,
      argument: string,
      length: number,
      limit: 'MAX_ID_LENGTH' | 'MAX_STRING_ARGUMENT_LENGTH',
    ) {
      const response = await ask(query, variables);
      expect(response.status).toBe(400);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors).toHaveLength(1);
      expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument });
      const max = limit === 'MAX_ID_LENGTH' ? 200 : 2000;
      expect(response.body.errors?.[0]?.message).toBe(
        `Argument '${argument}': ${length} characters long; at most ${max} (${limit})`,
      );
      expect(response.text.length).toBeLessThan(1_000);
    }

    it('refuses a 1.9 MB id with BAD_USER_INPUT naming the argument and the maximum, without echoing it', async () => {
      await refused(
        'query ($id: ID!) { enterprise(id: $id) { id } }',
        { id: huge },
        'id',
        huge.length,
        'MAX_ID_LENGTH',
      );
      await refused(
        'query ($id: ID!) { chainGaps(chainId: $id, regionId: "shijiazhuang") { region { id } } }',
        { id: huge },
        'chainId',
        huge.length,
        'MAX_ID_LENGTH',
      );
    });

    it('checks ids wherever they are: nested fields in fragments, input objects, list items, literals', async () => {
      const long = 'y'.repeat(201);
      await refused(
        `query { segment(id: "led-packaging") { ...Firms } }
         fragment Firms on ChainSegment { enterprises(regionId: "${long}") { role } }`,
        {},
        'regionId',
        201,
        'MAX_ID_LENGTH',
      );
      await refused(
        'query ($f: EnterpriseFilter) { enterprises(filter: $f) { totalCount } }',
        { f: { chainId: long } },
        'filter.chainId',
        201,
        'MAX_ID_LENGTH',
      );
      await refused(
        'query ($r: ID!) { compareRegions(chainId: "led", regionIds: ["shijiazhuang", $r]) { chain { id } } }',
        { r: long },
        'regionIds[1]',
        201,
        'MAX_ID_LENGTH',
      );
      // At the limit an id is looked up as usual, and the message quotes it clipped.
      const atLimit = await ask(
        'query ($id: ID!) { chainGaps(chainId: $id, regionId: "shijiazhuang") { region { id } } }',
        {
          id: 'z'.repeat(200),
        },
      );
      expect(atLimit.body.errors?.[0]).toMatchObject({
        message: `Argument 'chainId': no IndustrialChain with id '${'z'.repeat(64)}…'`,
        extensions: { code: 'BAD_USER_INPUT', argument: 'chainId' },
      });
    });

    it('refuses an over-long cursor and search text, naming them', async () => {
      await refused(
        'query ($after: String) { enterprises(after: $after) { totalCount } }',
        { after: 'a'.repeat(2_001) },
        'after',
        2_001,
        'MAX_STRING_ARGUMENT_LENGTH',
      );
      await refused(
        'query ($text: String!) { search(text: $text) { __typename } }',
        { text: huge },
        'text',
        huge.length,
        'MAX_STRING_ARGUMENT_LENGTH',
      );
      // A cursor within the limit that is not ours is refused without being quoted.
      const forged = await ask('query ($after: String) { enterprises(after: $after) { totalCount } }', {
        after: 'b'.repeat(2_000),
      });
      expect(forged.body.errors?.[0]).toMatchObject({
        message: "Argument 'after': not a cursor returned by this API",
        extensions: { code: 'BAD_USER_INPUT' },
      });
    });

    it("clips client values that graphql-js quotes (an enum variable, a field name) and an import's cells", async () => {
      const badEnum = await ask('query ($s: Stage) { enterprises(filter: { stage: $s }) { totalCount } }', {
        s: huge,
      });
      expect(badEnum.status).toBe(400);
      expect(badEnum.body.errors?.[0]?.message).toContain(`"${'x'.repeat(64)}…"`);
      expect(badEnum.text.length).toBeLessThan(2_000);
      const badField = await ask(`{ ${'f'.repeat(100_000)} }`);
      expect(badField.body.errors?.[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(badField.text.length).toBeLessThan(2_000);
      const badCell = await importRecords(
        'ENTERPRISES',
        `id,name,regionId,sizeBand,source\n${'Q'.repeat(100_000)},坏编号,${'r'.repeat(100_000)},SMALL,PUBLIC`,
      );
      expect(badCell.body.data?.importRecords.problems).toEqual([
        {
          line: 2,
          column: 'id',
          reason: `'${'Q'.repeat(64)}…' is not an id (lowercase letters, digits and hyphens, e.g. ent-abc)`,
        },
        {
          line: 2,
          column: 'regionId',
          reason: `no Region with id '${'r'.repeat(64)}…'`,
        },
      ]);
    });
  });

  describe('case 7: degenerate target-firm weights', () => {
    const TARGETS = `query ($weights: TargetWeights) {
      targetFirms(chainId: "ic", regionId: "shijiazhuang", first: 30, weights: $weights) {
        recommendations { enterprise { id } score factors { name value weight } }
      }
    }`;
    interface Targets {
      targetFirms: {
        recommendations: {
          enterprise: { id: string };
          score: number;
          factors: { name: string; value: number; weight: number }[];
        }[];
      };
    }
    const only = (fit: number) => ({ fit, capability: 0, linkage: 0, proximity: 0, breadth: 0 });

    it('scores { fit: 5e-324, others 0 } as the fit factor alone (the same as { fit: 1 }), not 100 for every firm', async () => {
      const tiny = await postGraphQL<Targets>(server.url, {
        query: TARGETS,
        variables: { weights: only(5e-324) },
      });
      const unit = await postGraphQL<Targets>(server.url, {
        query: TARGETS,
        variables: { weights: only(1) },
      });
      expect(tiny.body.errors).toBeUndefined();
      const ranked = tiny.body.data!.targetFirms.recommendations;
      expect(ranked.length).toBeGreaterThan(1);
      for (const recommendation of ranked) {
        const fit = recommendation.factors.find((factor) => factor.name === 'FIT')!;
        expect(recommendation.score).toBeCloseTo(100 * fit.value, 2);
        expect(fit.weight).toBe(5e-324);
      }
      // The seed has firms whose fit is below 1, so "every firm scores 100" would show here.
      expect(ranked.some((recommendation) => recommendation.score < 100)).toBe(true);
      const summary = (answer: Targets) =>
        answer.targetFirms.recommendations.map((entry) => [entry.enterprise.id, entry.score]);
      expect(summary(tiny.body.data!)).toEqual(summary(unit.body.data!));
    });

    it('refuses all-zero and negative weights with BAD_USER_INPUT naming the argument', async () => {
      const zero = await postGraphQL<Targets>(server.url, {
        query: TARGETS,
        variables: { weights: only(0) },
      });
      expect(zero.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'weights',
      });
      const negative = await postGraphQL<Targets>(server.url, {
        query: TARGETS,
        variables: { weights: { ...only(1), linkage: -1e-300 } },
      });
      expect(negative.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'weights.linkage',
      });
    });
  });
});
