import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { NO_COUNTS, type SegmentCounts } from '../../src/analytics/aggregates.js';
import {
  assessSegment,
  DEFAULT_THRESHOLDS,
  STATUS_RANK,
  type SegmentFacts,
} from '../../src/analytics/gaps.js';
import { isScaleStrong, locationQuotient, nationOf } from '../../src/analytics/scale.js';

/** Counts with only the listed figures set. */
const listed = (n: number, withRevenue = 0, revenueThousands = 0): SegmentCounts => ({
  ...NO_COUNTS,
  listed: n,
  listedWithRevenue: withRevenue,
  listedRevenue: revenueThousands,
});

/** The quotient of one region and segment from the four listed counts. */
const lq = (regionInSegment: number, regionAll: number, nationInSegment: number, nationAll: number) =>
  locationQuotient(listed(regionInSegment), listed(regionAll), listed(nationInSegment), listed(nationAll))
    .value;

function facts(overrides: Partial<SegmentFacts>): SegmentFacts {
  return {
    segmentId: 's',
    name: '抗生素',
    nameEn: null,
    stage: 'UPSTREAM',
    localEnterpriseCount: 2,
    leadingCount: 1,
    highTechCount: 0,
    platformCount: 1,
    localSupplyEdges: 0,
    outsideSupplyEdges: 0,
    downstreamInChain: 0,
    downstreamAll: 0,
    chainSize: 5,
    ...overrides,
  };
}

const codes = (assessment: ReturnType<typeof assessSegment>) => assessment.reasons.map((r) => r.code);

describe('location quotient (pure)', () => {
  it('is (region share) ÷ (national share) over listed firms', () => {
    expect(lq(1, 4, 5, 25)).toBe(1.25);
    expect(lq(2, 4, 9, 25)).toBe(1.3889);
    expect(lq(0, 4, 5, 25)).toBe(0);
    expect(locationQuotient(listed(1), listed(4), listed(5), listed(25)).basis).toBe('LISTED_FIRMS');
  });

  it('is null when the basis is too thin: fewer than 5 national firms in the segment, or none in the region', () => {
    expect(lq(0, 4, 0, 10)).toBeNull();
    // 抗生素原料药 on the shipped data: the city's one listed firm is the nation's only one.
    expect(lq(1, 91, 1, 8281)).toBeNull();
    expect(lq(1, 4, 4, 25)).toBeNull();
    expect(lq(0, 0, 5, 25)).toBeNull();
    expect(locationQuotient(listed(0), listed(0), listed(5), listed(25)).basis).toBeNull();
  });

  it('weighs by revenue only when every listed firm of the nation has one', () => {
    // Revenue in thousand CNY: region 300 of 400 million in the segment, nation 400 of 1,000.
    const all = locationQuotient(
      listed(1, 1, 300_000),
      listed(2, 2, 400_000),
      listed(5, 5, 400_000),
      listed(11, 11, 1_000_000),
    );
    expect(all).toMatchObject({
      value: 1.875,
      basis: 'LISTED_REVENUE',
      regionInSegment: 300,
      nationAll: 1000,
    });
    const oneMissing = locationQuotient(
      listed(1, 1, 300_000),
      listed(2, 2, 400_000),
      listed(5, 5, 400_000),
      listed(12, 11, 1_000_000),
    );
    expect(oneMissing).toMatchObject({ value: 1.2, basis: 'LISTED_FIRMS' });
  });

  it('takes the single root of the region tree as the nation', () => {
    const ancestors = { city: ['city', 'prov', 'cn'], prov: ['prov', 'cn'], cn: ['cn'], lone: ['lone'] };
    expect(nationOf('city', ancestors)).toBe('cn');
    expect(nationOf('cn', ancestors)).toBe('cn');
    expect(nationOf('lone', ancestors)).toBe('lone');
    // Two roots (a region under two trees): no single nation.
    expect(nationOf('x', { x: ['x', 'a', 'b'], a: ['a'], b: ['b'] })).toBeNull();
  });

  // A listed population: region (a in the segment, x in others), rest of the nation (c in the segment, y in others),
  // each firm in one segment.
  const population = fc.record({ a: fc.nat(20), x: fc.nat(20), c: fc.nat(20), y: fc.nat(20) });
  const quotient = ({ a, x, c, y }: { a: number; x: number; c: number; y: number }) =>
    lq(a, a + x, a + c, a + x + c + y);

  it('property: moving a listed firm of the segment into the region never lowers its quotient there', () => {
    fc.assert(
      fc.property(population, (p) => {
        fc.pre(p.c > 0);
        const before = quotient(p);
        const after = quotient({ ...p, a: p.a + 1, c: p.c - 1 });
        // The national figures do not change: the quotient is there after whenever the nation has enough firms.
        if (p.a + p.c >= 5) expect(after).not.toBeNull();
        if (before !== null) expect(after!).toBeGreaterThanOrEqual(before - 1e-4);
      }),
    );
  });

  it('property: a listed firm added elsewhere in the segment, or in the region in another segment, never raises it', () => {
    fc.assert(
      fc.property(population, (p) => {
        const before = quotient(p);
        fc.pre(before !== null);
        expect(quotient({ ...p, c: p.c + 1 })!).toBeLessThanOrEqual(before + 1e-4);
        expect(quotient({ ...p, x: p.x + 1 })!).toBeLessThanOrEqual(before + 1e-4);
      }),
    );
  });

  it('a firm added to the region joins the nation too, so one more local firm can lower the quotient', () => {
    // Why the integration property moves a firm rather than adds one: a region all in one segment (5 of 5) against
    // a nation at 5 of 10 has 2; one more local firm in it makes 6 of 6 against 6 of 11: 1.8333.
    expect(quotient({ a: 5, x: 0, c: 0, y: 5 })).toBe(2);
    expect(quotient({ a: 6, x: 0, c: 0, y: 5 })).toBe(1.8333);
  });
});

