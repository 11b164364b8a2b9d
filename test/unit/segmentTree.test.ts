import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { firmCountsQuery, structureFrom } from '../../src/analytics/aggregates.js';
import { segmentTreeFor } from '../../src/analytics/facts.js';

/**
 * A scenario's counts get the segment tree cut to the report's segments (segmentTreeFor), so that they send and
 * return less. Cutting must leave every count of a report segment exactly as the whole tree gives it: an operation in
 * segment d counts for S when S is among d's scope roots, and a supply pair counts for S through S's FEEDS.
 */

/** A random segment forest with random FEEDS: segment i (i ≥ 1) is narrower than one before it, or a root. */
const segmentsAndWanted = fc
  .record({
    parents: fc.array(fc.option(fc.nat(), { nil: null }), { minLength: 1, maxLength: 14 }),
    feeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('PLAN', 'PUBLIC', null)), { maxLength: 20 }),
    wanted: fc.array(fc.nat(), { maxLength: 8 }),
  })
  .map(({ parents, feeds, wanted }) => {
    const count = parents.length;
    const segments = parents.map((parent, index) => [
      `s${index}`,
      index === 0 || parent === null ? [] : [`s${parent % index}`],
      feeds
        .filter(([from]) => from % count === index)
        .map(([, to, source]) => [`s${to % count}`, source] as [string, string | null]),
    ]);
    return {
      structure: structureFrom({ regions: [['r0', []]], segments }),
      wanted: [...new Set(wanted.map((index) => `s${index % count}`))],
    };
  });

describe('segmentTreeFor', () => {
  it('keeps, for every segment, exactly the wanted scope roots, and the wanted segments’ FEEDS', () => {
    fc.assert(
      fc.property(segmentsAndWanted, ({ structure, wanted }) => {
        const cut = segmentTreeFor(structure, wanted);
        for (const [segmentId, roots] of Object.entries(structure.scopeRoots)) {
          const kept = roots.filter((root) => wanted.includes(root));
          expect(cut.scopeRoots[segmentId] ?? []).toEqual(kept);
        }
        expect(Object.keys(cut.scopeRoots).every((id) => id in structure.scopeRoots)).toBe(true);
        expect(cut.feeds).toEqual(
          Object.fromEntries(
            wanted.filter((id) => id in structure.feeds).map((id) => [id, structure.feeds[id]]),
          ),
        );
        expect(cut.ancestors).toBe(structure.ancestors);
      }),
    );
  });

  it('sends less than the whole tree when the report has fewer segments', () => {
    const segments = Array.from({ length: 40 }, (_, index) => [
      `s${index}`,
      index % 10 === 0 ? [] : [`s${index - (index % 10)}`],
      index % 10 < 9 ? [[`s${index + 1}`, 'PLAN']] : [],
    ]);
    const structure = structureFrom({ regions: [], segments });
    const chain = Array.from({ length: 10 }, (_, index) => `s${index}`);
    const cut = segmentTreeFor(structure, chain);
    expect(Object.keys(cut.scopeRoots).sort()).toEqual([...chain].sort());
    expect(JSON.stringify(cut.scopeRoots).length * 3).toBeLessThan(
      JSON.stringify(structure.scopeRoots).length,
    );
  });

  it('cuts a segment scenario’s firm rows only under roots where no excluded operation counts', () => {
    fc.assert(
      fc.property(segmentsAndWanted, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (world, picks) => {
        const segmentIds = Object.keys(world.structure.scopeRoots);
        const excludeSegmentIds = [...new Set(picks.map((pick) => segmentIds[pick % segmentIds.length]!))];
        // The whole tree (readContributions without report segments) and the tree cut to the report's segments.
        for (const structure of [world.structure, segmentTreeFor(world.structure, world.wanted)]) {
          const scope = { firmIds: ['f'], excludeSegmentIds };
          const lostRoots = firmCountsQuery(scope, structure).params['lostRoots'] as string[];
          // firmCountsQuery keeps an operation's row under a root only when the root is in lostRoots: a root left
          // out must be the root of no excluded segment, or its lost rows would be dropped unsubtracted.
          for (const segmentId of excludeSegmentIds)
            for (const root of structure.scopeRoots[segmentId] ?? []) expect(lostRoots).toContain(root);
          // And each root it keeps is one an excluded segment counts under (a cut, not a no-op).
          for (const root of lostRoots)
            expect(excludeSegmentIds.some((id) => structure.scopeRoots[id]?.includes(root))).toBe(true);
          expect(new Set(lostRoots).size).toBe(lostRoots.length);
        }
        // A scope that excludes nothing counts every root: no cut.
        expect(firmCountsQuery({ firmIds: ['f'] }, world.structure).params).not.toHaveProperty('lostRoots');
      }),
    );
  });
});
