import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readAggregateStructure, readSegmentScopes } from '../../src/analytics/facts.js';
import { gapScopes } from '../../src/analytics/segmentScope.js';
import { MAX_SEGMENT_DEPTH } from '../../src/data/model.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph } from '../support/graphBuilder.js';

/**
 * targetFirms takes its gaps' scopes from the segment tree the process holds (gapScopes) instead of a statement
 * (readSegmentScopes). Differential: on random segment forests deeper than MAX_SEGMENT_DEPTH, for random sets of
 * gaps (a gap under another included), both give the same map.
 */
describe('gapScopes', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('gapscopes');

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('maps every segment in a gap’s scope to the gap the statement maps it to', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Segment i's parent is one of the segments before it (or none): a forest, chains up to 11 deep.
        fc.array(fc.option(fc.nat(), { nil: undefined }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (parents, gapPicks, salt) => {
          const world = `${prefix}-${salt}-${Math.random().toString(36).slice(2, 8)}`;
          const segmentIds = parents.map((_, index) => `s${index}`);
          const graph = await createTestGraph(database.executor, world, {
            regions: [{ id: 'city' }],
            chain: 'chain',
            segments: parents.map((parent, index) => ({
              id: segmentIds[index]!,
              stage: 'MIDSTREAM' as const,
              ...(parent !== undefined && index > 0 ? { parent: segmentIds[parent % index]! } : {}),
            })),
            firms: [],
          });
          const gaps = [...new Set(gapPicks.map((pick) => graph.id(segmentIds[pick % segmentIds.length]!)))];
          const fromTrees = gapScopes(await readAggregateStructure(database.executor), gaps);
          const fromStatement = await readSegmentScopes(database.executor, gaps);
          expect(Object.fromEntries([...fromTrees].sort())).toEqual(
            Object.fromEntries([...fromStatement].sort()),
          );
          await deleteByPrefix(database.executor, world);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('stops at MAX_SEGMENT_DEPTH, as the statement does', async () => {
    const depth = MAX_SEGMENT_DEPTH + 2;
    const graph = await createTestGraph(database.executor, `${prefix}-deep`, {
      regions: [{ id: 'city' }],
      chain: 'chain',
      segments: Array.from({ length: depth + 1 }, (_, index) => ({
        id: `d${index}`,
        stage: 'MIDSTREAM' as const,
        ...(index > 0 ? { parent: `d${index - 1}` } : {}),
      })),
      firms: [],
    });
    const scopes = gapScopes(await readAggregateStructure(database.executor), [graph.id('d0')]);
    expect(scopes.get(graph.id(`d${MAX_SEGMENT_DEPTH}`))).toBe(graph.id('d0'));
    expect(scopes.has(graph.id(`d${MAX_SEGMENT_DEPTH + 1}`))).toBe(false);
  });
});
