import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  assessSegment,
  DEFAULT_THRESHOLDS,
  STATUS_RANK,
  type SegmentFacts,
} from '../../src/analytics/gaps.js';
import {
  haversineKm,
  rankCandidates,
  scoreCandidate,
  withDefaultWeights,
  type CandidateFacts,
} from '../../src/analytics/targets.js';

const factsArbitrary: fc.Arbitrary<SegmentFacts> = fc
  .record({
    locals: fc.integer({ min: 0, max: 6 }),
    leading: fc.integer({ min: 0, max: 6 }),
    platformCount: fc.integer({ min: 0, max: 3 }),
    localSupplyEdges: fc.integer({ min: 0, max: 5 }),
    outsideSupplyEdges: fc.integer({ min: 0, max: 5 }),
    chainSize: fc.integer({ min: 1, max: 30 }),
    downstream: fc.integer({ min: 0, max: 30 }),
  })
  .map((value) => ({
    segmentId: 'seg',
    name: '段',
    nameEn: null,
    stage: 'MIDSTREAM' as const,
    localEnterpriseCount: value.locals,
    leadingCount: Math.min(value.leading, value.locals),
    highTechCount: 0,
    platformCount: value.platformCount,
    localSupplyEdges: value.localSupplyEdges,
    outsideSupplyEdges: value.outsideSupplyEdges,
    downstreamInChain: Math.min(value.downstream, value.chainSize - 1),
    downstreamAll: value.downstream,
    chainSize: value.chainSize,
  }));

describe('gap assessment rules', () => {
  it('classifies by the documented rules', () => {
    const base = fc.sample(factsArbitrary, 1)[0]!;
    const facts = (changes: Partial<SegmentFacts>): SegmentFacts => ({
      ...base,
      localSupplyEdges: 0,
      outsideSupplyEdges: 0,
      ...changes,
    });
    expect(assessSegment(facts({ localEnterpriseCount: 0 }), DEFAULT_THRESHOLDS, 'CENSUS').status).toBe(
      'MISSING',
    );
    expect(
      assessSegment(facts({ localEnterpriseCount: 1, leadingCount: 1, platformCount: 5 }), DEFAULT_THRESHOLDS)
        .status,
    ).toBe('DEPENDENT');
    expect(
      assessSegment(
        facts({
          localEnterpriseCount: 3,
          leadingCount: 1,
          platformCount: 1,
          localSupplyEdges: 1,
          outsideSupplyEdges: 2,
        }),
        DEFAULT_THRESHOLDS,
      ).status,
    ).toBe('DEPENDENT');
    expect(
      assessSegment(facts({ localEnterpriseCount: 2, leadingCount: 1, platformCount: 1 }), DEFAULT_THRESHOLDS)
        .status,
    ).toBe('WEAK');
    expect(
      assessSegment(facts({ localEnterpriseCount: 3, leadingCount: 1, platformCount: 1 }), DEFAULT_THRESHOLDS)
        .status,
    ).toBe('COVERED');
  });

  it('keeps scores in 0–100, zero exactly when covered, and missing exactly without local firms', () => {
    fc.assert(
      fc.property(factsArbitrary, (facts) => {
        // Under a census (the only basis on which no recorded firm means none: see test/unit/basis.test.ts).
        const assessment = assessSegment(facts, DEFAULT_THRESHOLDS, 'CENSUS');
        expect(assessment.score).toBeGreaterThanOrEqual(0);
        expect(assessment.score).toBeLessThanOrEqual(100);
        expect(assessment.score === 0).toBe(assessment.status === 'COVERED');
        expect(assessment.status === 'MISSING').toBe(facts.localEnterpriseCount === 0);
        expect(assessment.reasons.length > 0).toBe(assessment.status !== 'COVERED');
      }),
      { numRuns: 2000 },
    );
  });

  it('never worsens a status or raises a score when a local firm is added (with or without local supply)', () => {
    fc.assert(
      fc.property(
        factsArbitrary,
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (facts, leading, newLocalEdges) => {
          const before = assessSegment(facts, DEFAULT_THRESHOLDS);
          const after = assessSegment(
            {
              ...facts,
              localEnterpriseCount: facts.localEnterpriseCount + 1,
              leadingCount: facts.leadingCount + (leading ? 1 : 0),
              localSupplyEdges: facts.localSupplyEdges + newLocalEdges,
            },
            DEFAULT_THRESHOLDS,
          );
          expect(STATUS_RANK[after.status]).toBeGreaterThanOrEqual(STATUS_RANK[before.status]);
          expect(after.score).toBeLessThanOrEqual(before.score);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

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

describe('target-firm scoring', () => {
  it('keeps every factor in 0–1 and the score in 0–100', () => {
    fc.assert(
      fc.property(candidateArbitrary, (candidate) => {
        const scored = scoreCandidate(candidate, gaps, withDefaultWeights(null));
        for (const factor of scored.factors) {
          expect(factor.value).toBeGreaterThanOrEqual(0);
          expect(factor.value).toBeLessThanOrEqual(1);
        }
        expect(scored.score).toBeGreaterThanOrEqual(0);
        expect(scored.score).toBeLessThanOrEqual(100);
      }),
      { numRuns: 1000 },
    );
  });

  it('ranks deterministically whatever the input order, drops firms that fill no gap, and ignores the weights’ scale', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(candidateArbitrary, { selector: (candidate) => candidate.id, maxLength: 8 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (candidates, scale) => {
          const weights = withDefaultWeights(null);
          const ranked = rankCandidates(candidates, gaps, weights);
          expect(rankCandidates([...candidates].reverse(), gaps, weights)).toEqual(ranked);
          for (const recommendation of ranked) expect(recommendation.fills.length).toBeGreaterThan(0);
          const scaled = rankCandidates(candidates, gaps, {
            fit: weights.fit * scale,
            capability: weights.capability * scale,
            linkage: weights.linkage * scale,
            proximity: weights.proximity * scale,
            breadth: weights.breadth * scale,
          });
          expect(scaled.map((recommendation) => recommendation.candidate.id)).toEqual(
            ranked.map((recommendation) => recommendation.candidate.id),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('measures distance on the sphere', () => {
    // Shijiazhuang to Beijing is about 265 km; to Shanghai about 1,000 km.
    expect(haversineKm({ lat: 38.04, lon: 114.51 }, { lat: 39.9, lon: 116.41 })).toBeGreaterThan(255);
    expect(haversineKm({ lat: 38.04, lon: 114.51 }, { lat: 39.9, lon: 116.41 })).toBeLessThan(275);
    expect(haversineKm({ lat: 38.04, lon: 114.51 }, { lat: 31.23, lon: 121.47 })).toBeGreaterThan(950);
  });
});
