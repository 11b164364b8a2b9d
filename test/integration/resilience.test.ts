import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ChainResilienceQuery } from '../../src/graphql/generated/operations.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { savedOperation } from '../support/graphql.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Single points of failure and segment-mode loss on a graph worked out by hand (issue 15, resilience).
 *
 * Chain (5 segments): a ─> m ─> d, s ─> m; a1 is a narrower segment of a. Criticality (share of the 4 other
 * segments reachable downstream): a 0.5, s 0.5, m 0.25, a1 0 (FEEDS are not inherited), d 0.
 *
 * city (with district dist): A [a1] → M1; S1 (dist) [s] → M1; S2 [s] → M2; M1 [m] → D1; M2 [m] → D1.
 * Outside (far): X [a] → M2 (outside supply: never read).
 * - A is the only local firm of a1 and (through a1) of a, and M1's only local supplier of a:
 *   impact (1 + 0.5) + (1 + 0) + 1 buyer = 3.5.
 * - D1 is the only local firm of d: 1 + 0 = 1.
 * - S1 is M1's only local supplier of s, S2 M2's: 1 each. D1 has two local suppliers of m (M1, M2): nobody strands it.
 * Ranked: A 3.5, then D1, S1, S2 (1 each, by id).
 *
 * town (a firm in two segments, like 华北制药 in antibiotic APIs and vaccines): N [a1, m] → R, → P; R [m]; P [d].
 * Losing segment a in town takes N's capacity in a and a1 only: a and a1 go DEPENDENT → MISSING, m keeps N and R
 * (the old code removed N whole: m WEAK → DEPENDENT, and P lost its local supplier of m). R buys a's products from
 * N (a feeds m) and has no other local supplier of them; P buys N's m products, which N still makes.
 */
