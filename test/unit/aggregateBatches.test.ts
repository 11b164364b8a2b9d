import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { batchHomes, homeSizesQuery } from '../../src/analytics/aggregates.js';

const homes = fc.array(
  fc.record({ homeId: fc.string({ minLength: 1, maxLength: 6 }), located: fc.integer({ min: 1, max: 200 }) }),
  { maxLength: 40 },
);

describe('batchHomes: the home regions one counting statement of a refresh covers', () => {
  it('puts every home in exactly one batch, in order, and no batch of several homes over the limit', () => {
    fc.assert(
      fc.property(homes, fc.integer({ min: 1, max: 300 }), (list, maxFirms) => {
        const batches = batchHomes(list, maxFirms);
        expect(batches.flat()).toEqual(list.map((home) => home.homeId));
        const located = list.map((home) => home.located);
        let index = 0;
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          const sizes = located.slice(index, index + batch.length);
          index += batch.length;
          const firms = sizes.reduce((sum, n) => sum + n, 0);
          // Only a home larger than the limit by itself may make a batch go over it.
          if (batch.length > 1) expect(firms).toBeLessThanOrEqual(maxFirms);
        }
      }),
    );
  });

  it('fills each batch as far as the next home allows (greedy: two neighbours never fit in one)', () => {
    fc.assert(
      fc.property(homes, fc.integer({ min: 1, max: 300 }), (list, maxFirms) => {
        const batches = batchHomes(list, maxFirms);
        const size = new Map(list.map((home) => [home.homeId, home.located]));
        const total = (batch: string[]) => batch.reduce((sum, id) => sum + size.get(id)!, 0);
        for (let i = 0; i + 1 < batches.length; i += 1) {
          // Duplicate ids would make the sizes ambiguous; the property is about distinct homes.
          if (new Set(list.map((home) => home.homeId)).size !== list.length) return;
          expect(total(batches[i]!) + size.get(batches[i + 1]![0]!)!).toBeGreaterThan(maxFirms);
        }
      }),
    );
  });

  it('refuses a limit that is not a positive whole number', () => {
    expect(() => batchHomes([], 0)).toThrow(/positive whole number/);
    expect(() => batchHomes([], 2.5)).toThrow(/positive whole number/);
  });

  it('reads the sizes from the given homes, or from every region, as parameters', () => {
    const some = homeSizesQuery(['a', 'b']);
    expect(some.cypher).toContain('WHERE home.id IN $homeIds');
    expect(some.params).toEqual({ homeIds: ['a', 'b'] });
    expect(homeSizesQuery(null).cypher).not.toContain('$homeIds');
  });
});
