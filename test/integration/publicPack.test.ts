import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The public data pack as the seed load leaves it (the global setup loads the seeds, pack included): the listed
 * companies, their segment links by industry class, the regions of China, and the curated firms it completes. Read
 * over HTTP where the API shows it, counted through the executor where no API field counts it.
 */
describe('public data pack', () => {
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  async function query<T>(text: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { status, body } = await postGraphQL<T>(server.url, { query: text, variables });
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    expect(status).toBe(200);
    return body.data!;
  }

  async function count(statement: string): Promise<number> {
    const [row] = await database.executor.read('pack-count', cypher(statement));
    return Number(row?.['n']);
  }

  it('loads at least 5,000 PUBLIC enterprises with a stock code, and no second node for a curated listed firm', async () => {
    expect(
      await count(
        `MATCH (e:Enterprise) WHERE e.source = 'PUBLIC' AND e.stockCode IS NOT NULL RETURN count(e) AS n`,
      ),
    ).toBeGreaterThanOrEqual(5000);
    // The pack completes a curated firm that has the code instead of adding its own record for it.
    expect(
      await count(
        `MATCH (c:Enterprise) WHERE NOT c.id STARTS WITH 'listed-' AND c.stockCode IS NOT NULL
         MATCH (p:Enterprise) WHERE p.id STARTS WITH 'listed-' AND p.stockCode = c.stockCode
         RETURN count(p) AS n`,
      ),
    ).toBe(0);
    expect(
      await count(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH 'listed-' WITH e.stockCode AS code, count(*) AS c WHERE c > 1 RETURN count(code) AS n`,
      ),
    ).toBe(0);
  });

  it('links at least 600 of them to segments of the five chains', async () => {
    expect(
      await count(
        `MATCH (e:Enterprise)-[:OPERATES_IN]->(s:ChainSegment)
         WHERE e.source = 'PUBLIC' AND e.stockCode IS NOT NULL AND s.chainId IN ['military-civil', 'nev', 'led', 'ic', 'biomedicine']
         RETURN count(DISTINCT e) AS n`,
      ),
    ).toBeGreaterThanOrEqual(600);
  });

  it('has at least 20 real enterprises in Shijiazhuang (the city or its sub-regions)', async () => {
    const data = await query<{ enterprises: { totalCount: number } }>(
      `{ enterprises(filter: { regionId: "shijiazhuang", sources: [PLAN, PUBLIC] }, first: 1) { totalCount } }`,
    );
    expect(data.enterprises.totalCount).toBeGreaterThanOrEqual(20);
  });

  it('keeps 600812.SH one node: the curated 华北制药 with its stated segments and the listed fields', async () => {
    expect(await count(`MATCH (e:Enterprise {stockCode: '600812.SH'}) RETURN count(e) AS n`)).toBe(1);
    const { enterprise } = await query<{
      enterprise: {
        id: string;
        name: string;
        stockCode: string;
        shortName: string;
        ownership: string | null;
        controller: string | null;
        market: string;
        listedOn: string;
        industryClass: { scheme: string; code: string | null; name: string };
        segments: { segment: { id: string }; basis: string; mainProducts: string[] }[];
      };
    }>(
      `{ enterprise(id: "ent-ncpc") { id name stockCode shortName ownership controller market listedOn
           industryClass { scheme code name } segments { segment { id } basis mainProducts } } }`,
    );
    expect(enterprise).toMatchObject({
      id: 'ent-ncpc',
      name: '华北制药股份有限公司',
      stockCode: '600812.SH',
      shortName: '华北制药',
      market: 'MAIN_BOARD',
      listedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      industryClass: { scheme: 'SW2021' },
    });
    expect(enterprise.segments.length).toBeGreaterThan(0);
    // Its stated links stay; the pack adds none derived from its industry to a curated firm.
    for (const link of enterprise.segments) {
      expect(link.basis).toBe('STATED');
      expect(link.mainProducts.length).toBeGreaterThan(0);
    }
  });

  it('shows a derived link with basis INDUSTRY_CLASSIFICATION, no products, and the table in its provenance', async () => {
    const [row] = await database.executor.read(
      'pack-derived',
      cypher(
        `MATCH (r:Region)<-[:LOCATED_IN]-(e:Enterprise)-[o:OPERATES_IN]->(:ChainSegment {id: 'bio-chemical-formulations'})
         WHERE o.basis = 'INDUSTRY_CLASSIFICATION' RETURN e.id AS id, r.id AS regionId ORDER BY e.id LIMIT 1`,
      ),
    );
    const id = String(row?.['id']);
    const regionId = String(row?.['regionId']);
    expect(id).toMatch(/^listed-\d{6}-(sh|sz|bj)$/);
    const { enterprise, segment } = await query<{
      enterprise: {
        sizeBand: string;
        industryClass: { name: string };
        provenance: { source: string; note: string };
        segments: {
          segment: { id: string };
          role: string;
          basis: string;
          mainProducts: string[];
          provenance: { source: string; note: string };
        }[];
      };
      segment: { own: { enterprise: { id: string }; basis: string }[]; local: { basis: string }[] };
    }>(
      `query ($id: ID!, $regionId: ID!) {
         enterprise(id: $id) { sizeBand industryClass { name } provenance { source note }
           segments { segment { id } role basis mainProducts provenance { source note } } }
         segment(id: "bio-chemical-formulations") {
           own: enterprises(regionId: $regionId, first: 100) { enterprise { id } basis }
           local: enterprises(regionId: "shijiazhuang", first: 100) { basis } }
       }`,
      { id, regionId },
    );
    expect(enterprise.sizeBand).toBe('UNKNOWN');
    expect(enterprise.industryClass.name).toBe('化学制剂');
    expect(enterprise.provenance).toMatchObject({
      source: 'PUBLIC',
      note: expect.stringContaining('2025-06-18'),
    });
    expect(enterprise.segments).toEqual([
      {
        segment: { id: 'bio-chemical-formulations' },
        role: 'CORE',
        basis: 'INDUSTRY_CLASSIFICATION',
        mainProducts: [],
        provenance: { source: 'PUBLIC', note: expect.stringContaining('industry-segments.json') },
      },
    ]);
    // The segment's side shows the same basis: the derived firm's, and the curated Shijiazhuang firms' stated ones.
    expect(segment.own.find((edge) => edge.enterprise.id === id)?.basis).toBe('INDUSTRY_CLASSIFICATION');
    expect(segment.local.length).toBeGreaterThan(0);
    for (const edge of segment.local) expect(edge.basis).toBe('STATED');
  });

  it('places a listed company in the city its registered name begins with, else in its province', async () => {
    const data = await query<{
      changshan: { region: { id: string }; shortName: string };
      jizhong: { region: { id: string } } | null;
      shenzhen: { region: { id: string } };
    }>(
      `{ changshan: enterprise(id: "listed-000158-sz") { shortName region { id } }
         jizhong: enterprise(id: "listed-000937-sz") { region { id } }
         shenzhen: enterprise(id: "listed-000001-sz") { region { id } } }`,
    );
    expect(data.changshan).toEqual({ shortName: '常山北明', region: { id: 'shijiazhuang' } });
    // 冀中能源股份有限公司: registered in 河北, its name names no city.
    expect(data.jizhong?.region.id).toBe('hebei');
    // The list gives 深圳 apart from 广东.
    expect(data.shenzhen.region.id).toBe('shenzhen');
    expect(
      await count(
        `MATCH (e:Enterprise)-[:LOCATED_IN]->(:Region {id: 'china'}) WHERE e.id STARTS WITH 'listed-' RETURN count(e) AS n`,
      ),
    ).toBe(5);
  });

  it('gives every province-level division and prefecture-level city a GB/T 2260 code, unique', async () => {
    expect(
      await count(
        `MATCH (r:Region) WHERE r.level IN ['PROVINCE', 'MUNICIPALITY', 'CITY'] AND r.code IS NULL RETURN count(r) AS n`,
      ),
    ).toBe(0);
    expect(
      await count(`MATCH (r:Region) WHERE r.level IN ['PROVINCE', 'MUNICIPALITY'] RETURN count(r) AS n`),
    ).toBe(31);
    expect(await count(`MATCH (r:Region {level: 'CITY'}) RETURN count(r) AS n`)).toBeGreaterThanOrEqual(333);
    expect(
      await count(
        `MATCH (r:Region) WHERE r.code IS NOT NULL WITH r.code AS code, count(*) AS c WHERE c > 1 RETURN count(code) AS n`,
      ),
    ).toBe(0);
    const data = await query<{ regions: { id: string; code: string | null }[]; nantong: unknown }>(
      `{ regions(level: PROVINCE) { id code } nantong: region(id: "cn-320600") { name code level parent { id } } }`,
    );
    for (const region of data.regions) expect(region.code, region.id).toMatch(/^\d{2}0000$/);
    expect(data.nantong).toEqual({
      name: '南通市',
      code: '320600',
      level: 'CITY',
      parent: { id: 'jiangsu' },
    });
  });

  it('keeps the existing region ids working, with their codes', async () => {
    const data = await query<
      Record<string, { id: string; code: string | null; parent: { id: string } | null }>
    >(
      `{ sjz: region(id: "shijiazhuang") { id code parent { id } }
         gaoxin: region(id: "sjz-gaoxin") { id code parent { id } }
         hebei: region(id: "hebei") { id code parent { id } } }`,
    );
    expect(data['sjz']).toEqual({ id: 'shijiazhuang', code: '130100', parent: { id: 'hebei' } });
    expect(data['gaoxin']).toMatchObject({ id: 'sjz-gaoxin', parent: { id: 'shijiazhuang' } });
    expect(data['hebei']).toEqual({ id: 'hebei', code: '130000', parent: { id: 'china' } });
  });

  it('moves the curated outside firms to the city of their registered address', async () => {
    const data = await query<Record<string, { region: { id: string; name: string } }>>(
      `{ tongfu: enterprise(id: "ent-tongfu") { region { id name } }
         hengrui: enterprise(id: "ent-hengrui") { region { id name } }
         sanhuan: enterprise(id: "ent-sanhuan") { region { id name } }
         jonhon: enterprise(id: "ent-jonhon") { region { id name } }
         avicUas: enterprise(id: "ent-avic-uas") { region { id name } } }`,
    );
    expect(data['tongfu']?.region.name).toBe('南通市');
    expect(data['hengrui']?.region.name).toBe('连云港市');
    expect(data['sanhuan']?.region.name).toBe('潮州市');
    expect(data['jonhon']?.region.name).toBe('洛阳市');
    // 中航（成都）无人机系统股份有限公司: its registered name says 成都.
    expect(data['avicUas']?.region.name).toBe('成都市');
  });
});
