import { afterEach, describe, expect, it, vi } from 'vitest';

import type { RefreshSummary } from '../../src/analytics/aggregates.js';
import { AggregateRefresher, LONG_FAILURE_MS } from '../../src/analytics/refresher.js';
import type { Executor } from '../../src/data/executor.js';

/**
 * The refresher's waiting rule, driven by a stand-in refresh of known length (the refresh itself is covered against
 * the real Neo4j by the analytics integration and differential tests).
 */
const SUMMARY: RefreshSummary = {
  changes: 1,
  full: false,
  everyFirm: false,
  homes: 1,
  regions: 1,
  seconds: 0,
  asOf: null,
};

function refresherWith(refreshMs: number, waitMs: number) {
  let refreshes = 0;
  const refresher = new AggregateRefresher({} as Executor, {
    waitMs,
    pollMs: 0,
    timeoutMs: 60_000,
    refreshWith: () =>
      new Promise((resolve) => {
        refreshes += 1;
        setTimeout(() => resolve(SUMMARY), refreshMs);
      }),
  });
  return { refresher, refreshes: () => refreshes };
}

describe('AggregateRefresher.catchUp', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits for a refresh that finishes within the wait', async () => {
    vi.useFakeTimers();
    const { refresher } = refresherWith(50, 1_000);
    const caught = refresher.catchUp();
    await vi.advanceTimersByTimeAsync(50);
    expect(await caught).toBe(true);
  });

  it('gives up after the wait when the refresh takes longer', async () => {
    vi.useFakeTimers();
    const { refresher } = refresherWith(10_000, 1_000);
    const caught = refresher.catchUp();
    let settled = false;
    void caught.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    expect(await caught).toBe(false);
  });

  it('does not wait at all while a refresh has already run longer than the wait, and queues the next one', async () => {
    vi.useFakeTimers();
    const { refresher, refreshes } = refresherWith(10_000, 1_000);
    void refresher.refresh();
    await vi.advanceTimersByTimeAsync(1_500);
    let answer: boolean | undefined;
    void refresher.catchUp().then((value) => (answer = value));
    // No timer advanced: the answer comes without waiting.
    await Promise.resolve();
    await Promise.resolve();
    expect(answer).toBe(false);
    // The refresh the caller's writes need runs after the current one.
    await vi.advanceTimersByTimeAsync(8_600);
    expect(refreshes()).toBe(2);
  });

  it('after a long failure, waits as long as it ran before starting again; a quick failure is retried at once', async () => {
    vi.useFakeTimers();
    let refreshes = 0;
    let failAfterMs = LONG_FAILURE_MS + 10_000;
    const refresher = new AggregateRefresher({} as Executor, {
      waitMs: 1_000,
      pollMs: 0,
      timeoutMs: 600_000,
      refreshWith: () =>
        new Promise((_, reject) => {
          refreshes += 1;
          setTimeout(() => reject(new Error('out of transaction memory')), failAfterMs);
        }),
    });
    const first = refresher.refresh().catch((error: Error) => error.message);
    await vi.advanceTimersByTimeAsync(failAfterMs);
    expect(await first).toBe('out of transaction memory');
    // Within the back-off a request answers at once from the counts as they are, and starts nothing.
    let answer: boolean | undefined;
    void refresher.catchUp().then((value) => (answer = value));
    await vi.advanceTimersByTimeAsync(0);
    expect(answer).toBe(false);
    await vi.advanceTimersByTimeAsync(failAfterMs - 1_000);
    void refresher.catchUp();
    expect(refreshes).toBe(1);
    await vi.advanceTimersByTimeAsync(1_001);
    // The back-off is over: the next request starts one; it fails quickly, and the one after starts at once.
    failAfterMs = 100;
    void refresher.refresh().catch(() => undefined);
    expect(refreshes).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    void refresher.refresh().catch(() => undefined);
    expect(refreshes).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
  });
});
