import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { localAtOf, structureFrom, withLocalAt } from '../../src/analytics/aggregates.js';

/**
 * A scenario's supply counts (a firm scope) return each pair's supplier homes, and `localAtOf` turns them into the
 * indexes of the buyer's ancestors where the pair is local — what the refresh computes in Cypher from the region
 * tree it is passed. Checked here against the plain definition: an ancestor of the buyer's home counts the pair as
 * local when walking up the parent links from one of the supplier's homes reaches it.
 */

/** A random region tree: region i (i ≥ 1) hangs under one of the regions before it, or is a root. */
const tree = fc.array(fc.option(fc.nat(), { nil: null }), { minLength: 1, maxLength: 12 }).map((parents) =>
  parents.map((parent, index) => ({
    id: `r${index}`,
    parents: index === 0 || parent === null ? [] : [`r${parent % index}`],
  })),
);

function reaches(from: string, target: string, parents: ReadonlyMap<string, readonly string[]>): boolean {
  if (from === target) return true;
  return (parents.get(from) ?? []).some((parent) => reaches(parent, target, parents));
}

describe('localAtOf: where a supply pair counts as local', () => {
  it('lists exactly the buyer-home ancestors that one of the supplier homes lies under', () => {
    fc.assert(
      fc.property(
        tree.chain((regions) =>
          fc.tuple(
            fc.constant(regions),
            fc.constantFrom(...regions.map((region) => region.id)),
            fc.subarray(regions.map((region) => region.id)),
          ),
        ),
        ([regions, buyerHome, supplierHomes]) => {
          const { ancestors } = structureFrom({
            regions: regions.map((region) => [region.id, region.parents]),
            segments: [],
          });
          const parents = new Map(regions.map((region) => [region.id, region.parents]));
          const expected = ancestors[buyerHome]!.flatMap((ancestor, index) =>
            supplierHomes.some((home) => reaches(home, ancestor, parents)) ? [index] : [],
          );
          expect(localAtOf(buyerHome, supplierHomes, ancestors)).toEqual(expected);
        },
      ),
    );
  });

  it('treats a home outside the tree as its own only ancestor, as the refresh does', () => {
    expect(localAtOf('unknown', ['unknown'], {})).toEqual([0]);
    expect(localAtOf('unknown', ['elsewhere'], {})).toEqual([]);
  });

  it('adds localAt to the rows of a firm scope and leaves rows that have it alone', () => {
    const ancestors = { district: ['district', 'city'], other: ['other', 'city'] };
    expect(
      withLocalAt(
        [
          { homeId: 'district', supplierHomes: ['other'], n: 1 },
          { homeId: 'district', localAt: [0], n: 2 },
        ],
        ancestors,
      ),
    ).toEqual([
      { homeId: 'district', supplierHomes: ['other'], localAt: [1], n: 1 },
      { homeId: 'district', localAt: [0], n: 2 },
    ]);
  });
});
