import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  appliedSources,
  comparability,
  effectiveCompleteness,
  illustrativeShare,
  leastComplete,
  realFilterKey,
} from '../../src/analytics/basis.js';
import { NO_COUNTS, type RegionCounts } from '../../src/analytics/aggregates.js';
import {
  assessSegment,
  DEFAULT_THRESHOLDS,
  STATUS_RANK,
  summarise,
  type DataCompleteness,
  type SegmentFacts,
} from '../../src/analytics/gaps.js';

const COMPLETENESS: readonly DataCompleteness[] = ['CENSUS', 'LISTED_ONLY', 'PARTIAL'];

const facts = (changes: Partial<SegmentFacts> = {}): SegmentFacts => ({
  segmentId: 'seg',
  name: '光刻胶',
  nameEn: null,
  stage: 'UPSTREAM',
  localEnterpriseCount: 0,
  leadingCount: 0,
  highTechCount: 0,
  platformCount: 0,
  localSupplyEdges: 0,
  outsideSupplyEdges: 0,
  downstreamInChain: 2,
  downstreamAll: 2,
  chainSize: 5,
  ...changes,
});

const factsArbitrary: fc.Arbitrary<SegmentFacts> = fc
  .record({
    locals: fc.integer({ min: 0, max: 6 }),
    leading: fc.integer({ min: 0, max: 6 }),
    platforms: fc.integer({ min: 0, max: 3 }),
    local: fc.integer({ min: 0, max: 5 }),
    outside: fc.integer({ min: 0, max: 5 }),
    chainSize: fc.integer({ min: 1, max: 30 }),
    downstream: fc.integer({ min: 0, max: 30 }),
  })
  .map((value) =>
    facts({
      localEnterpriseCount: value.locals,
      leadingCount: Math.min(value.leading, value.locals),
      platformCount: value.platforms,
      localSupplyEdges: value.local,
      outsideSupplyEdges: value.outside,
      downstreamInChain: Math.min(value.downstream, value.chainSize - 1),
      downstreamAll: value.downstream,
      chainSize: value.chainSize,
    }),
  );