describe('SCALE_STRENGTH (pure rule of gaps.ts)', () => {
  it('needs a local firm and a quotient at or above the threshold', () => {
    expect(isScaleStrong(1, 1.25, 1.25)).toBe(true);
    expect(isScaleStrong(0, 9, 1.25)).toBe(false);
    expect(isScaleStrong(2, 1.2499, 1.25)).toBe(false);
    expect(isScaleStrong(2, null, 1.25)).toBe(false);
    expect(isScaleStrong(2, undefined, 1.25)).toBe(false);
  });

  it('turns few firms from WEAK into COVERED, with the reason', () => {
    const weak = assessSegment(facts({ locationQuotient: 1.1 }), DEFAULT_THRESHOLDS);
    expect([weak.status, ...codes(weak)]).toEqual(['WEAK', 'FEW_ENTERPRISES']);
    const strong = assessSegment(
      facts({ locationQuotient: 3.2, locationQuotientBasis: 'LISTED_FIRMS' }),
      DEFAULT_THRESHOLDS,
    );
    expect([strong.status, ...codes(strong)]).toEqual(['COVERED', 'SCALE_STRENGTH']);
    expect(strong.score).toBe(0);
    expect(strong.reasons[0]!.textZh).toBe(
      '抗生素环节区位熵3.2（标准1.25）：本地上市企业数量中该环节占比为全国的3.2倍，属全国优势环节，本地企业2家不构成短板',
    );
  });

  it('turns a single firm from DEPENDENT into COVERED, but keeps outside-supply dependence', () => {
    const single = assessSegment(facts({ localEnterpriseCount: 1, locationQuotient: 2 }), DEFAULT_THRESHOLDS);
    expect([single.status, ...codes(single)]).toEqual(['COVERED', 'SCALE_STRENGTH']);
    const bought = assessSegment(
      facts({ localEnterpriseCount: 1, locationQuotient: 2, outsideSupplyEdges: 3, localSupplyEdges: 1 }),
      DEFAULT_THRESHOLDS,
    );
    expect([bought.status, ...codes(bought)]).toEqual([
      'DEPENDENT',
      'SUPPLIED_FROM_OUTSIDE',
      'SCALE_STRENGTH',
    ]);
  });

  it('keeps WEAK for reasons other than the firm count', () => {
    const noPlatform = assessSegment(
      facts({ locationQuotient: 2, platformCount: 0, downstreamInChain: 2 }),
      DEFAULT_THRESHOLDS,
    );
    expect([noPlatform.status, ...codes(noPlatform)]).toEqual([
      'WEAK',
      'NO_PLATFORM',
      'SCALE_STRENGTH',
      'DOWNSTREAM_DEPENDENCE',
    ]);
  });

  it('leaves MISSING, and segments with enough firms, as they were', () => {
    const missing = assessSegment(
      facts({ localEnterpriseCount: 0, locationQuotient: 0 }),
      DEFAULT_THRESHOLDS,
      'CENSUS',
    );
    expect(missing.status).toBe('MISSING');
    const enough = assessSegment(facts({ localEnterpriseCount: 5, locationQuotient: 4 }), DEFAULT_THRESHOLDS);
    expect([enough.status, ...codes(enough)]).toEqual(['COVERED']);
  });

  it('property: a quotient never makes a status worse, and without one nothing changes', () => {
    const factsArb = fc.record({
      localEnterpriseCount: fc.nat(6),
      leadingCount: fc.nat(2),
      platformCount: fc.nat(2),
      localSupplyEdges: fc.nat(3),
      outsideSupplyEdges: fc.nat(3),
      downstreamInChain: fc.nat(4),
    });
    const rank = STATUS_RANK;
    fc.assert(
      fc.property(factsArb, fc.double({ min: 0, max: 10, noNaN: true }), (f, q) => {
        const plain = assessSegment(facts(f), DEFAULT_THRESHOLDS);
        const scaled = assessSegment(facts({ ...f, locationQuotient: q }), DEFAULT_THRESHOLDS);
        expect(rank[scaled.status]).toBeGreaterThanOrEqual(rank[plain.status]);
        expect(scaled.score).toBeLessThanOrEqual(plain.score);
        if (q < DEFAULT_THRESHOLDS.strongLocationQuotient)
          expect(scaled).toEqual({ ...plain, facts: scaled.facts });
      }),
    );
  });
});
