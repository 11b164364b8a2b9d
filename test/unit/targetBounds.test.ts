import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { frontierOf, linkedCandidatesQuery, linkedOrder } from '../../src/analytics/candidates.js';
import {
  LINKAGE_VALUE,
  breadthValue,
  CAPABILITY_KEY_SCALE,
  capabilityKey,
  proximityValue,
  scoreCandidate,
  scoreWithLinkage,
  unseenBound,
  weightedScore,
  normaliseWeights,
  type CandidateFacts,
  type GapInScope,
  type TargetWeights,
} from '../../src/analytics/targets.js';

/**
 * The bounds behind ranking target firms in the database (src/analytics/candidates.ts): a walk may stop only when
 * no unread firm can score above what it has, so every bound must be at least the exact score of any firm it covers.
 */

const SIZES = ['LARGE', 'MEDIUM', 'SMALL', 'MICRO', 'UNKNOWN'] as const;
const ROLES = ['CORE', 'SUPPLIER', 'SERVICE'] as const;

const weightsArbitrary: fc.Arbitrary<TargetWeights> = fc
  .record({
    fit: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
    capability: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
    linkage: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
    proximity: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
    breadth: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1000, noNaN: true })),
  })
  .filter((weights) => Object.values(weights).some((value) => value > 0));

const gapsArbitrary = fc
  .array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 5 })
  .map(
    (scores) =>
      new Map<string, GapInScope>(
        scores.map((score, index) => [`g${index}`, { segmentId: `g${index}`, name: `gap ${index}`, score }]),
      ),
  );

const link = { enterpriseId: 'l', enterpriseName: 'local', products: [] };

function candidateArbitrary(gapCount: number): fc.Arbitrary<CandidateFacts> {
  return fc.record({
    id: fc.constant('c'),
    name: fc.constant('candidate'),
    sizeBand: fc.constantFrom(...SIZES),
    leading: fc.boolean(),
    highTech: fc.boolean(),
    platformsHosted: fc.nat({ max: 5 }),
    operations: fc.array(
      fc.record({
        gapSegmentId: fc.integer({ min: 0, max: gapCount - 1 }).map((index) => `g${index}`),
        segmentId: fc.string({ maxLength: 3 }),
        segmentName: fc.constant('segment'),
        role: fc.constantFrom(...ROLES),
        mainProducts: fc.constant([]),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    suppliesLocal: fc.constantFrom([], [link]),
    buysFromLocal: fc.constantFrom([], [link]),
    indirect: fc.constantFrom([], [{ viaId: 'm', viaName: 'middle', toId: 'l', toName: 'local' }]),
    inPriorityRegion: fc.boolean(),
    distanceKm: fc.option(
      fc.double({ min: 0, max: 5000, noNaN: true }).map((km) => Math.round(km * 10) / 10),
      {
        nil: null,
      },
    ),
  });
}

describe('capabilityKey', () => {
  it('is the rounded capability factor × 10,000 for every size, flag and platform count', () => {
    for (const sizeBand of SIZES)
      for (const leading of [false, true])
        for (const highTech of [false, true])
          for (const platformsHosted of [0, 1, 2, 3, 7]) {
            const firm = { sizeBand, leading, highTech, platformsHosted };
            const capability = scoreCandidate(
              {
                ...firm,
                id: 'c',
                name: 'c',
                operations: [],
                suppliesLocal: [],
                buysFromLocal: [],
                indirect: [],
                inPriorityRegion: false,
                distanceKm: null,
              },
              new Map(),
              { fit: 0, capability: 1, linkage: 0, proximity: 0, breadth: 0 },
            ).factors.find((factor) => factor.name === 'CAPABILITY')!.value;
            expect(capabilityKey(firm) / CAPABILITY_KEY_SCALE, JSON.stringify(firm)).toBe(capability);
          }
  });

  it('never falls when platforms are counted that a sources filter would leave out', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SIZES),
        fc.boolean(),
        fc.boolean(),
        fc.nat({ max: 6 }),
        fc.nat({ max: 6 }),
        (sizeBand, leading, highTech, some, more) => {
          expect(
            capabilityKey({ sizeBand, leading, highTech, platformsHosted: some + more }),
          ).toBeGreaterThanOrEqual(capabilityKey({ sizeBand, leading, highTech, platformsHosted: some }));
        },
      ),
    );
  });
});