describe('chain resilience on a graph with known answers', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  const prefix = uniquePrefix('resilience');
  const ALL = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'];

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    graph = await createTestGraph(database.executor, prefix, {
      // Census regions: a segment left with no firm is MISSING (断链), not UNKNOWN.
      regions: [
        { id: 'city', completeness: 'CENSUS' },
        { id: 'dist', parent: 'city' },
        { id: 'town', completeness: 'CENSUS' },
        { id: 'far', completeness: 'CENSUS' },
      ],
      chain: 'chain',
      segments: [
        { id: 'a', stage: 'UPSTREAM', feeds: ['m'] },
        { id: 'a1', stage: 'UPSTREAM', parent: 'a' },
        { id: 's', stage: 'UPSTREAM', feeds: ['m'] },
        { id: 'm', stage: 'MIDSTREAM', feeds: ['d'] },
        { id: 'd', stage: 'DOWNSTREAM' },
      ],
      firms: [
        { id: 'A', region: 'city', segments: ['a1'], supplies: ['M1'] },
        { id: 'S1', region: 'dist', segments: ['s'], supplies: ['M1'] },
        { id: 'S2', region: 'city', segments: ['s'], supplies: ['M2'] },
        { id: 'M1', region: 'city', segments: ['m'], supplies: ['D1'] },
        { id: 'M2', region: 'city', segments: ['m'], supplies: ['D1'] },
        { id: 'D1', region: 'city', segments: ['d'] },
        { id: 'X', region: 'far', segments: ['a'], supplies: ['M2'] },
        { id: 'N', region: 'town', segments: ['a1', 'm'], supplies: ['R', 'P'] },
        { id: 'R', region: 'town', segments: ['m'] },
        { id: 'P', region: 'town', segments: ['d'] },
      ],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  const RESILIENCE = `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!], $first: Int) {
    chainResilience(chainId: $chainId, regionId: $regionId, sources: $sources, first: $first) {
      totalCount localEnterpriseCount localSupplyLinkCount
      singlePointsOfFailure {
        enterprise { id }
        impact
        segmentsBroken { segment { id } criticality status weight }
        buyersStranded { enterprise { id } segments { id } products }
        paths { kind nodes { kind id } relationships }
      }
    }
  }`;
  type Report = ChainResilienceQuery['chainResilience'];
  const resilience = async (variables: Record<string, unknown>, url = server.url) =>
    postGraphQL<{ chainResilience: Report }>(url, {
      query: RESILIENCE,
      variables: { chainId: graph.id('chain'), sources: ALL, ...variables },
    });

  it('lists both kinds of single point of failure, ranked by impact, with their segments, buyers and paths', async () => {
    const response = await resilience({ regionId: graph.id('city') });
    expect(response.body.errors).toBeUndefined();
    const report = response.body.data!.chainResilience;
    expect([report.totalCount, report.localEnterpriseCount, report.localSupplyLinkCount]).toEqual([4, 6, 5]);
    const id = (local: string) => graph.id(local);
    expect(report.singlePointsOfFailure).toEqual([
      {
        enterprise: { id: id('A') },
        impact: 3.5,
        segmentsBroken: [
          { segment: { id: id('a') }, criticality: 0.5, status: 'DEPENDENT', weight: 1.5 },
          { segment: { id: id('a1') }, criticality: 0, status: 'DEPENDENT', weight: 1 },
        ],
        buyersStranded: [
          { enterprise: { id: id('M1') }, segments: [{ id: id('a') }], products: ['A goods'] },
        ],
        paths: [
          {
            kind: 'SOLE_LOCAL_FIRM',
            nodes: [
              { kind: 'Enterprise', id: id('A') },
              { kind: 'ChainSegment', id: id('a1') },
              { kind: 'ChainSegment', id: id('a') },
            ],
            relationships: ['OPERATES_IN', 'SUBSEGMENT_OF'],
          },
          {
            kind: 'SOLE_LOCAL_FIRM',
            nodes: [
              { kind: 'Enterprise', id: id('A') },
              { kind: 'ChainSegment', id: id('a1') },
            ],
            relationships: ['OPERATES_IN'],
          },
          {
            kind: 'SOLE_LOCAL_SUPPLIER',
            nodes: [
              { kind: 'Enterprise', id: id('A') },
              { kind: 'Enterprise', id: id('M1') },
            ],
            relationships: ['SUPPLIES'],
          },
        ],
      },
      {
        enterprise: { id: id('D1') },
        impact: 1,
        segmentsBroken: [{ segment: { id: id('d') }, criticality: 0, status: 'DEPENDENT', weight: 1 }],
        buyersStranded: [],
        paths: [
          {
            kind: 'SOLE_LOCAL_FIRM',
            nodes: [
              { kind: 'Enterprise', id: id('D1') },
              { kind: 'ChainSegment', id: id('d') },
            ],
            relationships: ['OPERATES_IN'],
          },
        ],
      },
      ...(['S1', 'S2'] as const).map((supplier) => ({
        enterprise: { id: id(supplier) },
        impact: 1,
        segmentsBroken: [],
        buyersStranded: [
          {
            enterprise: { id: id(supplier === 'S1' ? 'M1' : 'M2') },
            segments: [{ id: id('s') }],
            products: [`${supplier} goods`],
          },
        ],
        paths: [
          {
            kind: 'SOLE_LOCAL_SUPPLIER',
            nodes: [
              { kind: 'Enterprise', id: id(supplier) },
              { kind: 'Enterprise', id: id(supplier === 'S1' ? 'M1' : 'M2') },
            ],
            relationships: ['SUPPLIES'],
          },
        ],
      })),
    ]);
  });

  it('cuts the list at first and still counts them all', async () => {
    const response = await resilience({ regionId: graph.id('city'), first: 1 });
    expect(response.body.errors).toBeUndefined();
    const report = response.body.data!.chainResilience;
    expect(report.totalCount).toBe(4);
    expect(report.singlePointsOfFailure.map((point) => graph.local(point.enterprise.id))).toEqual(['A']);
  });

  it('leaves out facts of a provenance not asked for', async () => {
    // The test graph's facts are PLAN: asking for PUBLIC and ILLUSTRATIVE only must count none of them.
    const response = await resilience({ regionId: graph.id('city'), sources: ['PUBLIC', 'ILLUSTRATIVE'] });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.chainResilience).toMatchObject({
      totalCount: 0,
      localEnterpriseCount: 0,
      singlePointsOfFailure: [],
    });
  });

  it('refuses a region with more local firms in the chain than MAX_SCENARIO_FIRMS, naming the limit', async () => {
    const small = await serveTestApp(database.executor, { MAX_SCENARIO_FIRMS: '5' });
    try {
      const response = await resilience({ regionId: graph.id('city') }, small.url);
      expect(response.body.errors?.[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(response.body.errors?.[0]?.message).toContain('MAX_SCENARIO_FIRMS');
      expect(response.body.errors?.[0]?.message).toContain('up to 6 local enterprises, more than 5');
      // The town's 3 fit under the same limit.
      const town = await resilience({ regionId: graph.id('town') }, small.url);
      expect(town.body.errors).toBeUndefined();
    } finally {
      await small.close();
    }
  });

  it('refuses more local supply links than MAX_RESILIENCE_LINKS, naming the limit', async () => {
    const small = await serveTestApp(database.executor, { MAX_RESILIENCE_LINKS: '4' });
    try {
      const response = await resilience({ regionId: graph.id('city') }, small.url);
      expect(response.body.errors?.[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(response.body.errors?.[0]?.message).toContain(
        'more than 4 local supply links (MAX_RESILIENCE_LINKS)',
      );
    } finally {
      await small.close();
    }
  });

  it('refuses unknown ids with BAD_USER_INPUT naming the argument', async () => {
    const response = await resilience({ regionId: `${prefix}-nowhere` });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'regionId',
    });
  });

  describe('segment-mode impactOfLosing', () => {
    const IMPACT = `query ($segmentId: ID, $regionId: ID!, $sources: [ProvenanceSource!]) {
      impactOfLosing(segmentId: $segmentId, regionId: $regionId, sources: $sources) {
        segmentsAffected { segment { id } before after localEnterprisesBefore localEnterprisesAfter }
        firmsLosingLocalSupply { enterprise { id } products lostSuppliers { id } }
      }
    }`;
    type Impact = {
      impactOfLosing: {
        segmentsAffected: {
          segment: { id: string };
          before: string;
          after: string;
          localEnterprisesBefore: number;
          localEnterprisesAfter: number;
        }[];
        firmsLosingLocalSupply: {
          enterprise: { id: string };
          products: string[];
          lostSuppliers: { id: string }[];
        }[];
      };
    };

    it('takes away only the firms’ capacity in the segment: a firm in two segments keeps the other one', async () => {
      const response = await postGraphQL<Impact>(server.url, {
        query: IMPACT,
        variables: { segmentId: graph.id('a'), regionId: graph.id('town'), sources: ALL },
      });
      expect(response.body.errors).toBeUndefined();
      const impact = response.body.data!.impactOfLosing;
      // m keeps N and R (the old code removed N whole: m WEAK → DEPENDENT, 2 → 1).
      expect(impact.segmentsAffected).toEqual([
        {
          segment: { id: graph.id('a') },
          before: 'DEPENDENT',
          after: 'MISSING',
          localEnterprisesBefore: 1,
          localEnterprisesAfter: 0,
        },
        {
          segment: { id: graph.id('a1') },
          before: 'DEPENDENT',
          after: 'MISSING',
          localEnterprisesBefore: 1,
          localEnterprisesAfter: 0,
        },
      ]);
      // R loses N's a-products; P still buys N's m-products (the old code listed P too).
      expect(impact.firmsLosingLocalSupply).toEqual([
        { enterprise: { id: graph.id('R') }, products: ['N goods'], lostSuppliers: [{ id: graph.id('N') }] },
      ]);
    });

    it('losing the firm itself still removes all of it', async () => {
      const response = await postGraphQL<Impact>(server.url, {
        query: `query ($enterpriseId: ID, $regionId: ID!, $sources: [ProvenanceSource!]) {
          impactOfLosing(enterpriseId: $enterpriseId, regionId: $regionId, sources: $sources) {
            segmentsAffected { segment { id } before after localEnterprisesBefore localEnterprisesAfter }
            firmsLosingLocalSupply { enterprise { id } products lostSuppliers { id } }
          }
        }`,
        variables: { enterpriseId: graph.id('N'), regionId: graph.id('town'), sources: ALL },
      });
      expect(response.body.errors).toBeUndefined();
      const impact = response.body.data!.impactOfLosing;
      expect(impact.segmentsAffected.map((change) => [graph.local(change.segment.id), change.after])).toEqual(
        [
          ['a', 'MISSING'],
          ['a1', 'MISSING'],
          ['m', 'DEPENDENT'],
        ],
      );
      expect(impact.firmsLosingLocalSupply.map((loss) => graph.local(loss.enterprise.id))).toEqual([
        'P',
        'R',
      ]);
    });
  });
});

/** The shipped seed, real data only. */
describe('resilience on the seed graph', () => {
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

  it('losing antibiotic-API capacity in Shijiazhuang no longer makes vaccines MISSING', async () => {
    const response = await postGraphQL<{
      impactOfLosing: { segmentsAffected: { segment: { id: string }; after: string }[] };
    }>(server.url, {
      query: `{ impactOfLosing(segmentId: "bio-antibiotic-apis", regionId: "shijiazhuang", sources: [PLAN, PUBLIC]) {
        segmentsAffected { segment { id } after } } }`,
    });
    expect(response.body.errors).toBeUndefined();
    const affected = response.body.data!.impactOfLosing.segmentsAffected.map((change) => change.segment.id);
    expect(affected).toContain('bio-antibiotic-apis');
    expect(affected).not.toContain('bio-vaccines');
    expect(affected).not.toContain('bio-vitamin-apis');
  });

  it.each(['ic', 'nev', 'led', 'biomedicine', 'military-civil'])(
    'the saved operation answers for the %s chain in Shijiazhuang on real data',
    async (chainId) => {
      const response = await postGraphQL<ChainResilienceQuery>(server.url, {
        query: savedOperation('chain-resilience'),
        variables: { chainId },
      });
      expect(response.body.errors).toBeUndefined();
      const report = response.body.data!.chainResilience;
      expect(report.totalCount).toBeGreaterThanOrEqual(report.singlePointsOfFailure.length);
      const impacts = report.singlePointsOfFailure.map((point) => point.impact);
      expect(impacts).toEqual([...impacts].sort((a, b) => b - a));
      for (const point of report.singlePointsOfFailure) {
        expect(point.segmentsBroken.length + point.buyersStranded.length).toBeGreaterThan(0);
        expect(point.paths.length).toBe(point.segmentsBroken.length + point.buyersStranded.length);
        expect(point.paths.every((path) => path.nodes[0]!.id === point.enterprise.id)).toBe(true);
      }
      if (process.env['RESILIENCE_PRINT']) {
        console.log(
          chainId,
          JSON.stringify({
            total: report.totalCount,
            firms: report.localEnterpriseCount,
            links: report.localSupplyLinkCount,
            top: report.singlePointsOfFailure.slice(0, 5).map((point) => ({
              firm: point.enterprise.name,
              impact: point.impact,
              broken: point.segmentsBroken.map((segment) => segment.segment.name),
              stranded: point.buyersStranded.map(
                (buyer) => `${buyer.enterprise.name} (${buyer.segments.map((s) => s.name).join(', ')})`,
              ),
            })),
          }),
        );
      }
    },
  );
});
