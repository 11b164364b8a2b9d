import type { Executor } from '../data/executor.js';

/**
 * The chains' structure as the analytics read it — segments, what each feeds, how far it reaches downstream, the
 * region and segment trees — changes rarely, yet reading it costs more than everything else in a gap report
 * (a shortest-path search per segment). So each process keeps what it read, keyed by the structure version that
 * every upsert touching the structure bumps in its own transaction (src/data/changes.ts), and reads it again only
 * when the version moved.
 *
 * Writes that bypass the upserts (another tool on the same Neo4j) do not bump the version; entries also expire
 * after STRUCTURE_CACHE_TTL_MS, so such a write shows within that time, as the aggregates' own polling would.
 *
 * An entry in use is read again in the background once it is half that old (refreshAhead), so that no request finds
 * it expired and pays for reading it: at 1,000,000 firms that read took about a second, during which the requests
 * queued behind it in the analytics admission lane waited too.
 */

/** How long a cached structure is trusted without a version change (writes made outside this service). */
export const STRUCTURE_CACHE_TTL_MS = 60_000;

/** What the background reads of a cached structure are called (Neo4j's query log, observers). */
export const STRUCTURE_REFRESH_OPERATION = 'structure-refresh';

/**
 * A report's process cache for one structure version (AggregateRefresher.cachedStructure): `key`'s value, read by
 * `load` when missing (with the request's executor) and again in the background when due (with the refresher's,
 * `operation` then STRUCTURE_REFRESH_OPERATION).
 */
export type CachedStructures = <T>(
  key: string,
  load: (executor: Executor, operation?: string) => Promise<T>,
) => Promise<T>;

/** Distinct structures kept (chain × provenance filter × scope × depth combinations); the oldest goes first. */
const MAX_ENTRIES = 500;

interface Entry {
  readonly version: number;
  readonly storedAt: number;
  readonly value: unknown;
}

export class StructureCache {
  private readonly entries = new Map<string, Entry>();
  /** Keys being read again in the background (refreshAhead): one read per key at a time. */
  private readonly refreshing = new Set<string>();

  constructor(
    private readonly ttlMs: number = STRUCTURE_CACHE_TTL_MS,
    /** From this age on, an entry still in use is read again in the background. */
    private readonly refreshAfterMs: number = ttlMs / 2,
  ) {}

  /** The value stored under `key` for this structure version, if still fresh. */
  get<T>(key: string, version: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.version !== version || Date.now() - entry.storedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  /**
   * The value stored under `key` whatever its version, with that version, if still fresh: for a statement that reads
   * the current version together with what the cached value lets it leave out (the caller must check the version it
   * reads against this one, and read afresh when they differ).
   */
  peek<T>(key: string): { readonly version: number; readonly value: T } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() - entry.storedAt > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return { version: entry.version, value: entry.value as T };
  }

  set(key: string, version: number, value: unknown): void {
    this.entries.delete(key);
    this.entries.set(key, { version, storedAt: Date.now(), value });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * Reads the entry under `key` again in the background with `load` when it is at least `refreshAfterMs` old and no
   * read of it is under way; a caller has just used it under `version`. What the read gives is stored under that
   * version, not a newer one: a shape write that commits while it runs may or may not be in it, and the next request
   * that sees the newer version reads afresh. It is dropped if the entry was replaced meanwhile. A failed read
   * (`onFailure` hears of it) leaves the entry to expire at its time to live, as without this.
   */
  refreshAhead<T>(
    key: string,
    version: number,
    load: () => Promise<T>,
    onFailure: (error: unknown) => void = () => {},
  ): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.version !== version || this.refreshing.has(key)) return;
    if (Date.now() - entry.storedAt < this.refreshAfterMs) return;
    this.refreshing.add(key);
    load()
      .then((value) => {
        if (this.entries.get(key) === entry) this.set(key, version, value);
      }, onFailure)
      .finally(() => this.refreshing.delete(key));
  }

  /** The cached value, or `load()`'s, stored under this version. */
  async through<T>(key: string, version: number, load: () => Promise<T>): Promise<T> {
    const cached = this.get<T>(key, version);
    if (cached !== undefined) return cached;
    const value = await load();
    this.set(key, version, value);
    return value;
  }
}
