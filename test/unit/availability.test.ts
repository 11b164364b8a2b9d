import { Neo4jError } from 'neo4j-driver';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { AvailabilityMonitor } from '../../src/data/availability.js';
import { isDatabaseUnreachable, mapDriverError } from '../../src/data/errors.js';
import { AppError } from '../../src/errors.js';

/** A probe whose answers the test decides, counting how often it is asked. */
function controlledProbe() {
  const probe = {
    calls: 0,
    answers: false,
    fn: () => {
      probe.calls += 1;
      return probe.answers ? Promise.resolve() : Promise.reject(new Error('connection refused'));
    },
  };
  return probe;
}

describe('AvailabilityMonitor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts available and never probes while nothing failed', async () => {
    const probe = controlledProbe();
    const monitor = new AvailabilityMonitor(probe.fn, { probeIntervalMs: 500 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(monitor.available).toBe(true);
    expect(probe.calls).toBe(0);
  });

  it('turns unavailable on a failure, probes once per interval however many failures arrive, and recovers when a probe answers', async () => {
    const probe = controlledProbe();
    const changes: boolean[] = [];
    const monitor = new AvailabilityMonitor(probe.fn, {
      probeIntervalMs: 500,
      onChange: (available) => changes.push(available),
    });
    monitor.markUnavailable(new Error('first'));
    monitor.markUnavailable(new Error('second'));
    monitor.markUnavailable(new Error('third'));
    expect(monitor.available).toBe(false);
    expect(changes).toEqual([false]);

    await vi.advanceTimersByTimeAsync(499);
    expect(probe.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(probe.calls).toBe(1);
    monitor.markUnavailable(new Error('during the pause'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probe.calls).toBe(5);
    expect(monitor.available).toBe(false);

    probe.answers = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(monitor.available).toBe(true);
    expect(changes).toEqual([false, true]);
    // Back to available: no more probing.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe.calls).toBe(6);
  });

  it('never runs two probes at once, even when a probe is slower than the interval', async () => {
    let running = 0;
    let most = 0;
    const monitor = new AvailabilityMonitor(
      async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        running -= 1;
        throw new Error('timed out');
      },
      { probeIntervalMs: 100 },
    );
    monitor.markUnavailable();
    await vi.advanceTimersByTimeAsync(500);
    monitor.markUnavailable(); // while the probe is running
    await vi.advanceTimersByTimeAsync(10_000);
    expect(most).toBe(1);
  });

  it('recovers at once when told the database answered (a readiness check), cancelling the pending probe', async () => {
    const probe = controlledProbe();
    const monitor = new AvailabilityMonitor(probe.fn, { probeIntervalMs: 500 });
    monitor.markUnavailable();
    monitor.markAvailable();
    expect(monitor.available).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe.calls).toBe(0);
  });

  it('stops probing for good once closed', async () => {
    const probe = controlledProbe();
    const monitor = new AvailabilityMonitor(probe.fn, { probeIntervalMs: 500 });
    monitor.markUnavailable();
    await vi.advanceTimersByTimeAsync(1_000);
    const before = probe.calls;
    monitor.close();
    monitor.markUnavailable();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe.calls).toBe(before);
  });
});

describe('driver errors seen during an outage', () => {
  const driverError = (message: string, code: string) => new Neo4jError(message, code, '', '');
  const outage = [
    driverError(
      'Failed to connect to server. Caused by: connect ECONNREFUSED 127.0.0.1:7687',
      'ServiceUnavailable',
    ),
    driverError('Connection was closed by server', 'SessionExpired'),
    driverError('Database neo4j is unavailable.', 'Neo.TransientError.General.DatabaseUnavailable'),
    driverError('Pool is closed, it is no more able to serve requests.', 'N/A'),
    driverError('read ECONNRESET', 'N/A'),
    Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }),
  ];

  it.each(outage.map((error) => [error.message, error]))(
    'maps "%s" to DATABASE_UNAVAILABLE, showing none of the driver text',
    (_message, error) => {
      expect(isDatabaseUnreachable(error)).toBe(true);
      const mapped = mapDriverError(error);
      expect(mapped).toBeInstanceOf(AppError);
      expect((mapped as AppError).code).toBe('DATABASE_UNAVAILABLE');
      expect((mapped as AppError).message).toBe('The graph database is unavailable; try again shortly');
      expect(Object.keys((mapped as AppError).extensions)).toEqual(['code']);
    },
  );

  it('does not take a query fault, a timeout or a deadlock for an outage', () => {
    const syntax = driverError('Invalid input', 'Neo.ClientError.Statement.SyntaxError');
    const timeout = driverError(
      'timed out',
      'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration',
    );
    const deadlock = driverError('deadlock', 'Neo.TransientError.Transaction.DeadlockDetected');
    for (const error of [syntax, timeout, deadlock]) expect(isDatabaseUnreachable(error)).toBe(false);
    expect(mapDriverError(syntax)).toBe(syntax);
    expect((mapDriverError(timeout) as AppError).code).toBe('TIMEOUT');
    // A deadlock that outlasted the retries is still "try again", never an internal error.
    expect((mapDriverError(deadlock) as AppError).code).toBe('DATABASE_UNAVAILABLE');
  });

  it("keeps a transient failure's own message for the logs, never for the client", () => {
    const memory = driverError(
      'The allocation of an extra 2.0 MiB would use more than the limit 2.1 GiB.',
      'Neo.TransientError.General.MemoryPoolOutOfMemoryError',
    );
    const mapped = mapDriverError(memory) as AppError;
    expect(mapped.code).toBe('DATABASE_UNAVAILABLE');
    expect(JSON.stringify(mapped.toJSON())).not.toContain('2.1 GiB');
    expect(JSON.stringify(mapped.toJSON())).not.toContain('MemoryPool');
    const logged = pino.stdSerializers.err(mapped);
    expect(logged.message).toBe(
      'The graph database is busy; try again shortly: The allocation of an extra 2.0 MiB would use more than the limit 2.1 GiB.',
    );
  });
});
