import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  linkageBonus,
  normaliseWeights,
  rankCandidates,
  scoreCandidate,
  type CandidateFacts,
  type TargetWeights,
} from '../../src/analytics/targets.js';

/** Target-firm weights at the extremes (issue 11): only their proportions may matter. */

const candidateArbitrary: fc.Arbitrary<CandidateFacts> = fc.record({
  id: fc.stringMatching(/^[a-z]{1,6}$/),
  name: fc.constant('firm'),
  sizeBand: fc.constantFrom('LARGE', 'MEDIUM', 'SMALL', 'MICRO'),
  leading: fc.boolean(),
  highTech: fc.boolean(),
  platformsHosted: fc.integer({ min: 0, max: 4 }),
  operations: fc.array(
    fc.record({
      gapSegmentId: fc.constantFrom('g1', 'g2', 'g3', 'other'),
      segmentId: fc.constant('s'),
      segmentName: fc.constant('段'),
      role: fc.constantFrom('CORE', 'SUPPLIER', 'SERVICE'),
      mainProducts: fc.constant([]),
    }),
    { maxLength: 3 },
  ),
  suppliesLocal: fc.array(
    fc.record({
      enterpriseId: fc.constant('l'),
      enterpriseName: fc.constant('l'),
      products: fc.constant([]),
    }),
    { maxLength: 2 },
  ),
  buysFromLocal: fc.constant([]),
  indirect: fc.constant([]),
  inPriorityRegion: fc.boolean(),
  distanceKm: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: null }),
});
const gaps = new Map([
  ['g1', { segmentId: 'g1', name: 'g1', score: 90 }],
  ['g2', { segmentId: 'g2', name: 'g2', score: 40 }],
  ['g3', { segmentId: 'g3', name: 'g3', score: 10 }],
]);

/** Any valid weight: 0, or anything from the smallest subnormal to the API's maximum of 1000. */
const weight = fc.oneof(fc.constant(0), fc.double({ min: Number.MIN_VALUE, max: 1000, noNaN: true }));
const weightsArbitrary: fc.Arbitrary<TargetWeights> = fc
  .record({ fit: weight, capability: weight, linkage: weight, proximity: weight, breadth: weight })
  .filter((weights) => valuesOf(weights).some((value) => value > 0));
/** Any positive factor, tiny and huge included (powers of two exercise the exponent range evenly). */
const factor = fc.oneof(
  fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
  fc.integer({ min: -1074, max: 1023 }).map((exponent) => 2 ** exponent),
);

const valuesOf = (weights: TargetWeights): number[] => [
  weights.fit,
  weights.capability,
  weights.linkage,
  weights.proximity,
  weights.breadth,
];
const scaled = (weights: TargetWeights, by: number): TargetWeights => ({
  fit: weights.fit * by,
  capability: weights.capability * by,
  linkage: weights.linkage * by,
  proximity: weights.proximity * by,
  breadth: weights.breadth * by,
});
/**
 * Scaling is only meaningful while it keeps the proportions: no weight may overflow, underflow to 0 or into the
 * subnormal range (where it loses precision).
 */
const keepsProportions = (weights: TargetWeights, by: number) =>
  valuesOf(scaled(weights, by)).every(
    (value, index) => valuesOf(weights)[index] === 0 || (value >= 2 ** -1022 && Number.isFinite(value)),
  );

describe('target-firm weights', () => {
  it('never changes the ranking or the scores when every weight is scaled by one positive factor, and keeps scores in 0–100', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(candidateArbitrary, { selector: (candidate) => candidate.id, maxLength: 8 }),
        weightsArbitrary,
        factor,
        (candidates, weights, by) => {
          const other = scaled(weights, by);
          fc.pre(keepsProportions(weights, by));
          const ranked = rankCandidates(candidates, gaps, weights);
          const again = rankCandidates(candidates, gaps, other);
          const summary = (list: typeof ranked) => list.map((entry) => [entry.candidate.id, entry.score]);
          expect(summary(again)).toEqual(summary(ranked));
          for (const entry of ranked) {
            expect(entry.score).toBeGreaterThanOrEqual(0);
            expect(entry.score).toBeLessThanOrEqual(100);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives a single subnormal weight the weighted mean of that factor alone, not 100 for every firm', () => {
    fc.assert(
      fc.property(candidateArbitrary, (candidate) => {
        const tiny = { fit: 5e-324, capability: 0, linkage: 0, proximity: 0, breadth: 0 };
        const scored = scoreCandidate(candidate, gaps, tiny);
        const fit = scored.factors.find((entry) => entry.name === 'FIT')!;
        expect(scored.score).toBe(Math.round(100 * fit.value * 100) / 100);
        expect(scored.score).toBe(scoreCandidate(candidate, gaps, { ...tiny, fit: 1 }).score);
        // The factors report the weights as given.
        expect(fit.weight).toBe(5e-324);
      }),
      { numRuns: 500 },
    );
  });

  it('divides by the largest weight, so the largest becomes exactly 1', () => {
    fc.assert(
      fc.property(weightsArbitrary, (weights) => {
        const normal = normaliseWeights(weights);
        expect(Math.max(...valuesOf(normal))).toBe(1);
        for (const value of valuesOf(normal)) expect(value).toBeGreaterThanOrEqual(0);
        expect(linkageBonus(weights)).toBeGreaterThanOrEqual(0);
        expect(linkageBonus(weights)).toBeLessThanOrEqual(100);
      }),
    );
    expect(normaliseWeights({ fit: 0, capability: 0, linkage: 0, proximity: 0, breadth: 0 }).fit).toBe(0);
    expect(linkageBonus({ fit: 5e-324, capability: 0, linkage: 5e-324, proximity: 0, breadth: 0 })).toBe(50);
  });
});
