import type { Executor } from '../data/executor.js';
import type { Logger } from '../logger.js';
import { refreshAggregates, type RefreshSummary } from './aggregates.js';
import { STRUCTURE_REFRESH_OPERATION, StructureCache } from './structureCache.js';

export interface RefresherOptions {
  /** How long an analytics request waits for pending writes to be folded in before answering from older counts. */
  readonly waitMs: number;
  /** How often the background check for pending writes runs (0: never; requests still refresh). */
  readonly pollMs: number;
  /** Transaction timeout of one refresh. */
  readonly timeoutMs: number;
  /** The links in that make a firm a hub whose links a refresh summarises (AGGREGATE_HUB_MIN_LINKS). */
  readonly hubMinLinks?: number;
  /** How long a cached structure is trusted without a version change (default STRUCTURE_CACHE_TTL_MS). */
  readonly structureTtlMs?: number;
  readonly logger?: Logger;
  /** What one refresh does (default: refreshAggregates); tests give a stand-in to drive the timing. */
  readonly refreshWith?: (
    executor: Executor,
    options: { timeoutMs: number; hubMinLinks?: number },
  ) => Promise<RefreshSummary>;
}

/**
 * How long a failed refresh must have run for the next one to wait (as long again) instead of starting at once: a
 * quick failure (Neo4j restarting, a deadlock) is retried by the next request as before.
 */
export const LONG_FAILURE_MS = 30_000;

/**
 * Keeps the analytics aggregates of one process current. One refresh at a time (others in other processes queue on
 * the state node's lock); a caller that arrives while one runs waits for the next one, which starts after its
 * arrival and so sees every write committed before it.
 */
export class AggregateRefresher {
  private running: Promise<RefreshSummary> | null = null;
  private queued: Promise<RefreshSummary> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFailure: Error | null = null;
  /** When the running refresh started (epoch ms). */
  private runningSince = 0;
  /** No refresh starts before this (epoch ms): set after a long refresh failed (LONG_FAILURE_MS). */
  private retryNotBefore = 0;
  /** The chains' structure as this process last read it, per structure version (structureCache.ts). */
  readonly structures: StructureCache;
  /**
   * Whether the home index on OPERATES_IN (`rankHomeId`, aggregates.ts) was current when this process last looked:
   * a hint for which way a segment loss first reads its firms, set by each refresh and each look. Every read from
   * the index checks it in the same statement, and reads again the other way when it was not.
   */
  homeIndexReady = false;

  constructor(
    private readonly executor: Executor,
    private readonly options: RefresherOptions,
  ) {
    this.structures = new StructureCache(options.structureTtlMs);
  }

  /**
   * Reads a cached structure again in the background when it is due (StructureCache.refreshAhead), with this
   * process's executor: not a request's, whose deadline and statements must not include it.
   */
  refreshStructureAhead<T>(key: string, version: number, load: (executor: Executor) => Promise<T>): void {
    this.structures.refreshAhead(
      key,
      version,
      () => load(this.executor),
      (error) =>
        this.options.logger?.warn(
          { err: error, key },
          'Reading a cached structure again failed; it expires as before',
        ),
    );
  }

  /**
   * `key`'s value for this structure version: from the cache, else read by `load` with `executor` (the request's, as
   * part of it); then, when the entry is due, read again in the background (refreshStructureAhead, its statements
   * named STRUCTURE_REFRESH_OPERATION), so that no request finds it expired and waits for the read: at a million firms
   * the homes' presence took 200–250 ms to read (21 MB of cells), the region index 75–117 ms.
   */
  async cachedStructure<T>(
    key: string,
    version: number,
    executor: Executor,
    load: (executor: Executor, operation?: string) => Promise<T>,
  ): Promise<T> {
    const value = await this.structures.through(key, version, () => load(executor));
    this.refreshStructureAhead(key, version, (background) => load(background, STRUCTURE_REFRESH_OPERATION));
    return value;
  }

  /** Folds in every change committed before this call. */
  refresh(): Promise<RefreshSummary> {
    if (this.running === null) {
      // Still backing off from a long failure: answer from the counts as they are rather than start it again.
      if (this.lastFailure !== null && Date.now() < this.retryNotBefore)
        return Promise.reject(this.lastFailure);
      const started = Date.now();
      this.runningSince = started;
      this.running = (this.options.refreshWith ?? refreshAggregates)(this.executor, {
        timeoutMs: this.options.timeoutMs,
        ...(this.options.hubMinLinks !== undefined ? { hubMinLinks: this.options.hubMinLinks } : {}),
      })
        .then((summary) => {
          this.lastFailure = null;
          // A refresh leaves every operation's keys in the current layout: current until the next write.
          this.homeIndexReady = true;
          if (summary.changes > 0 || summary.full) {
            this.options.logger?.info(
              { ...summary, ms: Date.now() - started },
              summary.full ? 'Analytics aggregates rebuilt' : 'Analytics aggregates refreshed',
            );
          }
          return summary;
        })
        .catch((error: unknown) => {
          this.lastFailure = error as Error;
          const ranMs = Date.now() - started;
          // A refresh that fails after minutes of work (too much for Neo4j's transaction memory, say) would fail
          // again: started anew by every request, it kept a core busy for as long as the service ran. After a long
          // failure the next one waits as long as the failed one ran, so at most half the time goes to failing.
          const retryInMs = ranMs >= LONG_FAILURE_MS ? ranMs : 0;
          this.retryNotBefore = Date.now() + retryInMs;
          this.options.logger?.warn(
            { err: error, ms: ranMs, retryInMs },
            'Refreshing the analytics aggregates failed',
          );
          throw error;
        })
        .finally(() => {
          this.running = null;
        });
      return this.running;
    }
    // A refresh is under way but may have read before this caller's writes: queue one more behind it.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  /**
   * Waits, at most `waitMs`, for a refresh that folds in every change committed so far. True when it finished in
   * time; false when the answer must come from the counts as they are (the refresh goes on in the background).
   */
  async catchUp(): Promise<boolean> {
    // A refresh that has already run longer than the wait (a large import folded in at a million firms takes
    // minutes) cannot be followed in time by the one this caller's writes need: answer from the counts as they are
    // at once rather than make every request wait the full AGGREGATE_WAIT_MS.
    if (this.running !== null && Date.now() - this.runningSince > this.options.waitMs) {
      void this.refresh().catch(() => undefined);
      return false;
    }
    const refreshed = this.refresh().then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.waitMs);
    });
    try {
      return await Promise.race([refreshed, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Why the last refresh failed, if it did (for the error an unbuilt store gives). */
  get failure(): Error | null {
    return this.lastFailure;
  }

  /** Builds the aggregates now (a store written by an older version or another tool) and checks for writes regularly. */
  start(): void {
    void this.refresh().catch(() => undefined);
    if (this.options.pollMs > 0 && this.timer === null) {
      this.timer = setInterval(() => {
        if (this.running === null) void this.refresh().catch(() => undefined);
      }, this.options.pollMs);
      this.timer.unref();
    }
  }

  /**
   * Stops the background checks. A refresh under way is not awaited (a full rebuild can take minutes): closing the
   * driver ends it, and its transaction rolls back, leaving the aggregates as they were.
   */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
