import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  evaluateCondition,
  incentiveFor,
  type EligibilityClause,
  type FirmForEligibility,
  type MeasureCondition,
  type MeasureForEligibility,
} from '../../src/analytics/incentives.js';
import { FIRM_CONDITION_KINDS } from '../../src/data/model.js';
import { measureRecord } from '../../src/ingest/records.js';

/** Issue 15: the eligibility rule for policy measures (src/analytics/incentives.ts). */

const OWNERSHIPS = [
  'CENTRAL_SOE',
  'LOCAL_SOE',
  'PRIVATE',
  'FOREIGN',
  'COLLECTIVE',
  'UNIVERSITY',
  'NO_CONTROLLER',
];
const SIZES = ['LARGE', 'MEDIUM', 'SMALL', 'MICRO', 'UNKNOWN'];
const SEGMENTS = ['s1', 's2', 's3'];
const REGIONS = ['r1', 'r2', 'r3'];

const firm = fc.record({
  ownership: fc.option(fc.constantFrom(...OWNERSHIPS), { nil: null }),
  listed: fc.boolean(),
  fortuneGlobal500: fc.option(fc.boolean(), { nil: null }),
  sizeBand: fc.constantFrom(...SIZES),
  regionIds: fc.subarray(REGIONS),
  segmentIds: fc.subarray(SEGMENTS, { minLength: 1 }),
}) as fc.Arbitrary<FirmForEligibility>;

const condition: fc.Arbitrary<MeasureCondition> = fc.oneof(
  fc.constant({ kind: 'IN_SCOPE' as const }),
  fc.subarray(SEGMENTS, { minLength: 1 }).map((segmentIds) => ({ kind: 'SEGMENT' as const, segmentIds })),
  fc.subarray(REGIONS, { minLength: 1 }).map((regionIds) => ({ kind: 'REGION' as const, regionIds })),
  fc.subarray(OWNERSHIPS, { minLength: 1 }).map((ownership) => ({ kind: 'OWNERSHIP' as const, ownership })),
  fc.constant({ kind: 'LISTED' as const }),
  fc.constant({ kind: 'FORTUNE_GLOBAL_500' as const }),
  fc
    .subarray(SIZES.slice(0, 4), { minLength: 1 })
    .map((sizeBands) => ({ kind: 'SIZE_BAND' as const, sizeBands })),
  fc
    .integer({ min: 1, max: 500 })
    .map((usdMillion) => ({ kind: 'FOREIGN_CAPITAL_AT_LEAST' as const, usdMillion })),
  fc.constant({ kind: 'PROJECT' as const, text: '若项目符合', textEn: 'if the project qualifies' }),
);

const clause: fc.Arbitrary<EligibilityClause> = fc.record({
  terms: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
  conditions: fc.array(condition, { minLength: 1, maxLength: 4 }),
});

const measure: fc.Arbitrary<MeasureForEligibility> = fc.record({
  id: fc.constant('m'),
  offerable: fc.boolean(),
  wholeScope: fc.boolean(),
  scopeSegmentIds: fc.subarray(SEGMENTS),
  clauses: fc.array(clause, { maxLength: 4 }),
});

const isFirmCondition = (c: MeasureCondition) => FIRM_CONDITION_KINDS.has(c.kind);

