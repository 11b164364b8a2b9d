import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionScanQuery, connectionStopQuery, encodeCursor } from '../../src/data/graph/queries.js';
import { NodeLabel, RelationshipType } from '../../src/data/model.js';
import { upsertAll } from '../../src/data/upsert.js';
import {
  deleteByPrefix,
  openTestDatabase,
  profiled,
  testConfig,
  uniquePrefix,
  type TestDatabase,
} from '../support/database.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';
import { enterpriseRow, locationLinks, regionPair } from '../support/listFixtures.js';
import { selectionFor } from '../support/selection.js';

/**
 * Filters, keyset pagination, provenance and the round-trip bound, on data this file creates under its own
 * region (a child of Shijiazhuang, with a child of its own, to check that sub-regions are included).
 */

interface TestFirm {
  readonly id: string;
  readonly name: string;
  readonly region: 'parent' | 'child';
  readonly source?: 'PUBLIC' | 'ILLUSTRATIVE';
  readonly highTech?: boolean;
  readonly sizeBand?: string;
  readonly segments?: readonly { readonly segmentId: string; readonly source?: 'PUBLIC' | 'ILLUSTRATIVE' }[];
}

const ENTERPRISE_PAGE = `query Page($filter: EnterpriseFilter, $first: Int, $after: String, $orderBy: EnterpriseOrder) {
  enterprises(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

type Page = {
  enterprises: {
    totalCount: number;
    edges: { cursor: string; node: { id: string; name: string } }[];
    nodes: { id: string }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
};

describe('enterprise lists', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  const prefix = uniquePrefix('lists');
  const parentRegion = `${prefix}-region`;
  const childRegion = `${prefix}-subregion`;

  async function createFirms(firms: readonly TestFirm[]): Promise<void> {
    const rows = firms.map((firm) => enterpriseRow({ ...firm, source: firm.source ?? 'PUBLIC' }));
    await upsertAll(
      database.executor,
      'test-data',
      [{ label: NodeLabel.Enterprise, rows }],
      [
        locationLinks(
          firms.map((firm) => ({
            firm: firm.id,
            region: firm.region === 'parent' ? parentRegion : childRegion,
            source: 'PUBLIC',
          })),
        ),
        {
          type: RelationshipType.OPERATES_IN,
          from: NodeLabel.Enterprise,
          to: NodeLabel.ChainSegment,
          rows: firms.flatMap((firm) =>
            (firm.segments ?? []).map((segment) => ({
              from: firm.id,
              to: segment.segmentId,
              properties: { role: 'CORE', mainProducts: [], source: segment.source ?? 'PUBLIC' },
            })),
          ),
        },
      ],
    );
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    const { regions, partOf } = regionPair(prefix, parentRegion, childRegion);
    await upsertAll(database.executor, 'test-data', [regions], [partOf]);
    await createFirms([
      // One firm in an LED upstream segment and an IC midstream segment: "LED midstream" must not match it.
      {
        id: `${prefix}-mixed`,
        name: '测试混合企业',
        region: 'parent',
        segments: [{ segmentId: 'led-substrates' }, { segmentId: 'ic-wafer-fab' }],
      },
      {
        id: `${prefix}-led-mid`,
        name: '测试LED封装',
        region: 'child',
        highTech: true,
        segments: [{ segmentId: 'led-packaging' }],
      },
      {
        id: `${prefix}-illustrative`,
        name: '测试示例企业',
        region: 'parent',
        source: 'ILLUSTRATIVE',
        segments: [{ segmentId: 'led-packaging' }],
      },
      {
        id: `${prefix}-weak-link`,
        name: '测试弱链接企业',
        region: 'parent',
        segments: [{ segmentId: 'led-packaging', source: 'ILLUSTRATIVE' }],
      },
      { id: `${prefix}-large`, name: '测试大型企业', region: 'child', sizeBand: 'LARGE', highTech: true },
    ]);
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await database.close();
  });

  const ids = async (filter: Record<string, unknown>) => {
    const page = await graphql.data<Page>(ENTERPRISE_PAGE, {
      filter: { regionId: parentRegion, ...filter },
      first: 100,
    });
    return page.enterprises.nodes.map((node) => node.id).sort();
  };

  it('includes sub-regions in a region filter', async () => {
    expect(await ids({})).toEqual(
      [
        `${prefix}-illustrative`,
        `${prefix}-large`,
        `${prefix}-led-mid`,
        `${prefix}-mixed`,
        `${prefix}-weak-link`,
      ].sort(),
    );
    expect(await ids({ regionId: childRegion })).toEqual([`${prefix}-large`, `${prefix}-led-mid`]);
  });

  it('meets chain and stage with one and the same segment link', async () => {
    expect(await ids({ chainId: 'led', stage: 'MIDSTREAM' })).toEqual(
      [`${prefix}-illustrative`, `${prefix}-led-mid`, `${prefix}-weak-link`].sort(),
    );
    expect(await ids({ chainId: 'led', stage: 'UPSTREAM' })).toEqual([`${prefix}-mixed`]);
    expect(await ids({ chainId: 'ic' })).toEqual([`${prefix}-mixed`]);
  });

  it('includes narrower segments in a segment filter', async () => {
    // led-packaging's test firms are found through any broader segment it belongs to.
    const [broader] = await database.executor.read('test', {
      cypher: "MATCH (:ChainSegment { id: 'led-packaging' })-[:SUBSEGMENT_OF]->(p) RETURN p.id AS id",
      params: {},
    });
    const segmentId = typeof broader?.['id'] === 'string' ? broader['id'] : 'led-packaging';
    expect(await ids({ segmentId })).toEqual(
      [`${prefix}-illustrative`, `${prefix}-led-mid`, `${prefix}-weak-link`].sort(),
    );
  });

  it('filters by flags and size bands', async () => {
    expect(await ids({ highTech: true })).toEqual([`${prefix}-large`, `${prefix}-led-mid`]);
    expect(await ids({ highTech: true, sizeBands: ['LARGE'] })).toEqual([`${prefix}-large`]);
    expect(await ids({ highTech: false, sizeBands: ['LARGE'] })).toEqual([]);
  });

  it('leaves out illustrative nodes, and illustrative links the filter relies on, when asked', async () => {
    expect(await ids({ chainId: 'led', stage: 'MIDSTREAM', sources: ['PLAN', 'PUBLIC'] })).toEqual([
      `${prefix}-led-mid`,
    ]);
    // Without a chain condition the firm with the illustrative link is still a real firm in the region.
    expect(await ids({ sources: ['PLAN', 'PUBLIC'] })).toEqual(
      [`${prefix}-large`, `${prefix}-led-mid`, `${prefix}-mixed`, `${prefix}-weak-link`].sort(),
    );
  });

  it('pages with keyset cursors: no duplicates or misses, stable while rows are inserted', async () => {
    const pageFirms: TestFirm[] = Array.from({ length: 23 }, (_, index) => ({
      id: `${prefix}-page-${String(index).padStart(2, '0')}`,
      name: `分页企业${String(index).padStart(2, '0')}`,
      region: 'child' as const,
    }));
    await createFirms(pageFirms);
    const filter = { regionId: childRegion, sizeBands: ['SMALL'] };
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    let inserted = false;
    for (;;) {
      const page: Page = await graphql.data<Page>(ENTERPRISE_PAGE, { filter, first: 5, after });
      pages += 1;
      expect(page.enterprises.pageInfo.hasPreviousPage).toBe(after !== null);
      seen.push(...page.enterprises.edges.map((edge) => edge.node.id));
      if (!inserted) {
        // After the first page: rows sorting before the cursor and after it appear mid-iteration.
        await createFirms([
          { id: `${prefix}-page-early`, name: '分页企业00a', region: 'child' },
          { id: `${prefix}-page-late`, name: '分页企业99', region: 'child' },
        ]);
        inserted = true;
      }
      if (!page.enterprises.pageInfo.hasNextPage) break;
      after = page.enterprises.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const firm of pageFirms) expect(seen).toContain(firm.id);
    // The row inserted behind the cursor is not seen; the one ahead of it is.
    expect(seen).not.toContain(`${prefix}-page-early`);
    expect(seen).toContain(`${prefix}-page-late`);
    expect(pages).toBe(5);
  });

  it('pages in descending order and by id too', async () => {
    const collect = async (orderBy: Record<string, string>) => {
      const all: { name: string; id: string }[] = [];
      let after: string | null = null;
      for (;;) {
        const page: Page = await graphql.data<Page>(ENTERPRISE_PAGE, {
          filter: { regionId: parentRegion },
          first: 4,
          after,
          orderBy,
        });
        all.push(...page.enterprises.edges.map((edge) => edge.node));
        if (!page.enterprises.pageInfo.hasNextPage) return all;
        after = page.enterprises.pageInfo.endCursor;
      }
    };
    // Neo4j orders strings by code point; these names are all in the Basic Multilingual Plane, where that is
    // the same as comparing JavaScript strings.
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const byNameThenId = (a: { name: string; id: string }, b: { name: string; id: string }) =>
      compare(a.name, b.name) || compare(a.id, b.id);
    const descending = await collect({ field: 'NAME', direction: 'DESC' });
    expect(descending.length).toBeGreaterThan(20);
    expect(descending).toEqual([...descending].sort(byNameThenId).reverse());
    const byId = (await collect({ field: 'ID', direction: 'ASC' })).map((firm) => firm.id);
    expect(byId).toEqual([...byId].sort(compare));
  });

  it('computes totalCount only when selected', async () => {
    const without = await graphql.run(
      `{ enterprises(filter: { regionId: "${parentRegion}" }) { nodes { id } } }`,
    );
    const withCount = await graphql.run(
      `{ enterprises(filter: { regionId: "${parentRegion}" }) { totalCount } }`,
    );
    expect(without.statements[0]).not.toContain('count(DISTINCT n) AS totalCount');
    expect(without.statements[0]).toContain('null AS totalCount');
    expect(withCount.statements[0]).toContain('count(DISTINCT n) AS totalCount');
  });

  it('rejects bad arguments with BAD_USER_INPUT naming the argument', async () => {
    const tooMany = await graphql.run(ENTERPRISE_PAGE, { first: 100_000 });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const badCursor = await graphql.run(ENTERPRISE_PAGE, { after: 'not-a-cursor' });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    const unknownChain = await graphql.run(ENTERPRISE_PAGE, { filter: { chainId: 'no-such-chain' } });
    expect(unknownChain.errors?.[0]).toMatchObject({
      message: "Argument 'filter.chainId': no IndustrialChain with id 'no-such-chain'",
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const wrongOrder = await graphql.data<Page>(ENTERPRISE_PAGE, { first: 1 });
    const mismatched = await graphql.run(ENTERPRISE_PAGE, {
      after: wrongOrder.enterprises.pageInfo.endCursor,
      orderBy: { field: 'ID', direction: 'DESC' },
    });
    expect(mismatched.errors?.[0]?.message).toContain('the cursor was made for order NAME ASC');
  });
});

describe('the round-trip bound', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  beforeAll(async () => {
    database = await openTestDatabase();
    // These tests are about round trips, not response size or price: the deep selection below could return far more values in
    // the worst case (a 50-firm page under every segment of every chain) than the default MAX_RESPONSE_ROWS allows,
    // although the seed holds few; the row budget has tests of its own (rowBudget.test.ts).
    graphql = await createTestGraphQL(
      database.executor,
      testConfig({ MAX_RESPONSE_ROWS: '50000000', MAX_QUERY_COST: '100000000' }),
    );
  });
  afterAll(async () => {
    await graphql.stop();
    await database.close();
  });

  it('answers a deep selection over many rows with one statement per root field', async () => {
    const deep = `{
      chains {
        id
        segments {
          id
          feeds { segment { id chain { id } } provenance { source } }
          enterprises(first: 50) {
            enterprise {
              id
              region { id parent { id } }
              suppliers { enterprise { id region { id } } products }
              segments { segment { id stage } }
              platforms { id }
            }
            role
          }
          platforms { id region { id } }
        }
        programmes { number projects { id enterprises { id } } }
      }
    }`;
    const result = await graphql.run<{ chains: { segments: { enterprises: unknown[] }[] }[] }>(deep);
    expect(result.errors).toBeUndefined();
    const rows = result.data!.chains.flatMap((chain) =>
      chain.segments.flatMap((segment) => segment.enterprises),
    ).length;
    expect(rows).toBeGreaterThan(200);
    expect(result.roundTrips).toBe(1);
  });

  it('costs one statement per root field, whatever the page size', async () => {
    const small = await graphql.run('{ enterprises(first: 1) { nodes { id segments { segment { id } } } } }');
    const large = await graphql.run(
      '{ enterprises(first: 100) { nodes { id segments { segment { id } } } } }',
    );
    expect(small.roundTrips).toBe(1);
    expect(large.roundTrips).toBe(1);
    const three = await graphql.run(
      '{ a: chain(id: "ic") { id } b: enterprise(id: "ent-shiyao") { id } c: search(text: "光刻") { id } }',
    );
    expect(three.roundTrips).toBe(3);
  });

  it('answers two aliases of one field with different arguments', async () => {
    const data = await graphql.data<{
      chain: { upstream: { stage: string }[]; downstream: { stage: string }[] };
    }>(
      '{ chain(id: "nev") { upstream: segments(stage: UPSTREAM) { stage } downstream: segments(stage: DOWNSTREAM) { stage } } }',
    );
    expect(data.chain.upstream.length).toBeGreaterThan(0);
    expect(data.chain.upstream.every((segment) => segment.stage === 'UPSTREAM')).toBe(true);
    expect(data.chain.downstream.every((segment) => segment.stage === 'DOWNSTREAM')).toBe(true);
  });

  it('honours fragments, inline fragments and @include / @skip', async () => {
    const data = await graphql.data<{ enterprise: Record<string, unknown> }>(
      `query ($withRegion: Boolean!) {
        enterprise(id: "ent-shiyao") { ...Basics ... on Enterprise { nameEn } region @include(if: $withRegion) { id } sizeBand @skip(if: true) }
      }
      fragment Basics on Enterprise { id name }`,
      { withRegion: true },
    );
    expect(Object.keys(data.enterprise).sort()).toEqual(['id', 'name', 'nameEn', 'region']);
  });
});

describe('pages read in index order (a region with more located than LIST_ANCHOR_LIMIT, or no region)', () => {
  // Every page of this block is read by the ordered scan (LIST_ANCHOR_LIMIT 0) and stops after SCAN nodes, so the
  // short pages and their continuation are exercised on a graph of test size.
  const SCAN = 25;
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let roomy: TestGraphQL;
  const prefix = uniquePrefix('scan');
  const region = `${prefix}-region`;
  const subregion = `${prefix}-subregion`;
  // Names above every other test's (a fullwidth tilde sorts after CJK and Latin), ids after the prefix: a scan
  // started from a cursor just before the block reads the block and little else, so paging to the end is quick.
  const HIGH = '～';
  const NAMES = ['甲', '乙', '丙', '丁', '戊'];
  interface Firm {
    readonly id: string;
    readonly name: string;
    readonly region: string;
    readonly highTech: boolean;
    readonly sizeBand: string;
  }
  const firms: Firm[] = Array.from({ length: 60 }, (_, index) => ({
    id: `${prefix}-${String(index).padStart(2, '0')}`,
    // Few names: many ties, broken by id.
    name: `${HIGH}${prefix}${NAMES[(index * 7) % NAMES.length]}`,
    region: index % 3 === 0 ? subregion : region,
    highTech: index % 4 !== 1,
    sizeBand: ['SMALL', 'MEDIUM', 'LARGE'][index % 3]!,
  }));

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(
      database.executor,
      testConfig({ LIST_ANCHOR_LIMIT: '0', LIST_SCAN_LIMIT: String(SCAN) }),
    );
    roomy = await createTestGraphQL(database.executor, testConfig({ LIST_SCAN_LIMIT: String(SCAN) }));
    const pair = regionPair(prefix, region, subregion);
    await upsertAll(
      database.executor,
      'test-data',
      [
        pair.regions,
        {
          label: NodeLabel.Enterprise,
          rows: firms.map((firm) => enterpriseRow({ ...firm, source: 'ILLUSTRATIVE' })),
        },
      ],
      [
        pair.partOf,
        locationLinks(firms.map((firm) => ({ firm: firm.id, region: firm.region, source: 'ILLUSTRATIVE' }))),
      ],
    );
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await roomy.stop();
    await database.close();
  });

  const PAGE = `query Page($filter: EnterpriseFilter, $first: Int, $after: String, $orderBy: EnterpriseOrder) {
    enterprises(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      nodes { id name }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  type ScanPage = {
    enterprises: {
      nodes: { id: string; name: string }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    };
  };

  /** Every page from `after` to the end: the ids in order. */
  async function pageThrough(
    filter: Record<string, unknown>,
    orderBy: { field: 'NAME' | 'ID'; direction: 'ASC' },
    first: number,
    after: string,
  ): Promise<{ ids: string[] }> {
    const ids: string[] = [];
    let cursor: string | null = after;
    for (let pages = 0; cursor !== null; pages += 1) {
      expect(pages, 'pages before the end').toBeLessThan(400);
      const page: ScanPage = await graphql.data<ScanPage>(PAGE, { filter, orderBy, first, after: cursor });
      const { nodes, pageInfo } = page.enterprises;
      expect(nodes.length).toBeLessThanOrEqual(first);
      ids.push(...nodes.map((node) => node.id));
      if (pageInfo.hasNextPage) expect(pageInfo.endCursor).not.toBeNull();
      cursor = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    }
    return { ids };
  }

  it('pages through every match exactly once, in order, short pages included (random filters, orders, sizes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          regionId: fc.constantFrom(undefined, region, subregion),
          highTech: fc.constantFrom(undefined, true, false),
          sizeBands: fc.constantFrom<readonly string[] | undefined>(
            undefined,
            ['SMALL'],
            ['MEDIUM', 'LARGE'],
          ),
        }),
        fc.constantFrom('NAME' as const, 'ID' as const),
        fc.integer({ min: 1, max: 9 }),
        async (drawn, field, first) => {
          const filter = Object.fromEntries(Object.entries(drawn).filter(([, value]) => value !== undefined));
          // The plain reference: the block's firms that pass, sorted by the key and then the id.
          const expected = firms
            .filter(
              (firm) =>
                drawn.regionId === undefined || drawn.regionId === region || firm.region === subregion,
            )
            .filter((firm) => drawn.highTech === undefined || firm.highTech === drawn.highTech)
            .filter((firm) => drawn.sizeBands === undefined || drawn.sizeBands.includes(firm.sizeBand))
            // Neo4j orders strings by code point, as < does.
            .sort((a, b) =>
              field === 'NAME' && a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? -1 : 1,
            )
            .map((firm) => firm.id);
          // Start just before the block (a cursor is a keyset: any key and id will do).
          const after = encodeCursor(
            field === 'ID'
              ? { field, direction: 'ASC', key: prefix, id: prefix }
              : { field, direction: 'ASC', key: `${HIGH}${prefix}`, id: '' },
          );
          const { ids } = await pageThrough(filter, { field, direction: 'ASC' }, first, after);
          // Sorted by id, the scan goes on past the block through later ids of other tests: only ours count.
          expect(ids.filter((id) => id.startsWith(`${prefix}-`))).toEqual(expected);
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('gives short pages that go on where the read stopped when few of the nodes read pass', async () => {
    // 5 of the 60 firms pass, one in every twelve by index: no run of SCAN firms holds first + 1 of them.
    const sparse = firms.filter((firm) => !firm.highTech && firm.sizeBand === 'SMALL').map((firm) => firm.id);
    expect(sparse).toHaveLength(5);
    const after = encodeCursor({ field: 'ID', direction: 'ASC', key: prefix, id: prefix });
    const page = await graphql.data<ScanPage>(PAGE, {
      filter: { regionId: region, highTech: false, sizeBands: ['SMALL'] },
      orderBy: { field: 'ID', direction: 'ASC' },
      first: 4,
      after,
    });
    const { nodes, pageInfo } = page.enterprises;
    expect(nodes.length).toBeLessThan(4);
    expect(nodes.map((node) => node.id)).toEqual(sparse.slice(0, nodes.length));
    expect(pageInfo.hasNextPage).toBe(true);
    // The cursor is where the read stopped (the SCAN-th firm from the start), not the last firm returned.
    const { ids } = await pageThrough(
      { regionId: region, highTech: false, sizeBands: ['SMALL'] },
      { field: 'ID', direction: 'ASC' },
      4,
      after,
    );
    expect(ids).toEqual(sparse);
  });

  it('reads at most LIST_SCAN_LIMIT nodes of the index for a page, however few pass', async () => {
    const limits = { maxPageSize: 100, maxTraversalDepth: 6, listAnchorLimit: 0, listScanLimit: SCAN };
    const request = {
      typeName: 'Enterprise',
      // A filter nothing passes: without the limit the scan would read the whole label.
      where: (node: string) => [`${node}.id = 'no such firm'`],
      references: [],
      sort: { field: 'NAME', direction: 'ASC' as const, property: 'name' as const },
      first: 10,
      after: null,
      selection: selectionFor('{ enterprises { nodes { id } } }'),
    };
    const { records, operators } = await profiled(database, connectionScanQuery(request, limits));
    expect(records[0]!.get('rows')).toEqual([]);
    const scan = operators.find((operator) => operator.operatorType.startsWith('NodeIndexScan'));
    expect(scan, 'the page is read from the name index').toBeDefined();
    expect(scan!.rows).toBeLessThanOrEqual(SCAN + 1);
    expect(operators.some((operator) => operator.operatorType.startsWith('Sort'))).toBe(false);
    // There are more firms than that, so the page is short and the stop is the SCAN-th firm by name.
    const [stop] = (await profiled(database, connectionStopQuery(request, limits))).records;
    expect(stop?.get('key')).toEqual(expect.any(String));
  });

  it('reads a page in descending order from the top of the index, and goes on from its cursor', async () => {
    const byNameDescending = firms
      .filter((firm) => firm.highTech)
      .sort((a, b) => (a.name > b.name ? -1 : a.name < b.name ? 1 : a.id > b.id ? -1 : 1))
      .map((firm) => firm.id);
    const read = (after: string | null) =>
      graphql.data<ScanPage>(PAGE, {
        filter: { regionId: region, highTech: true },
        orderBy: { field: 'NAME', direction: 'DESC' },
        first: 4,
        after,
      });
    const first = await read(null);
    expect(first.enterprises.nodes.map((node) => node.id)).toEqual(byNameDescending.slice(0, 4));
    expect(first.enterprises.pageInfo.hasNextPage).toBe(true);
    const second = await read(first.enterprises.pageInfo.endCursor);
    expect(second.enterprises.nodes.map((node) => node.id)).toEqual(byNameDescending.slice(4, 8));
  });

  it('refuses a totalCount among more candidates than LIST_ANCHOR_LIMIT, and counts it otherwise', async () => {
    const count = (client: TestGraphQL, filter: Record<string, unknown>) =>
      client.run<{ enterprises: { totalCount: number } }>(
        'query ($filter: EnterpriseFilter) { enterprises(filter: $filter, first: 1) { totalCount } }',
        { filter },
      );
    for (const filter of [{ regionId: region }, {}]) {
      const refused = await count(graphql, filter);
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
      expect(refused.errors?.[0]?.extensions?.['limit']).toBe('LIST_ANCHOR_LIMIT');
      expect(refused.errors?.[0]?.message).toMatch(/^totalCount would count the matches one by one among/);
    }
    // Under the default LIST_ANCHOR_LIMIT the region is read whole, and counted.
    const counted = await count(roomy, { regionId: region, highTech: true });
    expect(counted.errors).toBeUndefined();
    expect(counted.data?.enterprises.totalCount).toBe(firms.filter((firm) => firm.highTech).length);
  });
});
