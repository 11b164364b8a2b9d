import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NodeLabel, RelationshipType } from '../../src/data/model.js';
import { upsertAll } from '../../src/data/upsert.js';
import {
  deleteByPrefix,
  openTestDatabase,
  testConfig,
  uniquePrefix,
  type TestDatabase,
} from '../support/database.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';
import { enterpriseRow, locationLinks, regionPair } from '../support/listFixtures.js';

/**
 * Nested pages over hubs (translate.ts hubPage): a region's or a segment's enterprises, a firm's suppliers, are read
 * whole only up to
 * LIST_ANCHOR_LIMIT; above it, from the name index in order, at most LIST_SCAN_LIMIT nodes. Three services over the
 * same data: one that reads every page whole (the reference the others must match), one that always scans
 * (LIST_ANCHOR_LIMIT 0) with room to read everything, and one that always scans and stops after SCAN nodes — it must
 * answer exactly the reference or refuse with QUERY_TOO_COMPLEX, and the rule is exact: it refuses when fewer than
 * `first` of the first SCAN nodes of the index belong to the page.
 *
 * The test's firms have names that sort before every other firm's ('!', below digits, Latin and CJK), so the index
 * starts with them and the rule can be computed here.
 */
describe('nested pages over hubs', () => {
  const SCAN = 12;
  const SEGMENT = 'bio-pharma-packaging';
  let database: TestDatabase;
  let whole: TestGraphQL;
  let scanning: TestGraphQL;
  let tight: TestGraphQL;
  const prefix = uniquePrefix('hub');
  const district = `${prefix}-district`;
  const subregion = `${prefix}-subregion`;
  const NAMES = ['甲', '乙', '丙', '丁'];
  interface Firm {
    readonly id: string;
    readonly name: string;
    readonly region: string;
    readonly source: 'PUBLIC' | 'ILLUSTRATIVE';
    /** The OPERATES_IN link's source, or null when the firm is not in the segment. */
    readonly link: 'PUBLIC' | 'ILLUSTRATIVE' | null;
    /** The source of its SUPPLIES link to the buyer, or null when it does not supply it. */
    readonly supplies: 'PUBLIC' | 'ILLUSTRATIVE' | null;
  }
  // A firm that buys from most of the others: its suppliers are a page over a hub as well. Named after the others, so
  // the index starts with them.
  const buyer = `${prefix}-buyer`;
  const firms: Firm[] = Array.from({ length: 30 }, (_, index) => ({
    id: `${prefix}-${String(index).padStart(2, '0')}`,
    // Few names: ties, broken by id.
    name: `!${prefix}${NAMES[(index * 5) % NAMES.length]}`,
    region: index % 3 === 0 ? subregion : district,
    source: index % 4 === 1 ? 'ILLUSTRATIVE' : 'PUBLIC',
    link: index % 5 === 2 ? null : index % 7 === 3 ? 'ILLUSTRATIVE' : 'PUBLIC',
    supplies: index % 6 === 4 ? null : index % 4 === 3 ? 'ILLUSTRATIVE' : 'PUBLIC',
  }));
  const byNameThenId = (a: Firm, b: Firm) =>
    a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? -1 : 1;
  const indexOrder = [...firms].sort(byNameThenId);

  beforeAll(async () => {
    database = await openTestDatabase();
    whole = await createTestGraphQL(database.executor, testConfig({ LIST_ANCHOR_LIMIT: '1000000' }));
    scanning = await createTestGraphQL(
      database.executor,
      testConfig({ LIST_ANCHOR_LIMIT: '0', LIST_SCAN_LIMIT: '100000' }),
    );
    tight = await createTestGraphQL(
      database.executor,
      testConfig({ LIST_ANCHOR_LIMIT: '0', LIST_SCAN_LIMIT: String(SCAN) }),
    );
    const { regions, partOf } = regionPair(prefix, district, subregion);
    await upsertAll(
      database.executor,
      'test-data',
      [
        regions,
        {
          label: NodeLabel.Enterprise,
          rows: [
            ...firms.map(enterpriseRow),
            enterpriseRow({ id: buyer, name: `～${prefix} buyer`, source: 'PUBLIC' }),
          ],
        },
      ],
      [
        partOf,
        // A firm's location link has its own source, as an import writes it: the sources filter tests both.
        locationLinks(firms.map((firm) => ({ firm: firm.id, region: firm.region, source: firm.source }))),
        {
          type: RelationshipType.OPERATES_IN,
          from: NodeLabel.Enterprise,
          to: NodeLabel.ChainSegment,
          rows: firms.flatMap((firm) =>
            firm.link === null
              ? []
              : [{ from: firm.id, to: SEGMENT, properties: { role: 'CORE', source: firm.link } }],
          ),
        },
        {
          type: RelationshipType.SUPPLIES,
          from: NodeLabel.Enterprise,
          to: NodeLabel.Enterprise,
          rows: firms.flatMap((firm) =>
            firm.supplies === null
              ? []
              : [{ from: firm.id, to: buyer, properties: { products: ['包装'], source: firm.supplies } }],
          ),
        },
      ],
    );
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await Promise.all([whole.stop(), scanning.stop(), tight.stop()]);
    await database.close();
  });

  type Drawn =
    | { readonly kind: 'region'; readonly regionId: string; readonly sources?: readonly string[] }
    | { readonly kind: 'suppliers'; readonly sources?: readonly string[] }
    | {
        readonly kind: 'segment';
        readonly regionId?: string;
        readonly sources?: readonly string[];
      };

  /** The operation of a draw, and the ids of the test's firms it admits, in the page's order. */
  function operationOf(
    drawn: Drawn,
    first: number,
  ): { query: string; list: string; ids: (result: unknown) => string[] } {
    const sources = drawn.sources ? `, sources: [${drawn.sources.join(', ')}]` : '';
    if (drawn.kind === 'suppliers') {
      return {
        query: `{ enterprise(id: "${buyer}") { suppliers(first: ${first}${sources}) { enterprise { id } } } }`,
        list: 'suppliers',
        ids: (data) =>
          (data as { enterprise: { suppliers: { enterprise: { id: string } }[] } }).enterprise.suppliers.map(
            (link) => link.enterprise.id,
          ),
      };
    }
    if (drawn.kind === 'region') {
      return {
        query: `{ region(id: "${drawn.regionId}") { enterprises(first: ${first}${sources}) { id } } }`,
        list: 'enterprises',
        ids: (data) =>
          (data as { region: { enterprises: { id: string }[] } }).region.enterprises.map((firm) => firm.id),
      };
    }
    const region = drawn.regionId ? `, regionId: "${drawn.regionId}"` : '';
    return {
      query: `{ segment(id: "${SEGMENT}") { enterprises(first: ${first}${region}${sources}) { enterprise { id } } } }`,
      list: 'enterprises',
      ids: (data) =>
        (data as { segment: { enterprises: { enterprise: { id: string } }[] } }).segment.enterprises.map(
          (link) => link.enterprise.id,
        ),
    };
  }

  /** Whether one of the test's firms belongs to the page of a draw (the plain reference of the filters). */
  function admits(drawn: Drawn, firm: Firm): boolean {
    const inRegion = (regionId: string | undefined) =>
      regionId === undefined || regionId === district || firm.region === subregion;
    const sourced = (source: string | null) =>
      drawn.sources === undefined || (source !== null && drawn.sources.includes(source));
    if (drawn.kind === 'region') return inRegion(drawn.regionId) && sourced(firm.source);
    if (drawn.kind === 'suppliers')
      return firm.supplies !== null && sourced(firm.source) && sourced(firm.supplies);
    return firm.link !== null && inRegion(drawn.regionId) && sourced(firm.source) && sourced(firm.link);
  }

  const draws = fc.record({
    drawn: fc.oneof(
      fc.record({
        kind: fc.constant('region' as const),
        regionId: fc.constantFrom(district, subregion),
        sources: fc.constantFrom(undefined, ['PUBLIC'], ['ILLUSTRATIVE']),
      }),
      fc.record({
        kind: fc.constant('suppliers' as const),
        sources: fc.constantFrom(undefined, ['PUBLIC'], ['ILLUSTRATIVE']),
      }),
      fc.record({
        kind: fc.constant('segment' as const),
        regionId: fc.constantFrom(undefined, district, subregion),
        sources: fc.constantFrom(undefined, ['PUBLIC'], ['ILLUSTRATIVE']),
      }),
    ),
    first: fc.integer({ min: 0, max: 12 }),
  });

  it('answers every page like the whole read, and the tight scan answers it or refuses exactly when it read too few', async () => {
    await fc.assert(
      fc.asyncProperty(draws, async ({ drawn, first }) => {
        const clean = Object.fromEntries(
          Object.entries(drawn).filter(([, value]) => value !== undefined),
        ) as unknown as Drawn; // an argument drawn undefined is left out
        const operation = operationOf(clean, first);
        const expected = indexOrder.filter((firm) => admits(clean, firm)).map((firm) => firm.id);
        const reference = operation.ids(await whole.data(operation.query));
        // The test's firms come first in name order, so the page starts with them; a segment page without a region
        // may go on into other firms of the segment, which only the services read.
        expect(reference.slice(0, expected.length)).toEqual(expected.slice(0, first));
        expect(operation.ids(await scanning.data(operation.query))).toEqual(reference);
        const answer = await tight.run(operation.query);
        const readWithinScan = indexOrder.slice(0, SCAN).filter((firm) => admits(clean, firm)).length;
        if (readWithinScan < first) {
          expect(answer.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
          expect(answer.errors?.[0]?.extensions?.['limit']).toBe('LIST_SCAN_LIMIT');
          expect(answer.errors?.[0]?.message).toContain(
            `'${operation.list}' read ${SCAN} nodes in name order`,
          );
        } else {
          expect(answer.errors).toBeUndefined();
          expect(operation.ids(answer.data)).toEqual(reference);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('pages a hub nested in a list, each parent its own page', async () => {
    const query = `{ region(id: "${district}") { children { id enterprises(first: 3) { id } } } }`;
    type Children = { region: { children: { id: string; enterprises: { id: string }[] }[] } };
    const expected = indexOrder
      .filter((firm) => firm.region === subregion)
      .slice(0, 3)
      .map((firm) => firm.id);
    for (const service of [whole, scanning]) {
      const data = await service.data<Children>(query);
      expect(data.region.children).toEqual([{ id: subregion, enterprises: expected.map((id) => ({ id })) }]);
    }
  });
});
