import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STATUS_RANK, type GapStatus } from '../../src/analytics/gaps.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraphSpec } from '../support/graphBuilder.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';

/**
 * Invariants of the analytics over random chains: fast-check generates a chain (segments, random supply-flow edges
 * with cycles allowed, firms inside and outside the region, supply edges), the test writes it to Neo4j under its
 * own prefix and checks the invariant through GraphQL, then removes it. Runs are few (each touches the database);
 * the pure rules are also checked with many more runs in test/unit.
 */

const STAGES = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'] as const;

const randomChain = fc
  .record({
    segmentCount: fc.integer({ min: 2, max: 7 }),
    edgeSeeds: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 14 }),
    firmSeeds: fc.array(
      fc.record({
        segment: fc.nat(),
        inside: fc.boolean(),
        leading: fc.boolean(),
        supplies: fc.array(fc.nat(), { maxLength: 2 }),
      }),
      {
        maxLength: 12,
      },
    ),
    platformSeeds: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ segmentCount, edgeSeeds, firmSeeds, platformSeeds }): TestGraphSpec => {
    const segmentId = (seed: number) => `s${seed % segmentCount}`;
    const feeds = new Map<string, Set<string>>();
    for (const [from, to] of edgeSeeds) {
      if (from % segmentCount === to % segmentCount) continue;
      const set = feeds.get(segmentId(from)) ?? new Set<string>();
      set.add(segmentId(to));
      feeds.set(segmentId(from), set);
    }
    const firmId = (index: number) => `f${index}`;
    return {
      regions: [
        { id: 'region', lat: 38, lon: 114.5 },
        { id: 'inner', parent: 'region' },
        { id: 'outside', lat: 40, lon: 116 },
      ],
      chain: 'chain',
      segments: Array.from({ length: segmentCount }, (_, index) => ({
        id: `s${index}`,
        stage: STAGES[index % 3]!,
        feeds: [...(feeds.get(`s${index}`) ?? [])],
      })),
      firms: firmSeeds.map((seed, index) => ({
        id: firmId(index),
        region: seed.inside ? (index % 2 === 0 ? 'region' : 'inner') : 'outside',
        segments: [segmentId(seed.segment)],
        leading: seed.leading,
        supplies: [
          ...new Set(seed.supplies.map((target) => firmId(target % Math.max(1, firmSeeds.length)))),
        ].filter((target) => target !== firmId(index)),
      })),
      platforms: platformSeeds.map((seed, index) => ({
        id: `p${index}`,
        region: 'region',
        supports: [segmentId(seed)],
      })),
    };
  });

describe('analytics invariants over random chains', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await database.close();
  });

  async function withGraph<T>(
    spec: TestGraphSpec,
    check: (id: (local: string) => string) => Promise<T>,
  ): Promise<T> {
    const prefix = uniquePrefix('prop');
    prefixes.push(prefix);
    const graph = await createTestGraph(database.executor, prefix, spec);
    try {
      return await check((local) => graph.id(local));
    } finally {
      await deleteByPrefix(database.executor, prefix);
    }
  }

  const reachIds = async (id: string, direction: 'upstream' | 'downstream', depth: number) => {
    const data = await graphql.data<{ segment: { reach: { segments: { segment: { id: string } }[] } } }>(
      `query ($id: ID!, $depth: Int!) { segment(id: $id) { reach: ${direction}(depth: $depth) { segments { segment { id } } } } }`,
      { id, depth },
    );
    return new Set(data.segment.reach.segments.map((reached) => reached.segment.id));
  };

  it('upstream at depth d is contained in upstream at depth d + 1', async () => {
    await fc.assert(
      fc.asyncProperty(randomChain, fc.nat(), fc.integer({ min: 1, max: 5 }), async (spec, start, depth) => {
        await withGraph(spec, async (id) => {
          const origin = id(`s${start % spec.segments.length}`);
          const shallow = await reachIds(origin, 'upstream', depth);
          const deeper = await reachIds(origin, 'upstream', depth + 1);
          for (const segment of shallow) expect(deeper.has(segment)).toBe(true);
        });
      }),
      { numRuns: 8 },
    );
  });

  it('A is upstream of B exactly when B is downstream of A', async () => {
    await fc.assert(
      fc.asyncProperty(randomChain, async (spec) => {
        await withGraph(spec, async (id) => {
          const segments = spec.segments.map((segment) => id(segment.id));
          const upstream = new Map(
            await Promise.all(segments.map(async (s) => [s, await reachIds(s, 'upstream', 6)] as const)),
          );
          const downstream = new Map(
            await Promise.all(segments.map(async (s) => [s, await reachIds(s, 'downstream', 6)] as const)),
          );
          for (const a of segments) {
            for (const b of segments) {
              expect(upstream.get(b)!.has(a), `${a} upstream of ${b}`).toBe(downstream.get(a)!.has(b));
            }
          }
        });
      }),
      { numRuns: 6 },
    );
  });

  type Gaps = { chainGaps: { gaps: { segment: { id: string }; status: GapStatus; score: number }[] } };
  const GAPS =
    'query ($c: ID!, $r: ID!) { chainGaps(chainId: $c, regionId: $r) { gaps { segment { id } status score } } }';

  it('adding a local firm to a segment never worsens its status or raises its score', async () => {
    await fc.assert(
      fc.asyncProperty(randomChain, fc.nat(), fc.boolean(), async (spec, target, leading) => {
        const segment = `s${target % spec.segments.length}`;
        const before = await withGraph(spec, (id) =>
          graphql.data<Gaps>(GAPS, { c: id('chain'), r: id('region') }),
        );
        const withFirm: TestGraphSpec = {
          ...spec,
          firms: [...spec.firms, { id: 'newcomer', region: 'inner', segments: [segment], leading }],
        };
        const after = await withGraph(withFirm, (id) =>
          graphql.data<Gaps>(GAPS, { c: id('chain'), r: id('region') }),
        );
        const find = (report: Gaps) =>
          report.chainGaps.gaps.find((gap) => gap.segment.id.endsWith(`-${segment}`))!;
        expect(STATUS_RANK[find(after).status]).toBeGreaterThanOrEqual(STATUS_RANK[find(before).status]);
        expect(find(after).score).toBeLessThanOrEqual(find(before).score);
      }),
      { numRuns: 8 },
    );
  });

  it('never recommends a firm located inside the region', async () => {
    await fc.assert(
      fc.asyncProperty(randomChain, async (spec) => {
        await withGraph(spec, async (id) => {
          const data = await graphql.data<{
            targetFirms: { recommendations: { enterprise: { id: string } }[] };
          }>(
            'query ($c: ID!, $r: ID!) { targetFirms(chainId: $c, regionId: $r, first: 100) { recommendations { enterprise { id } } } }',
            { c: id('chain'), r: id('region') },
          );
          const inside = new Set(
            spec.firms.filter((firm) => firm.region !== 'outside').map((firm) => id(firm.id)),
          );
          for (const recommendation of data.targetFirms.recommendations) {
            expect(inside.has(recommendation.enterprise.id)).toBe(false);
          }
        });
      }),
      { numRuns: 8 },
    );
  });
});
