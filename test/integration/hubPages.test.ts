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
 * Nested pages over hubs (translate.ts hubPage): a region's or a segment's enterprises, a firm's suppliers, a
 * segment's, an industry's or a host's platforms, a segment's policy measures, are read whole only up to
 * LIST_ANCHOR_LIMIT; above it, from the name index in order (the measures' (number, id) index), at most
 * LIST_SCAN_LIMIT nodes. Four services over the same data: one that reads every page whole (the reference the others
 * must match), one that always scans (LIST_ANCHOR_LIMIT 0) with room to read everything, one
 * whose anchor limit sits between a small region and the segment, so that a segment page with that region is read
 * from the region (HubSpec.anchors), and one that always scans and stops after SCAN nodes — it must answer exactly
 * the reference or refuse with QUERY_TOO_COMPLEX, and the rule is exact: it refuses when fewer than `first` of the
 * first SCAN nodes of the index belong to the page.
 *
 * The test's firms and platforms have names that sort before every other one's ('!', below digits, Latin and CJK),
 * and its measures numbers below the plan's, so each index starts with them and the rule can be computed here.
 */
describe('nested pages over hubs', () => {
  const SCAN = 12;
  const ANCHOR = 24;
  const SEGMENT = 'bio-pharma-packaging';
  let database: TestDatabase;
  let whole: TestGraphQL;
  let scanning: TestGraphQL;
  let tight: TestGraphQL;
  let anchoring: TestGraphQL;
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
  const byNameThenId = (a: { name: string; id: string }, b: { name: string; id: string }) =>
    a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.id < b.id ? -1 : 1;
  const indexOrder = [...firms].sort(byNameThenId);
  const INDUSTRY = 'ind-biomedicine-health';
  interface TestPlatform {
    readonly id: string;
    readonly name: string;
    readonly region: string;
    readonly source: 'PUBLIC' | 'ILLUSTRATIVE';
    /** The source of its SUPPORTS link to the segment, or null when it does not support it. */
    readonly segment: 'PUBLIC' | 'ILLUSTRATIVE' | null;
    /** Whether it supports the industry. */
    readonly industry: boolean;
    /** Whether the buyer hosts it. */
    readonly hosted: boolean;
  }
  // Named like the firms, so the platform name index starts with them too.
  const platforms: TestPlatform[] = Array.from({ length: 40 }, (_, index) => ({
    id: `${prefix}-p${String(index).padStart(2, '0')}`,
    name: `!${prefix}${NAMES[(index * 3) % NAMES.length]}`,
    region: index % 4 === 0 ? subregion : district,
    source: index % 5 === 1 ? 'ILLUSTRATIVE' : 'PUBLIC',
    segment: index % 3 === 2 ? null : index % 7 === 3 ? 'ILLUSTRATIVE' : 'PUBLIC',
    industry: index % 4 !== 1,
    hosted: index % 5 !== 3,
  }));
  const platformOrder = [...platforms].sort(byNameThenId);
  // Policy measures, numbered below every measure of the plan (1 on), so their (number, id) index starts with them.
  const measures = Array.from({ length: 20 }, (_, index) => ({
    id: `${prefix}-m${String(index).padStart(2, '0')}`,
    number: -1 - ((index * 7) % 3),
    appliesToSegment: index % 3 !== 1,
  }));
  const measureOrder = [...measures].sort((a, b) =>
    a.number !== b.number ? a.number - b.number : a.id < b.id ? -1 : 1,
  );

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
    // Between the subregion's located nodes (10 firms, 10 platforms) and the segment's firms and platforms (more
    // than 24 each): a segment page with the subregion is read from the subregion (HubSpec.anchors).
    anchoring = await createTestGraphQL(
      database.executor,
      testConfig({ LIST_ANCHOR_LIMIT: String(ANCHOR), LIST_SCAN_LIMIT: '100000' }),
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
        {
          label: NodeLabel.PolicyMeasure,
          rows: measures.map((measure) => ({
            id: measure.id,
            number: measure.number,
            title: `${prefix} measure`,
            source: 'PUBLIC',
          })),
        },
        {
          label: NodeLabel.Platform,
          rows: platforms.map((platform) => ({
            id: platform.id,
            name: platform.name,
            kind: 'KEY_LABORATORY',
            level: 'MUNICIPAL',
            source: platform.source,
          })),
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
        {
          type: RelationshipType.APPLIES_TO,
          from: NodeLabel.PolicyMeasure,
          to: NodeLabel.ChainSegment,
          rows: measures.flatMap((measure) =>
            measure.appliesToSegment
              ? [{ from: measure.id, to: SEGMENT, properties: { source: 'PUBLIC' } }]
              : [],
          ),
        },
        {
          type: RelationshipType.HOSTED_BY,
          from: NodeLabel.Platform,
          to: NodeLabel.Enterprise,
          rows: platforms.flatMap((platform) =>
            platform.hosted ? [{ from: platform.id, to: buyer, properties: { source: 'PUBLIC' } }] : [],
          ),
        },
        {
          type: RelationshipType.LOCATED_IN,
          from: NodeLabel.Platform,
          to: NodeLabel.Region,
          rows: platforms.map((platform) => ({
            from: platform.id,
            to: platform.region,
            properties: { source: platform.source },
          })),
        },
        {
          type: RelationshipType.SUPPORTS,
          from: NodeLabel.Platform,
          to: NodeLabel.ChainSegment,
          rows: platforms.flatMap((platform) =>
            platform.segment === null
              ? []
              : [{ from: platform.id, to: SEGMENT, properties: { source: platform.segment } }],
          ),
        },
        {
          type: RelationshipType.SUPPORTS,
          from: NodeLabel.Platform,
          to: NodeLabel.Industry,
          rows: platforms.flatMap((platform) =>
            platform.industry ? [{ from: platform.id, to: INDUSTRY, properties: { source: 'PUBLIC' } }] : [],
          ),
        },
      ],
    );
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await Promise.all([whole.stop(), scanning.stop(), tight.stop(), anchoring.stop()]);
    await database.close();
  });

  type Drawn =
    | { readonly kind: 'region'; readonly regionId: string; readonly sources?: readonly string[] }
    | { readonly kind: 'suppliers'; readonly sources?: readonly string[] }
    | { readonly kind: 'industryPlatforms' }
    | { readonly kind: 'segmentMeasures' }
    | { readonly kind: 'hostedPlatforms' }
    | {
        readonly kind: 'segmentPlatforms';
        readonly regionId?: string;
        readonly sources?: readonly string[];
      }
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
    if (drawn.kind === 'industryPlatforms') {
      return {
        // Industries have no root field: the biomedicine chain's one industry is INDUSTRY.
        query: `{ chain(id: "biomedicine") { industries { id platforms(first: ${first}) { id } } } }`,
        list: 'industries.platforms',
        ids: (data) =>
          (data as { chain: { industries: { id: string; platforms: { id: string }[] }[] } }).chain.industries
            .find((industry) => industry.id === INDUSTRY)!
            .platforms.map((platform) => platform.id),
      };
    }
    if (drawn.kind === 'hostedPlatforms') {
      return {
        query: `{ enterprise(id: "${buyer}") { platforms(first: ${first}) { id } } }`,
        list: 'platforms',
        ids: (data) =>
          (data as { enterprise: { platforms: { id: string }[] } }).enterprise.platforms.map(
            (platform) => platform.id,
          ),
      };
    }
    if (drawn.kind === 'segmentMeasures') {
      return {
        query: `{ segment(id: "${SEGMENT}") { policyMeasures(first: ${first}) { id } } }`,
        list: 'policyMeasures',
        ids: (data) =>
          (data as { segment: { policyMeasures: { id: string }[] } }).segment.policyMeasures.map(
            (measure) => measure.id,
          ),
      };
    }
    const sources = drawn.sources ? `, sources: [${drawn.sources.join(', ')}]` : '';
    const region = 'regionId' in drawn && drawn.regionId ? `, regionId: "${drawn.regionId}"` : '';
    if (drawn.kind === 'segmentPlatforms') {
      return {
        query: `{ segment(id: "${SEGMENT}") { platforms(first: ${first}${region}${sources}) { id } } }`,
        list: 'platforms',
        ids: (data) =>
          (data as { segment: { platforms: { id: string }[] } }).segment.platforms.map(
            (platform) => platform.id,
          ),
      };
    }
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
    return {
      query: `{ segment(id: "${SEGMENT}") { enterprises(first: ${first}${region}${sources}) { enterprise { id } } } }`,
      list: 'enterprises',
      ids: (data) =>
        (data as { segment: { enterprises: { enterprise: { id: string } }[] } }).segment.enterprises.map(
          (link) => link.enterprise.id,
        ),
    };
  }

  const isPlatformDraw = (drawn: Drawn) =>
    drawn.kind === 'industryPlatforms' ||
    drawn.kind === 'segmentPlatforms' ||
    drawn.kind === 'hostedPlatforms';

  /** Whether one of the test's platforms belongs to the page of a platform draw (the plain reference). */
  function admitsPlatform(drawn: Drawn, platform: TestPlatform): boolean {
    if (drawn.kind === 'industryPlatforms') return platform.industry;
    if (drawn.kind === 'hostedPlatforms') return platform.hosted;
    if (drawn.kind !== 'segmentPlatforms') return false;
    const inRegion =
      drawn.regionId === undefined || drawn.regionId === district || platform.region === subregion;
    const sourced = (source: string | null) =>
      drawn.sources === undefined || (source !== null && drawn.sources.includes(source));
    return platform.segment !== null && inRegion && sourced(platform.source) && sourced(platform.segment);
  }

  /** Whether one of the test's firms belongs to the page of a draw (the plain reference of the filters). */
  function admits(drawn: Drawn, firm: Firm): boolean {
    if (drawn.kind !== 'region' && drawn.kind !== 'suppliers' && drawn.kind !== 'segment') return false;
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
      fc.record({ kind: fc.constant('industryPlatforms' as const) }),
      fc.record({ kind: fc.constant('segmentMeasures' as const) }),
      fc.record({ kind: fc.constant('hostedPlatforms' as const) }),
      fc.record({
        kind: fc.constant('segmentPlatforms' as const),
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
        // The test's nodes of the list's label in name order, and which of them the page admits.
        const measured = clean.kind === 'segmentMeasures';
        const admitted = measured
          ? measureOrder.map((measure) => measure.appliesToSegment)
          : isPlatformDraw(clean)
            ? platformOrder.map((platform) => admitsPlatform(clean, platform))
            : indexOrder.map((firm) => admits(clean, firm));
        const order = measured ? measureOrder : isPlatformDraw(clean) ? platformOrder : indexOrder;
        const expected = order.filter((_, index) => admitted[index]).map((node) => node.id);
        const reference = operation.ids(await whole.data(operation.query));
        // The test's nodes come first in name order, so the page starts with them; a segment or industry page
        // without a region may go on into other nodes of it (the seed's), which only the services read.
        expect(reference.slice(0, expected.length)).toEqual(expected.slice(0, first));
        expect(operation.ids(await scanning.data(operation.query))).toEqual(reference);
        expect(operation.ids(await anchoring.data(operation.query))).toEqual(reference);
        const answer = await tight.run(operation.query);
        const readWithinScan = admitted.slice(0, SCAN).filter(Boolean).length;
        if (readWithinScan < first) {
          expect(answer.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
          expect(answer.errors?.[0]?.extensions?.['limit']).toBe('LIST_SCAN_LIMIT');
          expect(answer.errors?.[0]?.message).toContain(
            `'${operation.list}' read ${SCAN} nodes in ${measured ? 'number, id' : 'name'} order`,
          );
        } else {
          expect(answer.errors).toBeUndefined();
          expect(operation.ids(answer.data)).toEqual(reference);
        }
      }),
      { numRuns: 100 },
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
