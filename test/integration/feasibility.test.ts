import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph, type TestGraphSpec } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Feasibility (issue 15) on a graph worked out by hand, over HTTP (the real app over the test Neo4j).
 *
 * Chain (6 segments): u → m → p; t (SERVICE) → m, t → p; w → t; q stands alone.
 *   Criticality (others = 5): u reaches m, p → 0.4; m reaches p → 0.2; p → 0; t is a SERVICE → 0 (it would reach
 *   m, p: 0.4); w reaches t and stops there (a path does not run through a service) → 1/5 = 0.2 (it would be 0.6).
 * The region `city` (with `district`): M1 in m (1 firm: DEPENDENT); P1 (leading), P2 (district), P3 in p (3 firms,
 *   1 leading, no platform: WEAK, severity 0.2 + 0.2 × (0 + 0 + 1) / 3); nothing in u, t, w, q (MISSING).
 *   Scores = 100 × severity × (0.5 + 0.5 × criticality): u 70, w 60, t 50, q 50, m 60 × 0.6 = 36, p 13.33.
 * Co-location, homes outside the city: h1 {u, m, q}, h2 {u, q}, h3 {w, t, m}.
 *   N: u 2, m 2, q 2, w 1, t 1; together: u·m 1, u·q 2, m·q 1, w·t 1, w·m 1, t·m 1.
 *   φ = max(flow, N_sj / max(N_s, N_j)); the city has m and p (x = 1), nothing else.
 *   u: m (flow 1), q (2/2 = 1) → ω = 1 / 2 = 0.5
 *   w: t (flow 1), m (1/2 = 0.5) → ω = 0.5 / 1.5 = 0.3333
 *   t: m (flow 1), p (flow 1), w (flow 1) → ω = 2 / 3 = 0.6667
 *   q: u (2/2 = 1), m (1/2 = 0.5) → ω = 0.5 / 1.5 = 0.3333
 *   m: u, p, t (flow 1 each), q (1/2), w (1/2) → ω = 1 / 4 = 0.25
 *   p: m, t (flow 1 each) → ω = 1 / 2 = 0.5
 * Priority = score × (0.25 + 0.75 × ω): u 43.75, t 50 × 0.750025 = 37.5, w 60 × 0.499975 = 30, q 25,
 *   m 36 × 0.4375 = 15.75, p 13.33 × 0.625 = 8.33.
 */
const SPEC: TestGraphSpec = {
  regions: [
    { id: 'city', completeness: 'CENSUS' },
    { id: 'district', parent: 'city' },
    { id: 'h1' },
    { id: 'h2' },
    { id: 'h3' },
  ],
  chain: 'chain',
  segments: [
    { id: 'u', stage: 'UPSTREAM', feeds: ['m'] },
    { id: 'w', stage: 'UPSTREAM', feeds: ['t'] },
    { id: 'q', stage: 'UPSTREAM' },
    { id: 'm', stage: 'MIDSTREAM', feeds: ['p'] },
    { id: 't', stage: 'DOWNSTREAM', kind: 'SERVICE', feeds: ['m', 'p'] },
    { id: 'p', stage: 'DOWNSTREAM' },
  ],
  firms: [
    { id: 'M1', region: 'city', segments: ['m'] },
    { id: 'P1', region: 'city', segments: ['p'], leading: true },
    { id: 'P2', region: 'district', segments: ['p'] },
    { id: 'P3', region: 'city', segments: ['p'] },
    { id: 'A1', region: 'h1', segments: ['u'] },
    { id: 'B1', region: 'h1', segments: ['m'] },
    { id: 'C1', region: 'h1', segments: ['q'] },
    { id: 'A2', region: 'h2', segments: ['u', 'q'] },
    { id: 'W3', region: 'h3', segments: ['w'] },
    { id: 'T3', region: 'h3', segments: ['t', 'm'] },
  ],
};

interface Gap {
  segment: { id: string; kind: string };
  status: string;
  criticality: number;
  score: number;
  relatedness: number;
  priority: number;
  downstreamSegmentCount: number;
  reasons: { code: string }[];
}

const GAPS = `query ($chainId: ID!, $regionId: ID!, $orderBy: GapOrder, $sources: [ProvenanceSource!]) {
  chainGaps(chainId: $chainId, regionId: $regionId, orderBy: $orderBy, sources: $sources) {
    gaps { segment { id kind } status criticality score relatedness priority downstreamSegmentCount reasons { code } }
  }
}`;

