/**
 * The chains' structure as the analytics read it — segments, what each feeds, how far it reaches downstream, the
 * region and segment trees — changes rarely, yet reading it costs more than everything else in a gap report
 * (a shortest-path search per segment). So each process keeps what it read, keyed by the structure version that
 * every upsert touching the structure bumps in its own transaction (src/data/changes.ts), and reads it again only
 * when the version moved.
 *
 * Writes that bypass the upserts (another tool on the same Neo4j) do not bump the version; entries also expire
 * after STRUCTURE_CACHE_TTL_MS, so such a write shows within that time, as the aggregates' own polling would.
 */

/** How long a cached structure is trusted without a version change (writes made outside this service). */
export const STRUCTURE_CACHE_TTL_MS = 60_000;

/** Distinct structures kept (chain × provenance filter × scope × depth combinations); the oldest goes first. */
const MAX_ENTRIES = 500;

interface Entry {
  readonly version: number;
  readonly storedAt: number;
  readonly value: unknown;
}

export class StructureCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number = STRUCTURE_CACHE_TTL_MS) {}

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

  /** The cached value, or `load()`'s, stored under this version. */
  async through<T>(key: string, version: number, load: () => Promise<T>): Promise<T> {
    const cached = this.get<T>(key, version);
    if (cached !== undefined) return cached;
    const value = await load();
    this.set(key, version, value);
    return value;
  }
}