describe('UNKNOWN vs MISSING', () => {
  it('no recorded firm is MISSING (severity 1) only under CENSUS; UNKNOWN (0.8) with NO_RECORDED_ENTERPRISE otherwise', () => {
    // criticality 2 / 4 = 0.5: score = 100 × severity × 0.75.
    const census = assessSegment(facts(), DEFAULT_THRESHOLDS, 'CENSUS');
    expect([census.status, census.severity, census.score, census.reasons[0]!.code]).toEqual([
      'MISSING',
      1,
      75,
      'NO_LOCAL_ENTERPRISE',
    ]);
    for (const completeness of ['LISTED_ONLY', 'PARTIAL'] as const) {
      const unknown = assessSegment(facts(), DEFAULT_THRESHOLDS, completeness);
      expect([unknown.status, unknown.severity, unknown.score, unknown.reasons[0]!.code]).toEqual([
        'UNKNOWN',
        0.8,
        60,
        'NO_RECORDED_ENTERPRISE',
      ]);
      expect(unknown.reasons[0]!.text).toMatch(/^no recorded enterprise in 光刻胶; not proof of absence/);
    }
    expect(assessSegment(facts(), DEFAULT_THRESHOLDS, 'LISTED_ONLY').reasons[0]!.text).toContain(
      'listed companies only',
    );
    // Left out: PARTIAL, as for a region that declares nothing.
    expect(assessSegment(facts(), DEFAULT_THRESHOLDS).status).toBe('UNKNOWN');
  });

  it('ranks UNKNOWN just below MISSING and above every status with a recorded firm', () => {
    expect(STATUS_RANK.MISSING).toBeLessThan(STATUS_RANK.UNKNOWN);
    expect(STATUS_RANK.UNKNOWN).toBeLessThan(STATUS_RANK.DEPENDENT);
  });

  it('a recorded firm makes completeness irrelevant: the same status under every basis', () => {
    fc.assert(
      fc.property(factsArbitrary, (segment) => {
        fc.pre(segment.localEnterpriseCount > 0);
        const statuses = COMPLETENESS.map(
          (completeness) => assessSegment(segment, DEFAULT_THRESHOLDS, completeness).status,
        );
        expect(new Set(statuses).size).toBe(1);
      }),
      { numRuns: 1000 },
    );
  });

  it('under any basis, recording a local firm never worsens a status or raises a score', () => {
    fc.assert(
      fc.property(
        factsArbitrary,
        fc.constantFrom(...COMPLETENESS),
        fc.boolean(),
        (segment, completeness, leading) => {
          const before = assessSegment(segment, DEFAULT_THRESHOLDS, completeness);
          const after = assessSegment(
            {
              ...segment,
              localEnterpriseCount: segment.localEnterpriseCount + 1,
              leadingCount: segment.leadingCount + (leading ? 1 : 0),
            },
            DEFAULT_THRESHOLDS,
            completeness,
          );
          expect(STATUS_RANK[after.status]).toBeGreaterThanOrEqual(STATUS_RANK[before.status]);
          expect(after.score).toBeLessThanOrEqual(before.score);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('coverage ratios', () => {
  it('presenceRatio counts segments with a firm, coveredRatio only COVERED ones', () => {
    const assessments = [
      facts({ localEnterpriseCount: 0 }),
      facts({ localEnterpriseCount: 1 }),
      facts({ localEnterpriseCount: 2, leadingCount: 1, platformCount: 1 }),
      facts({ localEnterpriseCount: 3, leadingCount: 1, platformCount: 1 }),
    ].map((segment) => assessSegment(segment, DEFAULT_THRESHOLDS, 'PARTIAL'));
    expect(assessments.map((assessment) => assessment.status)).toEqual([
      'UNKNOWN',
      'DEPENDENT',
      'WEAK',
      'COVERED',
    ]);
    expect(summarise(assessments)).toEqual({
      segments: 4,
      covered: 1,
      weak: 1,
      dependent: 1,
      missing: 0,
      unknown: 1,
      presenceRatio: 0.75,
      coveredRatio: 0.25,
      coverageRatio: 0.75,
    });
  });
});

describe('the data basis', () => {
  it('takes the nearest declaration, the least complete of equally near ones, else PARTIAL', () => {
    expect(effectiveCompleteness([])).toBe('PARTIAL');
    expect(effectiveCompleteness([[2, 'CENSUS']])).toBe('CENSUS');
    expect(
      effectiveCompleteness([
        [2, 'CENSUS'],
        [1, 'LISTED_ONLY'],
      ]),
    ).toBe('LISTED_ONLY');
    expect(
      effectiveCompleteness([
        [1, 'CENSUS'],
        [1, 'PARTIAL'],
      ]),
    ).toBe('PARTIAL');
    expect(effectiveCompleteness([[0, 'nonsense']])).toBe('PARTIAL');
    expect(leastComplete(['CENSUS', 'LISTED_ONLY'])).toBe('LISTED_ONLY');
  });

  it('defaults to real data and knows the same filter without ILLUSTRATIVE', () => {
    expect(appliedSources(undefined)).toEqual(['PLAN', 'PUBLIC']);
    expect(appliedSources([])).toEqual(['PLAN', 'PUBLIC']);
    expect(appliedSources(['ILLUSTRATIVE', 'PLAN'])).toEqual(['PLAN', 'ILLUSTRATIVE']);
    expect(realFilterKey(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toBe('PLAN+PUBLIC');
    expect(realFilterKey(['ILLUSTRATIVE'])).toBe('');
  });

  it('illustrativeShare: the part of the counts that needs illustrative data', () => {
    const counts = (entries: Record<string, number>): RegionCounts =>
      new Map(Object.entries(entries).map(([id, enterprises]) => [id, { ...NO_COUNTS, enterprises }]));
    expect(illustrativeShare(counts({ a: 3, b: 1 }), counts({ a: 2 }), ['a', 'b', 'c'])).toBe(0.5);
    expect(illustrativeShare(counts({ a: 3 }), counts({ a: 3 }), ['a'])).toBe(0);
    expect(illustrativeShare(counts({}), counts({}), ['a'])).toBe(0);
    // Segments outside the report do not count.
    expect(illustrativeShare(counts({ a: 1, z: 9 }), counts({ a: 1 }), ['a'])).toBe(0);
  });

  it('comparability: same single-rule completeness and the same use of demo data', () => {
    const region = (regionId: string, completeness: DataCompleteness, share = 0) => ({
      regionId,
      completeness,
      illustrativeShare: share,
    });
    expect(comparability([region('a', 'LISTED_ONLY'), region('b', 'LISTED_ONLY')])).toEqual({
      comparable: true,
      note: null,
    });
    const differ = comparability([region('a', 'CENSUS'), region('b', 'LISTED_ONLY')]);
    expect(differ.comparable).toBe(false);
    expect(differ.note).toContain('LISTED_ONLY: b; CENSUS: a');
    expect(comparability([region('a', 'PARTIAL'), region('b', 'PARTIAL')]).note).toContain('all PARTIAL');
    expect(comparability([region('a', 'CENSUS', 0.2), region('b', 'CENSUS')]).note).toContain(
      'illustrative (demo) firms are counted in a only',
    );
    expect(comparability([region('a', 'CENSUS', 0.2), region('b', 'CENSUS', 0.1)]).comparable).toBe(true);
  });
});
