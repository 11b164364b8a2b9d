import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { Cell, RegionCounts, SegmentCounts } from '../../src/analytics/aggregates.js';
import { filterMask } from '../../src/analytics/aggregates.js';
import {
  byPriority,
  density,
  presenceFromCells,
  priorityOf,
  PRIORITY_FLOOR,
  proximities,
  relatednessOf,
  type ProximityInputs,
} from '../../src/analytics/feasibility.js';
import { assessSegment, DEFAULT_THRESHOLDS, type SegmentFacts } from '../../src/analytics/gaps.js';

const counts = (enterprises: number): SegmentCounts => ({
  enterprises,
  leading: 0,
  highTech: 0,
  platforms: 0,
  localSupplyEdges: 0,
  outsideSupplyEdges: 0,
  listed: 0,
  listedWithRevenue: 0,
  listedRevenue: 0,
});
const regionCounts = (present: readonly string[]): RegionCounts =>
  new Map(present.map((segment) => [segment, counts(1)]));

/** r with sub-region r1; homes h1, h2 elsewhere. a → b (PLAN), c ← b (ILLUSTRATIVE); d is a's narrower segment. */
const inputs = (presence: Record<string, string[]>): ProximityInputs => ({
  presence: new Map(Object.entries(presence).map(([home, segments]) => [home, new Set(segments)])),
  ancestors: { r: ['r'], r1: ['r1', 'r'], h1: ['h1'], h2: ['h2'] },
  scopeRoots: { a: ['a'], b: ['b'], c: ['c'], d: ['d', 'a'], e: ['e'] },
  feeds: { a: [['b', 'PLAN']], b: [['c', 'ILLUSTRATIVE']], c: [], d: [], e: [] },
  sources: ['PLAN', 'PUBLIC'],
});

describe('proximity, density and priority (pure)', () => {
  it('φ is max(flow, N_sj / max(N_s, N_j)), leaves out the region’s own homes, the filter’s other links and the same scope', () => {
    // Outside r: h1 {a, c, e}, h2 {c, e}; r1 (inside r) {a, c} is left out.
    const phi = proximities('r', ['a', 'c'], inputs({ h1: ['a', 'c', 'e'], h2: ['c', 'e'], r1: ['a', 'c'] }));
    // a: b by flow (PLAN link), c and e co-located in 1 of max(1, 2) homes; d is a's narrower segment.
    expect(Object.fromEntries(phi.get('a')!)).toEqual({ b: 1, c: 0.5, e: 0.5 });
    // c: the b → c link is ILLUSTRATIVE, outside the filter; a 1 / max(2, 1); e 2 / 2.
    expect(Object.fromEntries(phi.get('c')!)).toEqual({ a: 0.5, e: 1 });
  });

  it('density is Σ φ x / Σ φ, and 0 with nothing related', () => {
    const related = new Map([
      ['b', 1],
      ['c', 0.5],
      ['e', 0.5],
    ]);
    expect(density(related, (j) => j === 'c')).toBe(0.25);
    expect(density(related, () => true)).toBe(1);
    expect(density(new Map(), () => true)).toBe(0);
    const omega = relatednessOf('r', regionCounts(['b', 'e']), ['a'], inputs({ h1: ['a', 'c', 'e'] }));
    // a: b 1 (flow), c 1/1, e 1/1 → (1 + 1) / 3.
    expect(omega.get('a')).toBe(0.6667);
  });

  it('presence reads the firm entries a filter admits', () => {
    const cell: Cell = {
      firms: [
        ['a', [1], 2, 0, 0], // PLAN
        ['b', [4], 1, 0, 0], // ILLUSTRATIVE
        ['c', [3], 1, 0, 0], // needs PLAN and PUBLIC together
      ],
      platforms: [],
      supply: [],
    };
    const presence = presenceFromCells(new Map([['h', cell]]), filterMask('PLAN+PUBLIC'));
    expect([...presence.get('h')!].sort()).toEqual(['a', 'c']);
    expect(presenceFromCells(new Map([['h', cell]]), filterMask('PUBLIC')).has('h')).toBe(false);
  });

  it('priority = score × (0.25 + 0.75 × relatedness), clamped', () => {
    expect(PRIORITY_FLOOR).toBe(0.25);
    expect(priorityOf(80, 0)).toBe(20);
    expect(priorityOf(80, 1)).toBe(80);
    expect(priorityOf(70, 0.5)).toBe(43.75);
    expect(priorityOf(50, 2)).toBe(50);
    expect(priorityOf(0, 1)).toBe(0);
  });

  it('PRIORITY order: priority, then score, then the score order', () => {
    const items = [
      { id: 'x', score: 60, p: 30 },
      { id: 'y', score: 50, p: 30 },
      { id: 'z', score: 10, p: 40 },
      { id: 'w', score: 60, p: 30 },
    ];
    const sorted = [...items].sort(
      byPriority(
        (item) => item.p,
        (a, b) => (a.id < b.id ? -1 : 1),
      ),
    );
    expect(sorted.map((item) => item.id)).toEqual(['z', 'w', 'x', 'y']);
  });

  it('a SERVICE segment has criticality 0 and no DOWNSTREAM_DEPENDENCE reason', () => {
    const facts: SegmentFacts = {
      segmentId: 's',
      name: 's',
      nameEn: null,
      stage: 'DOWNSTREAM',
      localEnterpriseCount: 0,
      leadingCount: 0,
      highTechCount: 0,
      platformCount: 0,
      localSupplyEdges: 0,
      outsideSupplyEdges: 0,
      downstreamInChain: 3,
      downstreamAll: 3,
      chainSize: 4,
    };
    // Under a census, where no firm means a broken link (MISSING, severity 1).
    const product = assessSegment(facts, DEFAULT_THRESHOLDS, 'CENSUS');
    expect([product.criticality, product.score]).toEqual([1, 100]);
    const service = assessSegment({ ...facts, kind: 'SERVICE' }, DEFAULT_THRESHOLDS, 'CENSUS');
    expect([service.criticality, service.score]).toEqual([0, 50]);
    expect(service.reasons.map((reason) => reason.code)).toEqual(['NO_LOCAL_ENTERPRISE']);
  });
});

