import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { targetMet } from '../../src/graphql/resolvers/plan.js';

/** TargetProgress.met, exactly as its SDL description states it, including both ends of a RANGE. */
describe('TargetProgress.met', () => {
  it('treats a RANGE as value ≤ count ≤ valueMax, both bounds inclusive', () => {
    // A "2–3 firms" target.
    expect([1, 2, 3, 4].map((count) => targetMet(count, 'RANGE', 2, 3))).toEqual([false, true, true, false]);
  });

  it('treats AT_LEAST as count ≥ value and EXACTLY as count = value', () => {
    expect([1299, 1300, 1301].map((count) => targetMet(count, 'AT_LEAST', 1300, null))).toEqual([
      false,
      true,
      true,
    ]);
    expect([4, 5, 6].map((count) => targetMet(count, 'EXACTLY', 5, null))).toEqual([false, true, false]);
  });

  it('reads a RANGE without an upper bound as open-ended rather than never met', () => {
    expect([1, 2, 30].map((count) => targetMet(count, 'RANGE', 2, null))).toEqual([false, true, true]);
  });
});

/** With a count whose basis is not a census, only what an undercount already decides is answered. */
describe('TargetProgress.met on an incomplete count', () => {
  it('says met when a partial count already reaches an AT_LEAST target, and unknown (null) below it', () => {
    expect([1299, 1300, 1301].map((count) => targetMet(count, 'AT_LEAST', 1300, null, false))).toEqual([
      null,
      true,
      true,
    ]);
  });

  it('says not met when a partial count is already above an EXACTLY value or a RANGE, and unknown otherwise', () => {
    expect([4, 5, 6].map((count) => targetMet(count, 'EXACTLY', 5, null, false))).toEqual([
      null,
      null,
      false,
    ]);
    expect([1, 2, 3, 4].map((count) => targetMet(count, 'RANGE', 2, 3, false))).toEqual([
      null,
      null,
      null,
      false,
    ]);
  });

  it('agrees with the complete answer whenever it gives one (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.nat(50),
        fc.constantFrom('AT_LEAST', 'EXACTLY', 'RANGE'),
        fc.nat(20),
        fc.option(fc.nat(20), { nil: null }),
        (count, comparator, value, extra) => {
          const valueMax = extra === null ? null : value + extra;
          const partial = targetMet(count, comparator, value, valueMax, false);
          // An undercount's verdict must hold for every fuller count too.
          for (let more = 0; more <= 30; more += 1) {
            if (partial !== null)
              expect(targetMet(count + more, comparator, value, valueMax, true)).toBe(partial);
          }
        },
      ),
    );
  });
});
