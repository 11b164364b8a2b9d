import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RegionCounts } from '../../src/analytics/aggregates.js';
import { readAggregateStructure, readContributions } from '../../src/analytics/facts.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph } from '../support/graphBuilder.js';

const SOURCE_SETS = [['PLAN'], ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'], ['ILLUSTRATIVE']] as const;

/**
 * A scenario counts the supply pairs of its firms only for buyers in the one region it is asked of
 * (ContributionsRequest.supplyRegionId). Differential: on random region trees, segment trees, firms and supply links
 * (across regions, mixed provenance), for random left-out firms, segment exclusions and regions, what the filtered
 * count gives that region equals what counting every pair gives it, and the nation keeps the same firm counts.
 */
describe('scenario contributions counted for one region', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('supplyregion');

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('gives the asked region what counting every pair gives it', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Region i > 0 hangs under one of the regions before it: a tree rooted at r0 (the nation), up to 4 deep.
        fc.array(fc.nat(), { minLength: 2, maxLength: 6 }),
        fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: 1, maxLength: 4 }),
        fc.array(
          fc.record({
            region: fc.nat(),
            segments: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
            supplies: fc.array(fc.nat(), { maxLength: 3 }),
            source: fc.constantFrom('PLAN' as const, 'PUBLIC' as const, 'ILLUSTRATIVE' as const),
            listed: fc.boolean(),
          }),
          { minLength: 2, maxLength: 10 },
        ),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (regionParents, segmentParents, firmSpecs, leftOut, excluded, asked, sourcePick, salt) => {
          const world = `${prefix}-${salt}-${Math.random().toString(36).slice(2, 8)}`;
          const regionCount = regionParents.length;
          const segmentIds = segmentParents.map((_, index) => `s${index}`);
          const firmIds = firmSpecs.map((_, index) => `f${index}`);
          const graph = await createTestGraph(database.executor, world, {
            regions: regionParents.map((parent, index) => ({
              id: `r${index}`,
              ...(index > 0 ? { parent: `r${parent % index}` } : {}),
            })),
            chain: 'chain',
            segments: segmentParents.map((parent, index) => ({
              id: segmentIds[index]!,
              stage: 'MIDSTREAM' as const,
              ...(parent !== undefined && index > 0 ? { parent: segmentIds[parent % index]! } : {}),
              // Every segment feeds the next (and the last the first): supply pairs count somewhere.
              feeds: [segmentIds[(index + 1) % segmentIds.length]!],
            })),
            firms: firmSpecs.map((firm, index) => ({
              id: firmIds[index]!,
              region: `r${firm.region % regionCount}`,
              segments: [...new Set(firm.segments.map((pick) => segmentIds[pick % segmentIds.length]!))],
              supplies: [
                ...new Set(
                  firm.supplies
                    .map((pick) => firmIds[pick % firmIds.length]!)
                    .filter((id) => id !== firmIds[index]),
                ),
              ],
              source: firm.source,
              ...(firm.listed ? { stockCode: `${world}-${index}` } : {}),
            })),
          });
          const structure = await readAggregateStructure(database.executor);
          // Asked of a region with regions under it when there is one: its subtree is what the filter must get right.
          const parents = [...new Set(regionParents.slice(1).map((parent, index) => parent % (index + 1)))];
          const inner = parents.filter((index) => index > 0);
          const askedIndex =
            inner.length > 0 ? inner[asked % inner.length]! : 1 + (asked % (regionCount - 1));
          const regionId = graph.id(`r${askedIndex}`);
          const nationId = graph.id('r0');
          const request = {
            firmIds: [...new Set(leftOut.map((pick) => graph.id(firmIds[pick % firmIds.length]!)))],
            sources: SOURCE_SETS[sourcePick % SOURCE_SETS.length]!,
            structure,
            regionId,
            nationId,
            ...(excluded === undefined
              ? {}
              : { excludeSegmentIds: [graph.id(segmentIds[excluded % segmentIds.length]!)] }),
          };
          const everyPair = await readContributions(database.executor, request);
          const askedOnly = await readContributions(database.executor, {
            ...request,
            supplyRegionId: regionId,
          });
          // A segment without counts reads as one with all zero (NO_COUNTS): entries of zeros are left out.
          const nonZero = (counts: RegionCounts | undefined, withSupply: boolean) =>
            Object.fromEntries(
              [...(counts ?? [])]
                .map(
                  ([segmentId, segment]) =>
                    [
                      segmentId,
                      withSupply ? segment : { ...segment, localSupplyEdges: 0, outsideSupplyEdges: 0 },
                    ] as const,
                )
                .filter(([, segment]) => Object.values(segment).some((value) => value !== 0)),
            );
          expect(nonZero(askedOnly.get(regionId), true)).toEqual(nonZero(everyPair.get(regionId), true));
          expect(nonZero(askedOnly.get(nationId), false)).toEqual(nonZero(everyPair.get(nationId), false));
          await deleteByPrefix(database.executor, world);
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);
});