const SEGMENTS = ['a', 'b', 'c', 'd', 'e'];
const HOMES = ['r', 'r1', 'h1', 'h2'];
const randomWorld = fc.record({
  presence: fc.dictionary(fc.constantFrom(...HOMES), fc.subarray(SEGMENTS), { maxKeys: 4 }),
  feeds: fc.array(fc.tuple(fc.constantFrom(...SEGMENTS), fc.constantFrom(...SEGMENTS)), { maxLength: 8 }),
  region: fc.subarray(SEGMENTS),
});

function world(value: { presence: Record<string, string[]>; feeds: [string, string][] }): ProximityInputs {
  const feeds: Record<string, [string, string | null][]> = Object.fromEntries(SEGMENTS.map((s) => [s, []]));
  for (const [from, to] of value.feeds) if (from !== to) feeds[from]!.push([to, 'PLAN']);
  return { ...inputs(value.presence), feeds };
}

describe('feasibility properties', () => {
  it('adding a firm in the region (in any of its homes, any segments) never lowers any segment’s relatedness', () => {
    fc.assert(
      fc.property(
        randomWorld,
        fc.constantFrom('r', 'r1'),
        fc.subarray(SEGMENTS, { minLength: 1 }),
        (value, home, firmSegments) => {
          const before = relatednessOf('r', regionCounts(value.region), SEGMENTS, world(value));
          const presence = {
            ...value.presence,
            [home]: [...new Set([...(value.presence[home] ?? []), ...firmSegments])],
          };
          const after = relatednessOf(
            'r',
            regionCounts([...new Set([...value.region, ...firmSegments])]),
            SEGMENTS,
            world({ ...value, presence }),
          );
          for (const s of SEGMENTS) expect(after.get(s)!).toBeGreaterThanOrEqual(before.get(s)!);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('raising relatedness never lowers priority, nor does a higher score; priority stays within 0–100', () => {
    const unit = fc.double({ min: 0, max: 1, noNaN: true });
    const score = fc.double({ min: 0, max: 100, noNaN: true });
    fc.assert(
      fc.property(score, score, unit, unit, (s1, s2, r1, r2) => {
        const [lowS, highS] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const [lowR, highR] = r1 <= r2 ? [r1, r2] : [r2, r1];
        expect(priorityOf(lowS, lowR)).toBeLessThanOrEqual(priorityOf(lowS, highR));
        expect(priorityOf(lowS, lowR)).toBeLessThanOrEqual(priorityOf(highS, lowR));
        const value = priorityOf(highS, highR);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(100);
      }),
      { numRuns: 1000 },
    );
  });
});
