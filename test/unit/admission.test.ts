import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { loadConfig } from '../../src/config.js';
import {
  AdmissionControl,
  Lane,
  LaneBusy,
  type AdmissionSettings,
  type Release,
} from '../../src/graphql/admission.js';
import { AppError, ErrorCode } from '../../src/errors.js';

const settings: AdmissionSettings = {
  cheapMaxCost: 100,
  cheapMaxBytes: 1_000,
  cheap: { concurrency: 3, queue: 5 },
  expensive: { concurrency: 1, queue: 1 },
  maxWaitMs: 1_000,
};

/** Settles pending promise callbacks. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('a lane', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to its concurrency at once, queues the next ones in order, and refuses beyond its queue', async () => {
    const lane = new Lane('expensive', { concurrency: 2, queue: 2 }, 1_000);
    const first = await lane.acquire();
    await lane.acquire();
    expect(lane.active).toBe(2);
    const order: string[] = [];
    const third = lane.acquire().then((release) => (order.push('third'), release));
    const fourth = lane.acquire().then((release) => (order.push('fourth'), release));
    expect(lane.waiting).toBe(2);
    await expect(lane.acquire()).rejects.toEqual(new LaneBusy('expensive', 'queueFull'));

    first();
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    expect(lane.active).toBe(2);
    expect(lane.waiting).toBe(1);
    releaseThird();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(lane.waiting).toBe(0);
  });

  it('refuses a waiter whose wait budget ran out and forgets it, so a later release does not grant it', async () => {
    const lane = new Lane('expensive', { concurrency: 1, queue: 3 }, 1_000);
    const held = await lane.acquire();
    const waiting = lane.acquire();
    const outcome = waiting.then(
      () => 'admitted',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(lane.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toEqual(new LaneBusy('expensive', 'waitedTooLong'));
    expect(lane.waiting).toBe(0);
    held();
    expect(lane.active).toBe(0);
  });

  it('gives a slot back once however many times it is released', async () => {
    const lane = new Lane('cheap', { concurrency: 1, queue: 0 }, 1_000);
    const release = await lane.acquire();
    release();
    release();
    expect(lane.active).toBe(0);
    const again = await lane.acquire();
    release(); // the old release must not free the slot now held by someone else
    expect(lane.active).toBe(1);
    await expect(lane.acquire()).rejects.toBeInstanceOf(LaneBusy);
    again();
    expect(lane.active).toBe(0);
  });

  it('frees the slot of an operation that failed when its release runs in a finally', async () => {
    const lane = new Lane('expensive', { concurrency: 1, queue: 0 }, 1_000);
    const run = async () => {
      const release = await lane.acquire();
      try {
        throw new Error('the operation failed');
      } finally {
        release();
      }
    };
    await expect(run()).rejects.toThrow('the operation failed');
    await expect(run()).rejects.toThrow('the operation failed');
    expect(lane.active).toBe(0);
  });
});

describe('admission control', () => {
  it('sends operations to a lane by price: at most the threshold is cheap, above it expensive', () => {
    const admission = new AdmissionControl(settings);
    expect(admission.laneFor(0)).toBe(admission.cheap);
    expect(admission.laneFor(100)).toBe(admission.cheap);
    expect(admission.laneFor(101)).toBe(admission.expensive);
    expect(admission.laneFor(Number.POSITIVE_INFINITY)).toBe(admission.expensive);
    // A cheap price in a big body (megabytes of variables) is expensive to read and coerce.
    expect(admission.laneFor(1, 1_000)).toBe(admission.cheap);
    expect(admission.laneFor(1, 1_001)).toBe(admission.expensive);
  });

  it('keeps admitting cheap operations while the expensive lane is full, and refuses the extra expensive one with SERVICE_BUSY', async () => {
    const admission = new AdmissionControl(settings);
    const expensive = await admission.admit(5_000);
    const queued = admission.admit(5_000);
    const refused = await admission.admit(7_000).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    const error = refused as AppError;
    expect(error.code).toBe(ErrorCode.SERVICE_BUSY);
    expect(error.message).toMatch(/busy with expensive requests/);
    expect(error.message).toMatch(/retry after 1 s/);
    expect(error.extensions).toMatchObject({ lane: 'expensive', reason: 'queueFull', cost: 7_000 });
    const http = error.extensions['http'] as unknown as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(503);
    expect(http.headers.get('retry-after')).toBe('1');

    const cheap = await Promise.all([admission.admit(1), admission.admit(50), admission.admit(100)]);
    expect(admission.cheap.active).toBe(3);
    cheap.forEach((release) => release());

    expensive();
    const second = await queued;
    await flush();
    expect(admission.expensive.active).toBe(1);
    second();
    expect(admission.expensive.active).toBe(0);
  });

  it('lets the expensive lane take its idle extra only while no cheap operation runs or waits', async () => {
    const admission = new AdmissionControl({
      ...settings,
      expensive: { concurrency: 1, queue: 4, idleExtra: 1 },
    });
    // Nothing cheap: two expensive operations run at once, the third waits.
    const first = await admission.admit(5_000);
    const second = await admission.admit(5_000);
    const order: string[] = [];
    const third = admission.admit(5_000).then((release) => (order.push('third'), release));
    const fourth = admission.admit(5_000).then((release) => (order.push('fourth'), release));
    expect(admission.expensive.active).toBe(2);
    expect(admission.expensive.waiting).toBe(2);

    // A cheap operation arrives: the running ones go on, but a freed slot goes to nobody while it runs.
    const cheap = await admission.admit(1);
    first();
    await flush();
    expect(order).toEqual([]);
    expect(admission.expensive.active).toBe(1);
    second();
    await flush();
    expect(order).toEqual(['third']);
    expect(admission.expensive.active).toBe(1);

    // The cheap lane falls idle: the extra slot goes to the next waiter at once, in arrival order.
    cheap();
    await flush();
    expect(order).toEqual(['third', 'fourth']);
    expect(admission.expensive.active).toBe(2);
    (await third)();
    (await fourth)();
    expect(admission.expensive.active).toBe(0);
  });

  it('lends the extra slot only once the cheap lane has been quiet for idleQuietMs, and starts counting again at each cheap operation', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const admission = new AdmissionControl({
        ...settings,
        expensive: { concurrency: 1, queue: 4, idleExtra: 1, idleQuietMs: 250 },
      });
      // Quiet since the start: the extra slot is lent at once.
      const first = await admission.admit(5_000);
      const second = await admission.admit(5_000);
      expect(admission.expensive.active).toBe(2);
      second();

      const cheap = await admission.admit(1);
      cheap();
      // The cheap lane fell idle just now: not yet quiet.
      let lent = false;
      const waiting = admission.admit(5_000).then((release) => ((lent = true), release));
      await vi.advanceTimersByTimeAsync(200);
      expect(lent).toBe(false);
      // Another cheap operation within the window: the quiet period starts again when it ends.
      (await admission.admit(1))();
      await vi.advanceTimersByTimeAsync(200);
      expect(lent).toBe(false);
      await vi.advanceTimersByTimeAsync(50);
      expect(lent).toBe(true);
      expect(admission.expensive.active).toBe(2);
      (await waiting)();
      first();
      expect(admission.expensive.active).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never lends the expensive lane an extra slot while the cheap lane has a waiter', async () => {
    const admission = new AdmissionControl({
      ...settings,
      cheap: { concurrency: 1, queue: 2 },
      expensive: { concurrency: 1, queue: 2, idleExtra: 2 },
    });
    const cheap = await admission.admit(1);
    const waitingCheap = admission.admit(1);
    const expensive = await admission.admit(5_000);
    const queued = admission.admit(5_000);
    expect(admission.expensive.waiting).toBe(1);
    cheap(); // the waiting cheap operation takes the slot: the cheap lane is still not idle
    const secondCheap = await waitingCheap;
    await flush();
    expect(admission.expensive.waiting).toBe(1);
    secondCheap();
    await flush();
    expect(admission.expensive.active).toBe(2);
    expensive();
    (await queued)();
  });

  it('on any sequence of arrivals and releases: no waiter while its lane has room, first come first served, and the extra slot only granted while the cheap lane is idle', async () => {
    const step = fc.oneof(
      fc.constant({ kind: 'cheap' as const }),
      fc.constant({ kind: 'expensive' as const }),
      fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(step, { maxLength: 60 }),
        async (concurrency, idleExtra, cheapConcurrency, steps) => {
          const admission = new AdmissionControl({
            ...settings,
            cheap: { concurrency: cheapConcurrency, queue: 100 },
            expensive: { concurrency, queue: 100, idleExtra },
            maxWaitMs: 1_000_000,
          });
          const held: Release[] = [];
          const asked = { cheap: [] as number[], expensive: [] as number[] };
          const granted = { cheap: [] as number[], expensive: [] as number[] };
          /** Extra slots granted while something cheap ran or waited (there must be none). */
          const lentWhileCheapBusy: number[] = [];
          let next = 0;
          for (const { kind, pick } of steps.map((s) => ({ pick: 0, ...s }))) {
            if (kind === 'release') {
              if (held.length > 0) held.splice(pick % held.length, 1)[0]!();
            } else {
              const id = next++;
              asked[kind].push(id);
              void admission.admit(kind === 'cheap' ? 1 : 5_000).then((release) => {
                granted[kind].push(id);
                held.push(release);
                // Granted beyond its own concurrency: only while nothing cheap runs or waits.
                if (kind === 'expensive' && admission.expensive.active > concurrency && !admission.cheap.idle)
                  lentWhileCheapBusy.push(id);
              });
            }
            await flush();
            for (const lane of [admission.cheap, admission.expensive]) {
              if (lane.waiting > 0) expect(lane.active).toBeGreaterThanOrEqual(lane.capacity);
            }
            expect(admission.expensive.active).toBeLessThanOrEqual(concurrency + idleExtra);
            expect(admission.cheap.active).toBeLessThanOrEqual(cheapConcurrency);
            expect(granted.cheap).toEqual(asked.cheap.slice(0, granted.cheap.length));
            expect(granted.expensive).toEqual(asked.expensive.slice(0, granted.expensive.length));
            expect(lentWhileCheapBusy).toEqual([]);
          }
          held.forEach((release) => release());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('names a full cheap lane as busy too, without blaming expensive requests', async () => {
    const admission = new AdmissionControl({ ...settings, cheap: { concurrency: 1, queue: 0 } });
    const held = await admission.admit(1);
    const error = (await admission.admit(1).catch((caught: unknown) => caught)) as AppError;
    expect(error.code).toBe(ErrorCode.SERVICE_BUSY);
    expect(error.message).not.toMatch(/expensive/);
    held();
  });
});

