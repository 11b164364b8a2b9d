import { HeaderMap } from '@apollo/server';

import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';

/**
 * Cost-aware admission control (load shedding). MAX_QUERY_COST bounds what ONE operation may cost; it does not bound
 * how many of the costliest ones run at once. On a small machine a few dozen of them saturate the event loop
 * (graphql-js execution, the driver's decoding and JSON serialisation of answers near a megabyte are synchronous)
 * and the database's CPU, and then /health and the cheapest queries wait seconds behind them.
 *
 * So every operation, once priced, is admitted into one of two lanes before it executes:
 * - the cheap lane (price ≤ ADMISSION_CHEAP_MAX_COST and body ≤ ADMISSION_CHEAP_MAX_BYTES) has a generous concurrency: cheap operations are what a
 *   busy service must keep answering;
 * - the expensive lane has a small concurrency (about one per CPU core, a little more while the cheap lane has been
 *   idle a while) and a short bounded wait queue.
 * An operation that finds its lane's queue full, or is not admitted within ADMISSION_MAX_WAIT_MS, is refused at
 * once with SERVICE_BUSY and HTTP 503 + Retry-After: it has not run, so retrying later is safe. Refusing fast is
 * the point: a queue without bound would only move the hang from the event loop to the client.
 *
 * Defaults (measured with `npm run load -- --hostile` on a 2-core machine): ONE expensive operation at a time, since
 * Neo4j runs on the same cores and every costly answer blocks the event loop a while (two at once gave a worse
 * /health p99), and ONE more once the cheap lane has had nothing running or waiting for 250 ms
 * (ADMISSION_EXPENSIVE_IDLE_EXTRA, ADMISSION_EXPENSIVE_IDLE_QUIET_MS): with no cheap traffic to protect, a second
 * analytics request uses the core the first leaves idle while Node and Neo4j take turns within it (10 clients asking
 * for targetFirms alone at 200,000 firms: 14.5 → 20.1 requests/s);
 * a cheap operation that arrives then finds at most the two running, and no third starts until it is done. A queue
 * of 64, longer than the number of clients likely to send expensive work at once, so they wait (which costs nothing)
 * rather than being refused at once and retrying at once (each retry is parsed, validated and priced again: a queue
 * of 8 meant six times as many refusals and a busier event loop).
 *
 * Admission happens in the cost plugin right after pricing (Apollo's didResolveOperation), not in the HTTP layer:
 * there the price is known from the coerced variables at no extra parse, and each operation of a batch is admitted
 * by its own price. The slot is released in willSendResponse, which Apollo calls on every path once the operation
 * was resolved (success, execution error, timeout); a client that disconnects does not stop the operation, which
 * still ends there. Releases are idempotent.
 */

export interface LaneSettings {
  /** Operations of the lane that may execute at once. */
  readonly concurrency: number;
  /** Operations that may wait for a slot; one more is refused at once. */
  readonly queue: number;
  /**
   * Slots the lane may use on top of `concurrency` while the other lane has had nothing running or waiting for
   * `idleQuietMs` (0: none). Only the expensive lane has any (ADMISSION_EXPENSIVE_IDLE_EXTRA and
   * ADMISSION_EXPENSIVE_IDLE_QUIET_MS): see AdmissionControl.
   */
  readonly idleExtra?: number;
  readonly idleQuietMs?: number;
}

export interface AdmissionSettings {
  /** Operations priced at or below this take the cheap lane; the others the expensive lane. */
  readonly cheapMaxCost: number;
  /**
   * Requests whose body is larger than this take the expensive lane whatever their price: reading and coercing
   * megabytes of variables blocks the event loop as long as a costly answer does, and the price does not see it.
   */
  readonly cheapMaxBytes: number;
  readonly cheap: LaneSettings;
  readonly expensive: LaneSettings;
  /** How long an operation may wait in a queue before it is refused. */
  readonly maxWaitMs: number;
}

export function admissionSettingsOf(config: Config): AdmissionSettings {
  return config.admission;
}

export type LaneName = 'cheap' | 'expensive';

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

/** Why an operation was not admitted: its lane's queue was full, or its wait budget ran out. */
export class LaneBusy extends Error {
  constructor(
    readonly lane: LaneName,
    readonly reason: 'queueFull' | 'waitedTooLong',
  ) {
    super(`${lane} lane busy (${reason})`);
  }
}

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * A counting semaphore with a bounded FIFO queue and a wait budget per waiter. Its capacity is `concurrency`, plus
 * `idleExtra` while `othersIdle()` holds (AdmissionControl: the cheap lane quiet for a while); a capacity that drops (the
 * other lane got work) stops no operation, it only holds the next ones back until enough have finished.
 */
export class Lane {
  private running = 0;
  private readonly waiters: Waiter[] = [];
  /** Called when the lane has nothing running or waiting any more. */
  onIdle: () => void = () => {};

  constructor(
    readonly name: LaneName,
    private readonly settings: LaneSettings,
    private readonly maxWaitMs: number,
    private readonly othersIdle: () => boolean = () => false,
  ) {}

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get idle(): boolean {
    return this.running === 0 && this.waiters.length === 0;
  }

