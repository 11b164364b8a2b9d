import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';

/**
 * A small chain with known answers (worked out by hand from the rules documented in the SDL):
 *
 *   a1 ─┐                 ┌─> d
 *       ├─> b ──> c ──────┤
 *   a2 ─┘                 └─> e ──> a1   (a cycle back upstream)
 *
 * Local (city, district included): b: L1 (leading), L2 (district), L3 + platform P1 — but c's local firms buy b
 * mostly from outside (L1→c1 local; X→c1, X→c2 outside: 2 of 3) so b is DEPENDENT; c: c1, c2, no leader, no
 * platform → WEAK; d: D1 alone → DEPENDENT; e: E1 (leading), E2, E3 + platform P2 → COVERED; a1, a2: nobody → MISSING.
 * Outside: X (near, in b, large, leading, high-tech, supplies c1 and c2), Y (far, in a1 and a2), Z (near, supplier
 * role in a2), S0 (far, supplier role in a1, supplies X).
 */
describe('chain analytics on a graph with known answers', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let graph: TestGraph;
  const prefix = uniquePrefix('analytics');

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    graph = await createTestGraph(database.executor, prefix, {
      // Issue 15: the hand-worked firm lists are complete (CENSUS), so no firm means MISSING (basis.test.ts covers
      // the other bases).
      regions: [
        { id: 'city', lat: 38.0, lon: 114.5, completeness: 'CENSUS' },
        { id: 'district', parent: 'city' },
        { id: 'near', lat: 39.9, lon: 116.4, completeness: 'CENSUS' },
        { id: 'far', lat: 31.2, lon: 121.5, completeness: 'CENSUS' },
      ],
      chain: 'chain',
      segments: [
        { id: 'a1', stage: 'UPSTREAM', feeds: ['b'] },
        { id: 'a2', stage: 'UPSTREAM', feeds: ['b'] },
        { id: 'b', stage: 'MIDSTREAM', feeds: ['c'] },
        { id: 'c', stage: 'MIDSTREAM', feeds: ['d', 'e'] },
        { id: 'd', stage: 'DOWNSTREAM' },
        { id: 'e', stage: 'DOWNSTREAM', feeds: ['a1'] },
      ],
      firms: [
        { id: 'L1', region: 'city', segments: ['b'], leading: true, supplies: ['c1'] },
        { id: 'L2', region: 'district', segments: ['b'] },
        { id: 'L3', region: 'city', segments: ['b'] },
        { id: 'c1', region: 'city', segments: ['c'] },
        { id: 'c2', region: 'city', segments: ['c'] },
        { id: 'D1', region: 'city', segments: ['d'] },
        { id: 'E1', region: 'city', segments: ['e'], leading: true },
        { id: 'E2', region: 'city', segments: ['e'] },
        { id: 'E3', region: 'city', segments: ['e'] },
        {
          id: 'X',
          region: 'near',
          segments: ['b'],
          sizeBand: 'LARGE',
          leading: true,
          highTech: true,
          supplies: ['c1', 'c2'],
        },
        { id: 'Y', region: 'far', segments: ['a1', 'a2'], sizeBand: 'MEDIUM' },
        { id: 'Z', region: 'near', segments: [{ id: 'a2', role: 'SUPPLIER' }] },
        { id: 'S0', region: 'far', segments: [{ id: 'a1', role: 'SUPPLIER' }], supplies: ['X'] },
      ],
      platforms: [
        { id: 'P1', region: 'city', supports: ['b'] },
        { id: 'P2', region: 'city', supports: ['e'] },
      ],
      measures: [{ id: 'measure', number: 1, appliesToChain: true }],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await database.close();
  });

  const local = (ids: string[]) => ids.map((id) => graph.local(id));

  describe('chainGaps', () => {
    type Report = {
      chainGaps: {
        gaps: {
          segment: { id: string };
          status: string;
          criticality: number;
          score: number;
          localEnterpriseCount: number;
          leadingCount: number;
          platformCount: number;
          localSupplyEdges: number;
          outsideSupplyEdges: number;
          downstreamSegmentCount: number;
          reasons: { code: string; text: string }[];
          localEnterprises: { id: string }[];
        }[];
        stages: {
          stage: string;
          summary: { segments: number; missing: number; dependent: number; weak: number; covered: number };
        }[];
        total: { segments: number; coverageRatio: number };
      };
    };
    const REPORT = `query ($chainId: ID!, $regionId: ID!, $thresholds: GapThresholds) {
      chainGaps(chainId: $chainId, regionId: $regionId, thresholds: $thresholds) {
        gaps { segment { id } status criticality score localEnterpriseCount leadingCount platformCount
               localSupplyEdges outsideSupplyEdges downstreamSegmentCount reasons { code text } localEnterprises { id } }
        stages { stage summary { segments missing dependent weak covered } }
        total { segments coverageRatio }
      }
    }`;

    it('gives every segment its status, criticality and score, worst first', async () => {
      const result = await graphql.run<Report>(REPORT, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
      });
      expect(result.errors).toBeUndefined();
      const gaps = result.data!.chainGaps.gaps.map((gap) => ({
        segment: graph.local(gap.segment.id),
        status: gap.status,
        criticality: gap.criticality,
        score: gap.score,
        local: gap.localEnterpriseCount,
      }));
      expect(gaps).toEqual([
        { segment: 'a2', status: 'MISSING', criticality: 1, score: 100, local: 0 },
        { segment: 'a1', status: 'MISSING', criticality: 0.8, score: 90, local: 0 },
        { segment: 'b', status: 'DEPENDENT', criticality: 0.8, score: 60, local: 3 },
        { segment: 'c', status: 'WEAK', criticality: 0.8, score: 32, local: 2 },
        { segment: 'd', status: 'DEPENDENT', criticality: 0, score: 30, local: 1 },
        { segment: 'e', status: 'COVERED', criticality: 0.8, score: 0, local: 3 },
      ]);
      // A bounded number of statements: existence check, facts, node projections.
      expect(result.roundTrips).toBe(3);
    });

    it('explains each status with reasons and the facts behind them', async () => {
      const report = await graphql.data<Report>(REPORT, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
      });
      const byId = new Map(report.chainGaps.gaps.map((gap) => [graph.local(gap.segment.id), gap]));
      expect(byId.get('b')).toMatchObject({
        localSupplyEdges: 1,
        outsideSupplyEdges: 2,
        leadingCount: 1,
        platformCount: 1,
      });
      expect(byId.get('b')!.reasons.map((reason) => reason.code)).toEqual([
        'SUPPLIED_FROM_OUTSIDE',
        'DOWNSTREAM_DEPENDENCE',
      ]);
      expect(byId.get('b')!.reasons[0]!.text).toContain('67%');
      expect(byId.get('c')!.reasons.map((reason) => reason.code)).toEqual([
        'FEW_ENTERPRISES',
        'NO_LEADING_ENTERPRISE',
        'NO_PLATFORM',
        'DOWNSTREAM_DEPENDENCE',
      ]);
      expect(byId.get('a1')!.reasons.map((reason) => reason.text)).toEqual([
        `no local enterprise in ${prefix} a1`,
        '4 downstream segments of the chain depend on it',
      ]);
      expect(byId.get('e')!.reasons).toEqual([]);
      // The district's firm counts for the city.
      expect(local(byId.get('b')!.localEnterprises.map((firm) => firm.id))).toEqual(['L1', 'L2', 'L3']);
    });

    it('summarises coverage per stage and over the chain', async () => {
      const report = await graphql.data<Report>(REPORT, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
      });
      expect(report.chainGaps.stages).toEqual([
        { stage: 'UPSTREAM', summary: { segments: 2, missing: 2, dependent: 0, weak: 0, covered: 0 } },
        { stage: 'MIDSTREAM', summary: { segments: 2, missing: 0, dependent: 1, weak: 1, covered: 0 } },
        { stage: 'DOWNSTREAM', summary: { segments: 2, missing: 0, dependent: 1, weak: 0, covered: 1 } },
      ]);
      expect(report.chainGaps.total).toEqual({ segments: 6, coverageRatio: 0.6667 });
    });

    it('applies the caller thresholds', async () => {
      const report = await graphql.data<Report>(REPORT, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
        thresholds: { minEnterprises: 2, minLeading: 0, minPlatforms: 0, maxOutsideSupplyShare: 0.9 },
      });
      const statuses = Object.fromEntries(
        report.chainGaps.gaps.map((gap) => [graph.local(gap.segment.id), gap.status]),
      );
      expect(statuses).toEqual({
        a1: 'MISSING',
        a2: 'MISSING',
        b: 'COVERED',
        c: 'COVERED',
        d: 'DEPENDENT',
        e: 'COVERED',
      });
    });

    it('rejects unknown ids and bad thresholds, naming the argument', async () => {
      const unknown = await graphql.run(REPORT, { chainId: 'no-such-chain', regionId: graph.id('city') });
      expect(unknown.errors?.[0]).toMatchObject({
        message: "Argument 'chainId': no IndustrialChain with id 'no-such-chain'",
        extensions: { code: 'BAD_USER_INPUT', argument: 'chainId' },
      });
      const bad = await graphql.run(REPORT, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
        thresholds: { maxOutsideSupplyShare: 2 },
      });
      expect(bad.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument: 'thresholds.maxOutsideSupplyShare',
      });
    });
  });

  describe('compareRegions', () => {
    it('shows the same coverage side by side', async () => {
      const data = await graphql.data<{
        compareRegions: {
          regions: { region: { id: string }; total: { missing: number; covered: number } }[];
          segments: {
            segment: { id: string };
            byRegion: { region: { id: string }; status: string; localEnterpriseCount: number }[];
          }[];
        };
      }>(
        `query ($chainId: ID!, $regionIds: [ID!]!) { compareRegions(chainId: $chainId, regionIds: $regionIds) {
          regions { region { id } total { missing covered } }
          segments { segment { id } byRegion { region { id } status localEnterpriseCount } } } }`,
        { chainId: graph.id('chain'), regionIds: [graph.id('city'), graph.id('near')] },
      );
      expect(data.compareRegions.regions).toEqual([
        { region: { id: graph.id('city') }, total: { missing: 2, covered: 1 } },
        { region: { id: graph.id('near') }, total: { missing: 4, covered: 0 } },
      ]);
      const b = data.compareRegions.segments.find((segment) => graph.local(segment.segment.id) === 'b')!;
      expect(
        b.byRegion.map((entry) => [graph.local(entry.region.id), entry.status, entry.localEnterpriseCount]),
      ).toEqual([
        ['city', 'DEPENDENT', 3],
        ['near', 'DEPENDENT', 1],
      ]);
      // Segments follow the first region's report order.
      expect(data.compareRegions.segments.map((segment) => graph.local(segment.segment.id))).toEqual([
        'a2',
        'a1',
        'b',
        'c',
        'd',
        'e',
      ]);
    });

    it('needs two to ten different regions', async () => {
      const result = await graphql.run(
        'query ($c: ID!, $r: [ID!]!) { compareRegions(chainId: $c, regionIds: $r) { regions { total { segments } } } }',
        {
          c: graph.id('chain'),
          r: [graph.id('city'), graph.id('city')],
        },
      );
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'regionIds' });
    });
  });

  describe('targetFirms', () => {
    type Targets = {
      targetFirms: {
        gaps: { segment: { id: string } }[];
        recommendations: {
          enterprise: { id: string };
          score: number;
          factors: { name: string; value: number; weight: number; explanation: string }[];
          fills: { segment: { id: string } }[];
          evidence: { factor: string; nodes: { id: string }[]; relationships: string[] }[];
          incentives: { id: string }[];
          distanceKm: number | null;
        }[];
      };
    };
    const TARGETS = `query ($chainId: ID, $segmentId: ID, $regionId: ID!, $weights: TargetWeights) {
      targetFirms(chainId: $chainId, segmentId: $segmentId, regionId: $regionId, weights: $weights) {
        gaps { segment { id } }
        recommendations { enterprise { id } score factors { name value weight explanation } fills { segment { id } }
          evidence { factor nodes { id } relationships } incentives { id } distanceKm }
      }
    }`;

    it('ranks outside firms by the documented factors, never a local one', async () => {
      const data = await graphql.data<Targets>(TARGETS, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
      });
      expect(local(data.targetFirms.gaps.map((gap) => gap.segment.id))).toEqual(['a2', 'a1', 'b', 'c', 'd']);
      const ranked = data.targetFirms.recommendations;
      expect(local(ranked.map((recommendation) => recommendation.enterprise.id))).toEqual([
        'X',
        'Y',
        'S0',
        'Z',
      ]);
      const x = ranked[0]!;
      const factors = Object.fromEntries(x.factors.map((factor) => [factor.name, factor.value]));
      expect(factors).toMatchObject({ FIT: 0.8, CAPABILITY: 0.85, LINKAGE: 1, BREADTH: 0.2 });
      expect(factors['PROXIMITY']).toBeCloseTo(0.6 * (1 - x.distanceKm! / 2000), 3);
      expect(x.distanceKm).toBeGreaterThan(250);
      expect(x.distanceKm).toBeLessThan(280);
      expect(x.score).toBeCloseTo(
        100 * (0.3 * 0.8 + 0.2 * 0.85 + 0.2 * 1 + 0.15 * factors['PROXIMITY']! + 0.15 * 0.2),
        1,
      );
      const y = ranked[1]!;
      expect(local(y.fills.map((gap) => gap.segment.id))).toEqual(['a1', 'a2']);
      expect(y.factors.find((factor) => factor.name === 'BREADTH')!.value).toBe(0.4);
      const s0 = ranked[2]!;
      expect(s0.factors.find((factor) => factor.name === 'LINKAGE')).toMatchObject({ value: 0.4 });
      expect(
        s0.evidence
          .find((evidence) => evidence.factor === 'LINKAGE')!
          .nodes.map((node) => graph.local(node.id)),
      ).toEqual(['S0', 'X', 'c1']);
    });

    it('shows the evidence and the incentives behind a recommendation', async () => {
      const data = await graphql.data<Targets>(TARGETS, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
      });
      const x = data.targetFirms.recommendations[0]!;
      expect(
        x.evidence.map((evidence) => [
          evidence.factor,
          local(evidence.nodes.map((node) => node.id)),
          evidence.relationships,
        ]),
      ).toEqual([
        ['FIT', ['X', 'b'], ['OPERATES_IN']],
        ['LINKAGE', ['X', 'c1'], ['SUPPLIES']],
        ['LINKAGE', ['X', 'c2'], ['SUPPLIES']],
      ]);
      expect(local(x.incentives.map((measure) => measure.id))).toEqual(['measure']);
    });

    it('follows the weights the caller gives', async () => {
      const data = await graphql.data<Targets>(TARGETS, {
        chainId: graph.id('chain'),
        regionId: graph.id('city'),
        weights: { fit: 1, capability: 0, linkage: 0, proximity: 0, breadth: 0 },
      });
      expect(
        local(data.targetFirms.recommendations.map((recommendation) => recommendation.enterprise.id)),
      ).toEqual(['Y', 'X', 'Z', 'S0']);
      expect(data.targetFirms.recommendations.map((recommendation) => recommendation.score)).toEqual([
        100, 80, 50, 47.5,
      ]);
    });

    it('targets one segment gap when given a segment', async () => {
      const data = await graphql.data<Targets>(TARGETS, {
        segmentId: graph.id('a2'),
        regionId: graph.id('city'),
      });
      expect(local(data.targetFirms.gaps.map((gap) => gap.segment.id))).toEqual(['a2']);
      expect(
        local(data.targetFirms.recommendations.map((recommendation) => recommendation.enterprise.id)),
      ).toEqual(['Y', 'Z']);
    });

    it('needs exactly one of chainId and segmentId', async () => {
      const result = await graphql.run(TARGETS, { regionId: graph.id('city') });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'chainId' });
    });
  });

  describe('impactOfLosing', () => {
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
    const IMPACT = `query ($enterpriseId: ID, $segmentId: ID, $regionId: ID!) {
      impactOfLosing(enterpriseId: $enterpriseId, segmentId: $segmentId, regionId: $regionId) {
        segmentsAffected { segment { id } before after localEnterprisesBefore localEnterprisesAfter }
        firmsLosingLocalSupply { enterprise { id } products lostSuppliers { id } }
      }
    }`;

    it('names the local firms that would lose their only local supplier', async () => {
      const data = await graphql.data<Impact>(IMPACT, {
        enterpriseId: graph.id('L1'),
        regionId: graph.id('city'),
      });
      // b stays DEPENDENT (two local firms remain, still mostly supplied from outside): nothing worsens to MISSING/DEPENDENT.
      expect(data.impactOfLosing.segmentsAffected).toEqual([]);
      expect(data.impactOfLosing.firmsLosingLocalSupply).toEqual([
        {
          enterprise: { id: graph.id('c1') },
          products: ['L1 goods'],
          lostSuppliers: [{ id: graph.id('L1') }],
        },
      ]);
    });

    it('reports a segment that breaks when its local capacity is lost', async () => {
      const data = await graphql.data<Impact>(IMPACT, {
        segmentId: graph.id('d'),
        regionId: graph.id('city'),
      });
      expect(data.impactOfLosing.segmentsAffected).toEqual([
        {
          segment: { id: graph.id('d') },
          before: 'DEPENDENT',
          after: 'MISSING',
          localEnterprisesBefore: 1,
          localEnterprisesAfter: 0,
        },
      ]);
    });

    it('does not report a segment that only weakens', async () => {
      const data = await graphql.data<Impact>(IMPACT, {
        enterpriseId: graph.id('E1'),
        regionId: graph.id('city'),
      });
      expect(data.impactOfLosing.segmentsAffected).toEqual([]);
    });
  });

  describe('upstream and downstream', () => {
    type SegmentReach = {
      segment: {
        reach: {
          segments: { segment: { id: string }; distance: number; path: { id: string }[] }[];
          enterprises: {
            enterprise: { id: string };
            segment: { id: string };
            distance: number;
            local: boolean | null;
          }[];
        };
      };
    };
    const reach = (
      direction: 'upstream' | 'downstream',
      extra = '',
    ) => `query ($id: ID!, $depth: Int!, $regionId: ID) {
      segment(id: $id) { reach: ${direction}(depth: $depth, regionId: $regionId) {
        segments { segment { id } distance path { id } }
        enterprises(${extra || 'first: 50'}) { enterprise { id } segment { id } distance local } } } }`;

    it('walks downstream with distances and shortest paths, across the cycle without looping', async () => {
      const data = await graphql.data<SegmentReach>(reach('downstream'), { id: graph.id('a1'), depth: 6 });
      expect(
        data.segment.reach.segments.map((reached) => [
          graph.local(reached.segment.id),
          reached.distance,
          local(reached.path.map((step) => step.id)).join('>'),
        ]),
      ).toEqual([
        ['b', 1, 'a1>b'],
        ['c', 2, 'a1>b>c'],
        ['d', 3, 'a1>b>c>d'],
        ['e', 3, 'a1>b>c>e'],
      ]);
    });

    it('walks upstream to the requested depth only, paths in flow order', async () => {
      const data = await graphql.data<SegmentReach>(reach('upstream'), { id: graph.id('a1'), depth: 2 });
      expect(
        data.segment.reach.segments.map((reached) => [
          graph.local(reached.segment.id),
          reached.distance,
          local(reached.path.map((step) => step.id)).join('>'),
        ]),
      ).toEqual([
        ['e', 1, 'e>a1'],
        ['c', 2, 'c>e>a1'],
      ]);
    });

    it('lists enterprises in the reached segments, nearest first, marking and filtering local ones', async () => {
      const data = await graphql.data<SegmentReach>(reach('downstream', 'first: 3, onlyLocal: true'), {
        id: graph.id('b'),
        depth: 6,
        regionId: graph.id('city'),
      });
      expect(
        data.segment.reach.enterprises.map((firm) => [
          graph.local(firm.enterprise.id),
          graph.local(firm.segment.id),
          firm.distance,
          firm.local,
        ]),
      ).toEqual([
        ['c1', 'c', 1, true],
        ['c2', 'c', 1, true],
        ['D1', 'd', 2, true],
      ]);
    });

    it('follows firm-level supply edges from an enterprise, marking local suppliers', async () => {
      const data = await graphql.data<{
        enterprise: {
          upstream: {
            enterprises: {
              enterprise: { id: string };
              distance: number;
              local: boolean;
              products: string[];
              path: { id: string }[];
            }[];
          };
        };
      }>(
        `query ($id: ID!, $regionId: ID) { enterprise(id: $id) { upstream(depth: 2, regionId: $regionId) {
          enterprises { enterprise { id } distance local products path { id } } } } }`,
        { id: graph.id('c1'), regionId: graph.id('city') },
      );
      expect(
        data.enterprise.upstream.enterprises.map((firm) => [
          graph.local(firm.enterprise.id),
          firm.distance,
          firm.local,
          firm.products,
          local(firm.path.map((step) => step.id)),
        ]),
      ).toEqual([
        ['L1', 1, true, ['L1 goods'], ['L1', 'c1']],
        ['X', 1, false, ['X goods'], ['X', 'c1']],
        ['S0', 2, false, ['S0 goods'], ['S0', 'X', 'c1']],
      ]);
    });

    it('validates the depth before building a query', async () => {
      for (const depth of [0, 7, -1]) {
        const result = await graphql.run(reach('upstream'), { id: graph.id('a1'), depth });
        expect(result.errors?.[0]?.extensions, `depth ${depth}`).toMatchObject({
          code: 'BAD_USER_INPUT',
          argument: 'depth',
        });
        expect(result.roundTrips).toBe(0);
      }
    });
  });
});
