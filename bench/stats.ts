/**
 * The one definition of the figures the bench scripts report (run.ts, load.ts, hostile.ts), so that a p95 in one
 * table means the same as a p95 in another.
 */

/**
 * The nearest-rank percentile of samples sorted ascending: the smallest sample with at least `quantile` of all
 * samples at or below it (so p100 is the maximum and never an interpolated value nobody measured). NaN without
 * samples: a missing figure must not read as 0 ms.
 */
export function percentile(sorted: readonly number[], quantile: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1))]!;
}

export const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export const round1 = (value: number): number => Math.round(value * 10) / 10;