  /** Operations that may run at once right now. */
  get capacity(): number {
    const extra = this.settings.idleExtra ?? 0;
    return extra > 0 && this.othersIdle() ? this.settings.concurrency + extra : this.settings.concurrency;
  }

  /** Resolves with a release once a slot is free; rejects with LaneBusy when the queue is full or waiting too long. */
  acquire(): Promise<Release> {
    // Waiters first: a slot that the capacity freed since the last release goes to them, not to this newcomer.
    this.drain();
    if (this.waiters.length === 0 && this.running < this.capacity) {
      this.running += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.settings.queue) {
      return Promise.reject(new LaneBusy(this.name, 'queueFull'));
    }
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(new LaneBusy(this.name, 'waitedTooLong'));
          if (this.idle) this.onIdle();
        }, this.maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Grants waiters, oldest first, as long as the capacity allows. */
  drain(): void {
    while (this.waiters.length > 0 && this.running < this.capacity) {
      const next = this.waiters.shift()!;
      clearTimeout(next.timer);
      this.running += 1;
      next.grant(this.releaser());
    }
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      this.drain();
      if (this.idle) this.onIdle();
    };
  }
}

export class AdmissionControl {
  readonly cheap: Lane;
  readonly expensive: Lane;

  /** When the cheap lane last fell idle (Date.now()); idle since the start. */
  private cheapIdleSince = Number.NEGATIVE_INFINITY;
  /** Wakes the expensive lane's waiters once the cheap lane has been quiet long enough (one at a time). */
  private quietTimer: NodeJS.Timeout | undefined;

  constructor(readonly settings: AdmissionSettings) {
    // The cheap lane never borrows. The expensive one may take its idle extra once no cheap operation has run or
    // waited for idleQuietMs: a cheap lane that is idle only between one query and the next (the hostile mix: some
    // 30 cheap queries a second) lends nothing, since an expensive operation started in such a gap holds its core
    // for a second. Lent at any idle instant, the extra slot gave /health a p99 of 137–309 ms in four runs of that mix,
    // past its 200 ms goal in two (README, "Known limits at province scale").
    const quietMs = settings.expensive.idleQuietMs ?? 0;
    this.cheap = new Lane('cheap', { ...settings.cheap, idleExtra: 0 }, settings.maxWaitMs);
    this.expensive = new Lane(
      'expensive',
      settings.expensive,
      settings.maxWaitMs,
      () => this.cheap.idle && Date.now() - this.cheapIdleSince >= quietMs,
    );
    this.cheap.onIdle = () => {
      this.cheapIdleSince = Date.now();
      if ((settings.expensive.idleExtra ?? 0) === 0) return;
      if (quietMs === 0) {
        this.expensive.drain();
        return;
      }
      clearTimeout(this.quietTimer);
      // Unreferenced: a pending wake-up must not keep a stopping process alive.
      this.quietTimer = setTimeout(() => this.expensive.drain(), quietMs).unref();
    };
  }

  /** The lane of an operation of this price, sent in an HTTP body of this many bytes (0 when unknown). */
  laneFor(cost: number, bodyBytes = 0): Lane {
    return cost <= this.settings.cheapMaxCost && bodyBytes <= this.settings.cheapMaxBytes
      ? this.cheap
      : this.expensive;
  }

  /** Admits an operation, or throws SERVICE_BUSY (HTTP 503) when its lane cannot take it in time. */
  async admit(cost: number, bodyBytes = 0): Promise<Release> {
    const lane = this.laneFor(cost, bodyBytes);
    try {
      return await lane.acquire();
    } catch (error) {
      if (error instanceof LaneBusy) throw busyError(error, cost, this.settings);
      throw error;
    }
  }
}

/** The refusal: a client error saying the service is busy and when to retry, never a masked internal error. */
export function busyError(busy: LaneBusy, cost: number, settings: AdmissionSettings): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(settings.maxWaitMs / 1000));
  const price = Number.isFinite(cost) ? Math.ceil(cost) : null;
  const why =
    busy.reason === 'queueFull'
      ? `the ${busy.lane} lane's queue is full`
      : `no ${busy.lane} slot freed within ${settings.maxWaitMs} ms`;
  const message =
    busy.lane === 'expensive'
      ? `The service is busy with expensive requests (${why}); this operation (price ${price ?? 'unbounded'}; above ${settings.cheapMaxCost}, or a body above ${settings.cheapMaxBytes} bytes, is expensive) did not run: retry after ${retryAfterSeconds} s, or ask for less (smaller pages, shallower traversals, fewer aliases)`
      : `The service is busy (${why}); this operation did not run: retry after ${retryAfterSeconds} s`;
  return new AppError(ErrorCode.SERVICE_BUSY, message, {
    lane: busy.lane,
    reason: busy.reason,
    cost: price,
    retryAfterSeconds,
    http: { status: 503, headers: new HeaderMap([['retry-after', String(retryAfterSeconds)]]) },
  });
}
