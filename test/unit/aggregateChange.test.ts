import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  ALL_SEGMENTS,
  sumCells,
  withCellChange,
  type Cell,
  type RegionCounts,
} from '../../src/analytics/aggregates.js';

/**
 * An incremental refresh (refreshAggregates) no longer sums every cell of the store: it takes the stored sums of the
 * recounted homes' ancestors, subtracts the replaced cells and adds the new ones (withCellChange). Differential
 * property: on random region trees and cells, that equals sumCells over every cell after the change — the plain
 * reference, which is what a full rebuild stores.
 */

// A small region tree: region i's parent is one of the regions before it (region 0 is the root), so every region
// has a chain of ancestors, self first, as structureFrom builds them.
const tree = fc.array(fc.nat(), { minLength: 1, maxLength: 12 }).map((picks) => {
  const parents = picks.map((pick, index) => (index === 0 ? null : pick % index));
  const ancestors: Record<string, string[]> = {};
  parents.forEach((_parent, index) => {
    const chain: string[] = [];
    for (let current: number | null = index; current !== null; current = parents[current]!)
      chain.push(`r${current}`);
    ancestors[`r${index}`] = chain;
  });
  return ancestors;
});

const SEGMENTS = ['s1', 's2', 's3', ALL_SEGMENTS];
// Codes of a row: 1–7 are source combinations, 8 is a path no filter admits.
const codes = fc.uniqueArray(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 3 });
const positive = fc.integer({ min: 1, max: 40 });

function cellOf(depth: number) {
  return fc.record({
    firms: fc.array(
      fc.tuple(
        fc.constantFrom(...SEGMENTS),
        codes,
        positive,
        fc.nat(5),
        fc.nat(5),
        fc.nat(3),
        fc.nat(3),
        fc.nat(1_000_000),
      ),
      { maxLength: 4 },
    ),
    platforms: fc.array(fc.tuple(fc.constantFrom(...SEGMENTS), codes, positive), { maxLength: 2 }),
    supply: fc.array(
      fc.tuple(
        fc.constantFrom(...SEGMENTS),
        codes,
        fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, depth - 1) })),
        positive,
      ),
      { maxLength: 4 },
    ),
  }) as fc.Arbitrary<Cell>;
}

/** Homes with a cell before and after a change; `changed` says which homes the refresh recounts. */
const scenario = tree.chain((ancestors) => {
  const homes = Object.keys(ancestors);
  const maybeCell = (home: string) => fc.option(cellOf(ancestors[home]!.length), { nil: undefined });
  return fc.record({
    ancestors: fc.constant(ancestors),
    before: fc.tuple(...homes.map(maybeCell)),
    after: fc.tuple(...homes.map(maybeCell)),
    changed: fc.tuple(...homes.map(() => fc.boolean())),
  });
});

const cellsOf = (homes: readonly string[], cells: readonly (Cell | undefined)[]) =>
  new Map(homes.flatMap((home, index) => (cells[index] ? [[home, cells[index]] as const] : [])));

/** Sums as plain data, so that toEqual compares counts and not Map insertion order. */
function plain(sums: ReadonlyMap<string, ReadonlyMap<string, RegionCounts>> | null) {
  if (sums === null) return null;
  return Object.fromEntries(
    [...sums].map(([regionId, byFilter]) => [
      regionId,
      Object.fromEntries([...byFilter].map(([key, counts]) => [key, Object.fromEntries(counts)])),
    ]),
  );
}

describe('withCellChange: the sums after some homes were recounted, from the sums before', () => {
  it('equals summing every cell after the change, for the ancestors of the recounted homes', () => {
    fc.assert(
      fc.property(scenario, ({ ancestors, before, after, changed }) => {
        const homes = Object.keys(ancestors);
        const recounted = homes.filter((_home, index) => changed[index]);
        // Homes not recounted keep their cell: only the recounted ones take their "after" cell.
        const final = homes.map((_home, index) => (changed[index] ? after[index] : before[index]));
        const affected = new Set(recounted.flatMap((home) => ancestors[home]!));
        const stored = sumCells(cellsOf(homes, before), ancestors, affected);
        const replaced = cellsOf(
          recounted,
          recounted.map((home) => before[homes.indexOf(home)]),
        );
        const fresh = cellsOf(
          recounted,
          recounted.map((home) => after[homes.indexOf(home)]),
        );
        const changedSums = withCellChange(
          stored,
          sumCells(replaced, ancestors, affected),
          sumCells(fresh, ancestors, affected),
        );
        expect(plain(changedSums)).toEqual(plain(sumCells(cellsOf(homes, final), ancestors, affected)));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses (null) when the stored sums lack what is removed: they cannot be trusted', () => {
    fc.assert(
      fc.property(tree, fc.nat(), (ancestors, pick) => {
        const homes = Object.keys(ancestors);
        const home = homes[pick % homes.length]!;
        const cell: Cell = { firms: [['s1', [1], 2, 0, 0, 0, 0, 0]], platforms: [], supply: [] };
        const affected = new Set(ancestors[home]);
        // Stored sums that never counted the cell being replaced (a store written behind the service's back).
        const removed = sumCells(new Map([[home, cell]]), ancestors, affected);
        expect(withCellChange(new Map(), removed, new Map())).toBeNull();
      }),
    );
  });
});

describe('sumCells into running sums: how a rebuild sums its cells batch by batch', () => {
  it('gives what summing every cell at once gives, however the homes are split into batches', () => {
    fc.assert(
      fc.property(
        scenario.chain((generated) =>
          fc.record({
            generated: fc.constant(generated),
            // The batch each home falls in (refreshAggregates' batchHomes puts each home in one batch).
            batchOf: fc.tuple(...Object.keys(generated.ancestors).map(() => fc.nat(3))),
          }),
        ),
        ({ generated: { ancestors, before }, batchOf }) => {
          const homes = Object.keys(ancestors);
          const running = new Map<string, Map<string, RegionCounts>>();
          for (const batch of [0, 1, 2, 3]) {
            const inBatch = homes.filter((_home, index) => batchOf[index] === batch);
            const cells = cellsOf(
              inBatch,
              inBatch.map((home) => before[homes.indexOf(home)]),
            );
            expect(sumCells(cells, ancestors, null, undefined, running)).toBe(running);
          }
          expect(plain(running)).toEqual(plain(sumCells(cellsOf(homes, before), ancestors, null)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