describe('admission settings', () => {
  const base = { NEO4J_URI: 'bolt://127.0.0.1:7687' };

  it('has defaults under which every lane admits at least one operation at once', () => {
    const { admission } = loadConfig(base);
    expect(admission.expensive.concurrency).toBeGreaterThanOrEqual(1);
    expect(admission.cheap.concurrency).toBeGreaterThan(admission.expensive.concurrency);
    expect(admission.maxWaitMs).toBeGreaterThan(0);
  });

  it('reads every variable and refuses a concurrency of 0 with a message naming it', () => {
    const config = loadConfig({
      ...base,
      ADMISSION_CHEAP_MAX_COST: '10',
      ADMISSION_CHEAP_MAX_BYTES: '2048',
      ADMISSION_CHEAP_CONCURRENCY: '7',
      ADMISSION_CHEAP_QUEUE: '9',
      ADMISSION_EXPENSIVE_CONCURRENCY: '1',
      ADMISSION_EXPENSIVE_QUEUE: '0',
      ADMISSION_EXPENSIVE_IDLE_EXTRA: '3',
      ADMISSION_EXPENSIVE_IDLE_QUIET_MS: '40',
      ADMISSION_MAX_WAIT_MS: '250',
    });
    expect(config.admission).toEqual({
      cheapMaxCost: 10,
      cheapMaxBytes: 2048,
      cheap: { concurrency: 7, queue: 9 },
      expensive: { concurrency: 1, queue: 0, idleExtra: 3, idleQuietMs: 40 },
      maxWaitMs: 250,
    });
    expect(() => loadConfig({ ...base, ADMISSION_EXPENSIVE_CONCURRENCY: '0' })).toThrow(
      /ADMISSION_EXPENSIVE_CONCURRENCY="0": expected a whole number from 1/,
    );
    expect(loadConfig({ ...base, ADMISSION_EXPENSIVE_IDLE_EXTRA: '0' }).admission.expensive.idleExtra).toBe(
      0,
    );
    expect(() => loadConfig({ ...base, ADMISSION_EXPENSIVE_IDLE_EXTRA: '-1' })).toThrow(
      /ADMISSION_EXPENSIVE_IDLE_EXTRA="-1": expected a whole number from 0/,
    );
  });
});
