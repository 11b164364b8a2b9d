import { Neo4jError } from 'neo4j-driver';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AvailabilityMonitor } from '../../src/data/availability.js';
import { isDatabaseUnreachable, mapDriverError } from '../../src/data/errors.js';
import { AppError } from '../../src/errors.js';

/**
 * The pure parts of request deadlines (issue 11, case 5): how the availability monitor verifies a database that
 * stopped answering, and the pool's acquisition timeout, which used to reach clients as INTERNAL_SERVER_ERROR.
 * The behaviour over HTTP against a frozen Neo4j is test/faults/frozenNeo4j.test.ts.
 */

describe('AvailabilityMonitor.verify', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('marks the database unavailable when the verifying probe fails, and probes on until it answers', async () => {
    let answers = false;
    let calls = 0;
    const changes: boolean[] = [];
    const monitor = new AvailabilityMonitor(
      () => {
        calls += 1;
        return answers ? Promise.resolve() : Promise.reject(new Error('no answer'));
      },
      { probeIntervalMs: 500, onChange: (available) => changes.push(available) },
    );
    monitor.verify(new Error('a statement outlived its deadline'));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(monitor.available).toBe(false);
    answers = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(monitor.available).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it('leaves a database that answers available (a slow query is not an outage)', async () => {
    const changes: boolean[] = [];
    const monitor = new AvailabilityMonitor(() => Promise.resolve(), {
      probeIntervalMs: 500,
      onChange: (available) => changes.push(available),
    });
    monitor.verify();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(monitor.available).toBe(true);
    expect(changes).toEqual([]);
  });

  it('runs one verifying probe however many statements time out together', async () => {
    let calls = 0;
    const monitor = new AvailabilityMonitor(
      async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      },
      { probeIntervalMs: 500 },
    );
    for (let i = 0; i < 50; i++) monitor.verify();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
    monitor.verify(); // the first one finished: a new hint may verify again
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
  });
});

describe("the driver pool's acquisition timeout", () => {
  const acquisition = new Neo4jError(
    'Connection acquisition timed out in 10000 ms. Pool status: Active conn count = 100, Idle conn count = 0.',
    'N/A',
    '',
    '',
  );

  it('is a TIMEOUT with a message of our own, not an outage by itself and not an internal error', () => {
    expect(isDatabaseUnreachable(acquisition)).toBe(false);
    const mapped = mapDriverError(acquisition);
    expect(mapped).toBeInstanceOf(AppError);
    expect((mapped as AppError).code).toBe('TIMEOUT');
    expect((mapped as AppError).message).not.toMatch(/pool|acquisition|conn count/i);
  });
});