describe('frontierOf', () => {
  it('reads back the role and capability key the rank key was made from', () => {
    expect(frontierOf('000000|x')).toEqual({ core: true, capabilityKey: 10_000 });
    expect(frontierOf('109200|f-1')).toEqual({ core: false, capabilityKey: 800 });
  });
});

describe('weightedScore', () => {
  it('is the score scoreCandidate gives for the same factor values', () => {
    fc.assert(
      fc.property(
        gapsArbitrary.chain((gaps) =>
          fc.tuple(fc.constant(gaps), candidateArbitrary(gaps.size), weightsArbitrary),
        ),
        ([gaps, candidate, weights]) => {
          const recommendation = scoreCandidate(candidate, gaps, weights);
          expect(
            weightedScore(
              recommendation.factors.map((factor) => factor.value),
              normaliseWeights(weights),
            ),
          ).toBe(recommendation.score);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('scoreCandidate without explanations', () => {
  it('gives the same score, factor values, weights and fills as with them, and neither text nor evidence', () => {
    fc.assert(
      fc.property(
        gapsArbitrary.chain((gaps) =>
          fc.tuple(fc.constant(gaps), candidateArbitrary(gaps.size), weightsArbitrary),
        ),
        ([gaps, candidate, weights]) => {
          const explained = scoreCandidate(candidate, gaps, weights);
          const bare = scoreCandidate(candidate, gaps, weights, false);
          expect(bare.score).toBe(explained.score);
          expect(bare.fills).toEqual(explained.fills);
          expect(bare.factors.map(({ name, value, weight }) => ({ name, value, weight }))).toEqual(
            explained.factors.map(({ name, value, weight }) => ({ name, value, weight })),
          );
          expect(bare.evidence).toEqual([]);
          // Fit and capability build their texts from the firm's names and products; the others are short.
          expect(
            bare.factors
              .filter((factor) => factor.name === 'FIT' || factor.name === 'CAPABILITY')
              .map((factor) => factor.explanation),
          ).toEqual(['', '']);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('unseenBound and scoreWithLinkage', () => {
  it('are never below the exact score of a firm they cover', () => {
    fc.assert(
      fc.property(
        gapsArbitrary.chain((gaps) =>
          fc.tuple(fc.constant(gaps), candidateArbitrary(gaps.size), weightsArbitrary),
        ),
        fc.boolean(),
        ([gaps, candidate, weights], frontierAtFirm) => {
          const exact = scoreCandidate(candidate, gaps, weights);
          const withoutLinks = scoreCandidate(
            { ...candidate, suppliesLocal: [], buysFromLocal: [], indirect: [] },
            gaps,
            weights,
          );
          expect(scoreWithLinkage(withoutLinks, 1, weights)).toBeGreaterThanOrEqual(exact.score);
          expect(withoutLinks.score).toBeLessThanOrEqual(exact.score);

          // The firm is unread in the walk of each segment it operates in: there the walk's frontier is at or before
          // its own rank key (core first, capability descending).
          const key = capabilityKey(candidate);
          const fills = new Set(candidate.operations.map((operation) => operation.gapSegmentId));
          const maxBreadth = breadthValue(fills.size + (frontierAtFirm ? 0 : 1), gaps.size);
          const maxProximity = proximityValue(candidate.inPriorityRegion, candidate.distanceKm);
          for (const operation of candidate.operations) {
            const core = operation.role === 'CORE';
            const frontiers = [
              null,
              { core, capabilityKey: key },
              ...(core ? [] : [{ core: true, capabilityKey: 800 }]),
              { core, capabilityKey: Math.min(CAPABILITY_KEY_SCALE, key + 750) },
            ];
            for (const frontier of frontiers) {
              const bound = unseenBound(
                {
                  gapScore: gaps.get(operation.gapSegmentId)!.score,
                  frontier,
                  maxProximity,
                  maxBreadth: Math.min(1, maxBreadth),
                },
                weights,
              );
              // The bound of the walk of the firm's best-fitting operation covers it.
              const bestFit = Math.max(
                ...candidate.operations.map(
                  (other) =>
                    (other.role === 'CORE' ? 1 : 0.5) *
                    (0.5 + 0.5 * (gaps.get(other.gapSegmentId)!.score / 100)),
                ),
              );
              const ownFit = (core ? 1 : 0.5) * (0.5 + 0.5 * (gaps.get(operation.gapSegmentId)!.score / 100));
              if (ownFit === bestFit)
                expect(bound, JSON.stringify({ frontier, operation })).toBeGreaterThanOrEqual(exact.score);
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('falls as the walk moves past the core roles and down the capabilities', () => {
    const weights = { fit: 1, capability: 1, linkage: 0, proximity: 0, breadth: 0 };
    const bound = (frontier: { core: boolean; capabilityKey: number } | null) =>
      unseenBound({ gapScore: 100, frontier, maxProximity: 1, maxBreadth: 1 }, weights);
    expect(bound(null)).toBe(100);
    // Among core roles, a non-core firm of the highest capability still bounds the rest.
    expect(bound({ core: true, capabilityKey: 800 })).toBe(75);
    expect(bound({ core: false, capabilityKey: 800 })).toBe(29);
  });
});

describe('linkedOrder', () => {
  it('places every linkage and capability key a linked firm can have, best bound first, whatever the weights', () => {
    fc.assert(
      fc.property(
        weightsArbitrary,
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (weights, gapScore, maxProximity, maxBreadth) => {
          const boundOf = (linkage: number, key: number) =>
            unseenBound(
              {
                gapScore,
                frontier: { core: true, capabilityKey: key },
                maxProximity,
                maxBreadth,
                lane: 'core',
                maxLinkage: linkage,
              },
              weights,
            );
          const order = linkedOrder(boundOf);
          // Every key the capability table gives, with either linkage a linked firm can have, has a place of its own.
          const placed: { place: number; bound: number }[] = [];
          for (const linkage of [LINKAGE_VALUE.SUPPLIES_LOCAL, LINKAGE_VALUE.BUYS_FROM_LOCAL])
            for (const sizeBand of SIZES)
              for (const leading of [false, true])
                for (const highTech of [false, true])
                  for (const platformsHosted of [0, 1, 2, 5]) {
                    const key = capabilityKey({ sizeBand, leading, highTech, platformsHosted });
                    const code = String((linkage === LINKAGE_VALUE.SUPPLIES_LOCAL ? 100_000 : 0) + key);
                    expect(order[code], code).toBeTypeOf('number');
                    placed.push({ place: order[code]!, bound: boundOf(linkage, key) });
                  }
          expect(new Set(Object.values(order)).size).toBe(Object.keys(order).length);
          // An earlier place never has a lower bound.
          placed.sort((a, b) => a.place - b.place);
          for (let index = 1; index < placed.length; index += 1)
            expect(placed[index]!.bound).toBeLessThanOrEqual(placed[index - 1]!.bound);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is passed to the linked read with its page, and a page that is no whole number ≥ 0 is refused', () => {
    const base = { regionId: 'r', scopeIds: ['s'], sources: ['PLAN'], maxLocals: 10, maxLinks: 10 };
    const query = linkedCandidatesQuery({ ...base, order: { '1600': 0 }, limit: 3 });
    expect(query.params['order']).toEqual({ '1600': 0 });
    expect(Number(query.params['limit'])).toBe(3);
    expect(linkedCandidatesQuery(base).params['limit']).toBeNull();
    for (const limit of [-1, 1.5, Number.NaN])
      expect(() => linkedCandidatesQuery({ ...base, limit })).toThrow(/limit must be a whole number/);
  });
});
