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
});