describe('the eligibility rule for policy measures', () => {
  it('a firm with no qualifying condition never receives a conditional measure (nor any with conditions)', () => {
    fc.assert(
      fc.property(firm, measure, (f, m) => {
        // The firm meets none of the measure's conditions on the firm.
        const meetsNone = m.clauses.every((c) =>
          c.conditions.filter(isFirmCondition).every((x) => evaluateCondition(x, f, m).state !== 'MET'),
        );
        fc.pre(m.clauses.length > 0 && meetsNone);
        expect(incentiveFor(m, f)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('a conditional offer rests on a met condition on the firm, and names what is still undecided', () => {
    fc.assert(
      fc.property(firm, measure, (f, m) => {
        const result = incentiveFor(m, f);
        if (result === null) return;
        expect(m.offerable).toBe(true);
        expect(result.reasons.some((r) => r.state === 'MET' && FIRM_CONDITION_KINDS.has(r.condition))).toBe(
          true,
        );
        expect(result.reasons.some((r) => r.state === 'UNDECIDED')).toBe(
          result.eligibility === 'CONDITIONAL',
        );
        // An ELIGIBLE clause is preferred: none of the measure's clauses holds entirely when the offer is conditional.
        if (result.eligibility === 'CONDITIONAL') {
          for (const c of m.clauses)
            expect(c.conditions.every((x) => evaluateCondition(x, f, m).state === 'MET')).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a measure that cannot be offered, or whose scope the firm is outside, is never given', () => {
    fc.assert(
      fc.property(firm, measure, (f, m) => {
        const outside = !m.wholeScope && !f.segmentIds.some((s) => m.scopeSegmentIds.includes(s));
        if (!m.offerable || outside) expect(incentiveFor(m, f)).toBeNull();
      }),
    );
  });

  it('decides conditions from what is known, and leaves unknown facts and future projects undecided', () => {
    const base: FirmForEligibility = {
      ownership: null,
      listed: false,
      fortuneGlobal500: null,
      sizeBand: 'UNKNOWN',
      regionIds: ['r1'],
      segmentIds: ['s1'],
    };
    const scope = { wholeScope: true, scopeSegmentIds: [] };
    const state = (c: MeasureCondition, f: FirmForEligibility = base) => evaluateCondition(c, f, scope).state;
    expect(state({ kind: 'OWNERSHIP', ownership: ['FOREIGN'] })).toBe('UNDECIDED');
    expect(state({ kind: 'OWNERSHIP', ownership: ['FOREIGN'] }, { ...base, ownership: 'PRIVATE' })).toBe(
      'UNMET',
    );
    expect(state({ kind: 'FORTUNE_GLOBAL_500' })).toBe('UNDECIDED');
    expect(state({ kind: 'FORTUNE_GLOBAL_500' }, { ...base, fortuneGlobal500: false })).toBe('UNMET');
    expect(
      state({ kind: 'FOREIGN_CAPITAL_AT_LEAST', usdMillion: 50 }, { ...base, ownership: 'FOREIGN' }),
    ).toBe('UNDECIDED');
    expect(state({ kind: 'LISTED' })).toBe('UNMET');
    expect(state({ kind: 'SIZE_BAND', sizeBands: ['SMALL'] })).toBe('UNDECIDED');
    expect(state({ kind: 'REGION', regionIds: ['r1'] })).toBe('MET');
    // 一事一议 of 四(六): a domestic firm gets neither clause; a foreign one is offered it on the project's capital.
    const oneOff: MeasureForEligibility = {
      id: 'm',
      offerable: true,
      ...scope,
      clauses: [
        {
          terms: [3],
          conditions: [
            { kind: 'OWNERSHIP', ownership: ['FOREIGN'] },
            { kind: 'FOREIGN_CAPITAL_AT_LEAST', usdMillion: 50 },
          ],
        },
        {
          terms: [4],
          conditions: [{ kind: 'FORTUNE_GLOBAL_500' }, { kind: 'OWNERSHIP', ownership: ['FOREIGN'] }],
        },
      ],
    };
    expect(incentiveFor(oneOff, { ...base, ownership: 'PRIVATE' })).toBeNull();
    expect(incentiveFor(oneOff, base)).toBeNull();
    expect(incentiveFor(oneOff, { ...base, ownership: 'FOREIGN' })).toMatchObject({
      eligibility: 'CONDITIONAL',
      terms: [3],
    });
    expect(incentiveFor(oneOff, { ...base, ownership: 'FOREIGN', fortuneGlobal500: true })).toMatchObject({
      eligibility: 'ELIGIBLE',
      terms: [4],
    });
  });

  it('the record schema refuses a clause with no condition on the firm, and a condition without its parameter', () => {
    const record = (eligibility: unknown) =>
      measureRecord.safeParse({
        id: 'm',
        policyId: 'p',
        number: 1,
        title: 't',
        appliesTo: {},
        eligibility,
        provenance: { source: 'PLAN', section: '四(六)' },
      });
    expect(record([{ conditions: [{ kind: 'FOREIGN_CAPITAL_AT_LEAST', usdMillion: 50 }] }]).success).toBe(
      false,
    );
    expect(record([{ conditions: [{ kind: 'OWNERSHIP' }] }]).success).toBe(false);
    expect(record([{ conditions: [{ kind: 'LISTED', usdMillion: 5 }] }]).success).toBe(false);
    expect(record([{ conditions: [{ kind: 'PROJECT' }, { kind: 'IN_SCOPE' }] }]).success).toBe(false);
    expect(
      record([
        {
          terms: [3],
          conditions: [
            { kind: 'OWNERSHIP', ownership: ['外资企业'] },
            { kind: 'FOREIGN_CAPITAL_AT_LEAST', usdMillion: 50 },
          ],
        },
      ]).success,
    ).toBe(true);
  });
});
