import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type {
  GapReportQuery,
  IcTargetFirmsQuery,
  ImpactOfLosingZhongciQuery,
  NevShijiazhuangVsTianjinQuery,
  ShiyaoUpstreamQuery,
} from '../../src/graphql/generated/operations.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestGraphQL, savedOperation, savedVariables, type TestGraphQL } from '../support/graphql.js';

/** The saved analytics operations, run against the seed graph, with answers a planner would find sensible. */
describe('analytics on the seed graph', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
  });
  afterAll(async () => {
    await graphql.stop();
    await database.close();
  });

  const CHAINS = ['ic', 'nev', 'led', 'biomedicine', 'military-civil'] as const;

  it.each(CHAINS)(
    'reports gaps and covered segments for the %s chain in Shijiazhuang, and targets for its top gap',
    async (chainId) => {
      const report = await graphql.run<GapReportQuery>(
        savedOperation('gap-report'),
        savedVariables('gap-report', chainId),
      );
      expect(report.errors).toBeUndefined();
      const { gaps, total, chain, region } = report.data!.chainGaps;
      expect(chain.id).toBe(chainId);
      expect(region.id).toBe('shijiazhuang');
      expect(total.segments).toBeGreaterThanOrEqual(22);
      // Issue 15: Shijiazhuang's firm data is PARTIAL (no census is shipped), so a segment with no recorded firm is
      // UNKNOWN, never MISSING.
      expect(total.unknown).toBeGreaterThan(0);
      expect(total.missing).toBe(0);
      // Real data only by default (issue 15): some segments have recorded local firms, though few are COVERED.
      expect(total.presenceRatio).toBeGreaterThan(0);
      expect(gaps[0]!.status).toBe('UNKNOWN');
      // Worst first.
      expect(gaps.map((gap) => gap.score)).toEqual([...gaps.map((gap) => gap.score)].sort((a, b) => b - a));
      for (const gap of gaps.filter((candidate) => candidate.status !== 'COVERED'))
        expect(gap.reasons.length).toBeGreaterThan(0);

      // Real data only (issue 15): not every gap has a real outside firm recorded in it; the worst one that has gets
      // targets.
      let targeted: string | undefined;
      for (const gap of gaps.filter((candidate) => candidate.status !== 'COVERED').slice(0, 5)) {
        const targets = await graphql.data<{
          targetFirms: { recommendations: { enterprise: { id: string; region: { id: string } } }[] };
        }>(
          'query ($s: ID!) { targetFirms(segmentId: $s, regionId: "shijiazhuang") { recommendations { enterprise { id region { id } } } } }',
          { s: gap.segment.id },
        );
        if (targets.targetFirms.recommendations.length > 0) {
          targeted = gap.segment.id;
          break;
        }
      }
      expect(targeted, `targets for one of the top gaps of ${chainId}`).toBeDefined();
    },
  );

  it('recommends outside firms for the IC chain, each with factors, evidence and incentives', async () => {
    const result = await graphql.run<IcTargetFirmsQuery>(savedOperation('ic-target-firms'));
    expect(result.errors).toBeUndefined();
    const { recommendations, gaps } = result.data!.targetFirms;
    expect(gaps.length).toBeGreaterThan(0);
    expect(recommendations).toHaveLength(10);
    for (const recommendation of recommendations) {
      expect(recommendation.factors.map((factor) => factor.name)).toEqual([
        'FIT',
        'CAPABILITY',
        'LINKAGE',
        'PROXIMITY',
        'BREADTH',
      ]);
      expect(recommendation.evidence.some((evidence) => evidence.factor === 'FIT')).toBe(true);
      expect(recommendation.incentives.length).toBeGreaterThan(0);
      expect(recommendation.fills.length).toBeGreaterThan(0);
    }
    expect(recommendations.map((recommendation) => recommendation.score)).toEqual(
      [...recommendations.map((recommendation) => recommendation.score)].sort((a, b) => b - a),
    );
    // A bounded number of statements, whatever the number of gaps and candidates: id check, gap facts, gap scopes,
    // the region index, the firms linked to the region and the facts of the best of them (issue 12), a few rounds of
    // the rank-index walk with the supply links of their best firms, incentives, node projections. On the seed graph
    // the walk settles within two rounds.
    expect(result.roundTrips).toBeGreaterThanOrEqual(7);
    expect(result.roundTrips).toBeLessThanOrEqual(13);
  });

  it('answers first: 0 with the gaps and no recommendation (found by fuzzing: it used to fail)', async () => {
    const result = await graphql.run<{ targetFirms: { gaps: unknown[]; recommendations: unknown[] } }>(
      'query { targetFirms(chainId: "ic", regionId: "shijiazhuang", first: 0) { gaps { segment { id } } recommendations { score } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.targetFirms.gaps.length).toBeGreaterThan(0);
    expect(result.data?.targetFirms.recommendations).toEqual([]);
  });

  it("walks a firm's upstream with the saved operation: feeding segments and suppliers, local ones marked", async () => {
    // Issue 14: 石药集团's suppliers in the seeds were invented links between real firms and are gone (no real supply
    // of CSPC is known with a citable document), so the firm-level walk runs from an illustrative demo firm, whose
    // invented suppliers (local and outside) are linked only among the demo firms.
    const result = await graphql.run<ShiyaoUpstreamQuery>(savedOperation('shiyao-upstream'), {
      enterpriseId: 'ent-led-gaoxin-smd-demo',
      // Issue 15: reach follows real data only unless illustrative data is asked for.
      sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
    });
    expect(result.errors).toBeUndefined();
    expect(result.roundTrips).toBe(1);
    const upstream = result.data!.enterprise!.upstream;
    expect(upstream.segments.length).toBeGreaterThan(0);
    expect(upstream.segments.every((reached) => reached.distance >= 1 && reached.distance <= 3)).toBe(true);
    expect(upstream.enterprises.some((firm) => firm.local === true)).toBe(true);
    expect(upstream.enterprises.some((firm) => firm.local === false)).toBe(true);
    for (const firm of upstream.enterprises)
      expect(firm.path.at(-1)!.name).toBe(result.data!.enterprise!.name);
  });

  it('compares the NEV chain in Shijiazhuang and Tianjin', async () => {
    const result = await graphql.run<NevShijiazhuangVsTianjinQuery>(
      savedOperation('nev-shijiazhuang-vs-tianjin'),
    );
    expect(result.errors).toBeUndefined();
    const { regions, segments } = result.data!.compareRegions;
    expect(regions.map((entry) => entry.region.id)).toEqual(['shijiazhuang', 'tianjin']);
    // Both regions have real coverage, and they differ somewhere.
    // Real data only by default (issue 15): both have recorded firms in some segments.
    for (const entry of regions) expect(entry.total.presenceRatio).toBeGreaterThan(0.1);
    expect(segments.some((segment) => segment.byRegion[0]!.status !== segment.byRegion[1]!.status)).toBe(
      true,
    );
  });

  it('shows what losing 中瓷电子 would cost Shijiazhuang', async () => {
    const result = await graphql.run<ImpactOfLosingZhongciQuery>(savedOperation('impact-of-losing-zhongci'));
    expect(result.errors).toBeUndefined();
    const impact = result.data!.impactOfLosing;
    expect(impact.segmentsAffected).toContainEqual(
      expect.objectContaining({
        segment: expect.objectContaining({ id: 'ic-packaging-substrates' }),
        // One firm, but in 半导体材料, where the city is nationally strong (location quotient 2.6 among listed
        // firms; the national data does not separate packaging substrates): WEAK for want of a platform, not
        // DEPENDENT for its one firm.
        before: 'WEAK',
        // Issue 15: Shijiazhuang's firm data is PARTIAL, so no recorded firm is UNKNOWN, not MISSING.
        after: 'UNKNOWN',
      }),
    );
    expect(impact.firmsLosingLocalSupply.map((loss) => loss.enterprise.id)).toContain('ent-cetc13');
    for (const loss of impact.firmsLosingLocalSupply)
      expect(loss.lostSuppliers.map((supplier) => supplier.id)).toEqual(['ent-zhongci']);
  });
});