describe('feasibility: segment kind, relatedness and priority (hand-worked graph, over HTTP)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  const prefix = uniquePrefix('feasibility');
  const prefixes: string[] = [prefix];

  async function gaps(
    chainId: string,
    regionId: string,
    orderBy?: 'SCORE' | 'PRIORITY',
    sources: string[] = ['PLAN'],
  ): Promise<Gap[]> {
    const response = await postGraphQL<{ chainGaps: { gaps: Gap[] } }>(server.url, {
      query: GAPS,
      variables: { chainId, regionId, sources, ...(orderBy ? { orderBy } : {}) },
    });
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.chainGaps.gaps;
  }
  const local = (gap: Gap) => graph.local(gap.segment.id);

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    graph = await createTestGraph(database.executor, prefix, SPEC);
  });
  afterAll(async () => {
    for (const used of prefixes) await deleteByPrefix(database.executor, used);
    await server.close();
    await database.close();
  });

  it('a SERVICE segment has criticality 0 and no DOWNSTREAM_DEPENDENCE, and a path does not run through it', async () => {
    const byId = new Map((await gaps(graph.id('chain'), graph.id('city'))).map((gap) => [local(gap), gap]));
    const t = byId.get('t')!;
    expect(t.segment.kind).toBe('SERVICE');
    expect(byId.get('u')!.segment.kind).toBe('PRODUCT');
    expect([t.status, t.criticality, t.score, t.downstreamSegmentCount]).toEqual(['MISSING', 0, 50, 0]);
    expect(t.reasons.map((reason) => reason.code)).toEqual(['NO_LOCAL_ENTERPRISE']);
    const w = byId.get('w')!;
    expect([w.criticality, w.score, w.downstreamSegmentCount]).toEqual([0.2, 60, 1]);
    expect(w.reasons.map((reason) => reason.code)).toEqual(['NO_LOCAL_ENTERPRISE', 'DOWNSTREAM_DEPENDENCE']);
    expect([byId.get('u')!.criticality, byId.get('m')!.criticality, byId.get('p')!.criticality]).toEqual([
      0.4, 0.2, 0,
    ]);
  });

  it('relatedness is the density over supply-flow and co-location proximity, exactly as worked by hand', async () => {
    const answer = await gaps(graph.id('chain'), graph.id('city'));
    expect(Object.fromEntries(answer.map((gap) => [local(gap), gap.relatedness]))).toEqual({
      u: 0.5,
      w: 0.3333,
      t: 0.6667,
      q: 0.3333,
      m: 0.25,
      p: 0.5,
    });
    expect(Object.fromEntries(answer.map((gap) => [local(gap), gap.priority]))).toEqual({
      u: 43.75,
      t: 37.5,
      w: 30,
      q: 25,
      m: 15.75,
      p: 8.33,
    });
  });

  it('orders by SCORE by default and by priority with orderBy: PRIORITY', async () => {
    const byScore = await gaps(graph.id('chain'), graph.id('city'));
    expect(byScore.map(local)).toEqual(['u', 'w', 'q', 't', 'm', 'p']);
    expect((await gaps(graph.id('chain'), graph.id('city'), 'SCORE')).map(local)).toEqual(byScore.map(local));
    const byPriority = await gaps(graph.id('chain'), graph.id('city'), 'PRIORITY');
    expect(byPriority.map(local)).toEqual(['u', 't', 'w', 'q', 'm', 'p']);
    expect(byPriority.map((gap) => gap.score)).toEqual([70, 50, 60, 50, 36, 13.33]);
  });

  it('refuses an unknown orderBy with BAD_USER_INPUT naming the value', async () => {
    const response = await postGraphQL(server.url, {
      query: GAPS,
      variables: { chainId: graph.id('chain'), regionId: graph.id('city'), orderBy: 'WORST' },
    });
    expect(response.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message).toContain('WORST');
  });

  it('on the shipped data nev-testing-certification is a SERVICE with criticality 0 and not the first NEV gap', async () => {
    for (const orderBy of ['SCORE', 'PRIORITY'] as const) {
      const answer = await gaps('nev', 'shijiazhuang', orderBy, ['PLAN', 'PUBLIC']);
      const testing = answer.find((gap) => gap.segment.id === 'nev-testing-certification')!;
      expect(testing.segment.kind).toBe('SERVICE');
      expect(testing.criticality).toBe(0);
      expect(testing.reasons.map((reason) => reason.code)).not.toContain('DOWNSTREAM_DEPENDENCE');
      expect(answer[0]!.segment.id).not.toBe('nev-testing-certification');
      expect(answer.indexOf(testing)).toBeGreaterThan(0);
    }
  });

  it('property: adding a firm in the region never lowers the relatedness of any segment', async () => {
    const segmentIds = SPEC.segments.map((segment) => segment.id);
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(segmentIds, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('city', 'district'),
        async (segments, region) => {
          const own = uniquePrefix('feasprop');
          prefixes.push(own);
          const spec = (extra: boolean): TestGraphSpec => ({
            ...SPEC,
            firms: extra ? [...SPEC.firms, { id: 'NEW', region, segments }] : SPEC.firms,
          });
          const built = await createTestGraph(database.executor, own, spec(false));
          const relatedness = async () =>
            new Map(
              (await gaps(built.id('chain'), built.id('city'))).map((gap) => [
                built.local(gap.segment.id),
                gap.relatedness,
              ]),
            );
          const before = await relatedness();
          await createTestGraph(database.executor, own, spec(true));
          const after = await relatedness();
          for (const [segment, value] of before) {
            expect(
              after.get(segment)!,
              `${segment} after adding a firm in ${segments.join(', ')}`,
            ).toBeGreaterThanOrEqual(value);
          }
          await deleteByPrefix(database.executor, own);
        },
      ),
      { numRuns: 4 },
    );
  });
});
