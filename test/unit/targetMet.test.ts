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
