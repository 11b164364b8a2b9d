import { afterEach, describe, expect, it, vi } from 'vitest';

import { StructureCache } from '../../src/analytics/structureCache.js';

describe('StructureCache', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves a value only for the version it was stored under', async () => {
    const cache = new StructureCache(60_000);
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    expect(await cache.through('k', 1, load)).toBe(1);
    expect(await cache.through('k', 1, load)).toBe(1);
    expect(await cache.through('k', 2, load)).toBe(2);
    expect(cache.get('k', 1)).toBeUndefined();
    expect(cache.get('other', 2)).toBeUndefined();
  });

  it('forgets a value after its time to live (writes made outside the service)', () => {
    vi.useFakeTimers();
    const cache = new StructureCache(1_000);
    cache.set('k', 3, 'value');
    vi.advanceTimersByTime(999);
    expect(cache.get('k', 3)).toBe('value');
    vi.advanceTimersByTime(2);
    expect(cache.get('k', 3)).toBeUndefined();
  });

  it('keeps at most 500 entries, dropping the least recently stored', () => {
    const cache = new StructureCache(60_000);
    for (let index = 0; index < 501; index += 1) cache.set(`k${index}`, 1, index);
    expect(cache.get('k0', 1)).toBeUndefined();
    expect(cache.get('k1', 1)).toBe(1);
    expect(cache.get('k500', 1)).toBe(500);
  });

  describe('refreshAhead', () => {
    /** A load whose answer the test gives when it wants, counting its calls. */
    const deferredLoad = () => {
      const calls: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
      const load = () =>
        new Promise<string>((resolve, reject) => {
          calls.push({ resolve, reject });
        });
      return { calls, load };
    };
    const settle = () => new Promise((resolve) => setImmediate(resolve));

    it('reads an entry in use again once it is half its time to live old, once at a time', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const cache = new StructureCache(1_000);
      cache.set('k', 3, 'old');
      const { calls, load } = deferredLoad();
      vi.advanceTimersByTime(499);
      cache.refreshAhead('k', 3, load);
      expect(calls).toHaveLength(0);
      vi.advanceTimersByTime(1);
      cache.refreshAhead('k', 3, load);
      cache.refreshAhead('k', 3, load);
      expect(calls).toHaveLength(1);
      expect(cache.get('k', 3)).toBe('old');
      calls[0]!.resolve('new');
      await settle();
      expect(cache.get('k', 3)).toBe('new');
      // Stored anew: it outlives the first value's time to live.
      vi.advanceTimersByTime(900);
      expect(cache.get('k', 3)).toBe('new');
    });

    it('leaves alone an entry of another version, and drops a read whose entry was replaced meanwhile', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const cache = new StructureCache(1_000);
      cache.set('k', 3, 'old');
      const { calls, load } = deferredLoad();
      vi.advanceTimersByTime(600);
      cache.refreshAhead('k', 2, load);
      expect(calls).toHaveLength(0);
      cache.refreshAhead('k', 3, load);
      expect(calls).toHaveLength(1);
      cache.set('k', 4, 'newer shape');
      calls[0]!.resolve('read under 3');
      await settle();
      expect(cache.get('k', 4)).toBe('newer shape');
    });

    it('reports a failed read and keeps the entry until its time to live', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const cache = new StructureCache(1_000);
      cache.set('k', 3, 'old');
      const { calls, load } = deferredLoad();
      const failures: unknown[] = [];
      vi.advanceTimersByTime(600);
      cache.refreshAhead('k', 3, load, (error) => failures.push(error));
      calls[0]!.reject(new Error('database gone'));
      await settle();
      expect(failures).toEqual([new Error('database gone')]);
      expect(cache.get('k', 3)).toBe('old');
      // The next due use tries again.
      cache.refreshAhead('k', 3, load);
      expect(calls).toHaveLength(2);
      vi.advanceTimersByTime(401);
      expect(cache.get('k', 3)).toBeUndefined();
    });
  });
});
