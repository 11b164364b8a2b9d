import {
  cellsFrom,
  decodeCounts,
  firmCountsQuery,
  platformCountsQuery,
  refreshAggregates,
  structureFrom,
  structureQuery,
  sumCells,
  supplyCountsQuery,
} from '../../src/analytics/aggregates.js';
import { cypher, type CypherQuery } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';

/** Region id + '|' + filter key → the counts, as plain objects that `toEqual` compares. */
export type AggregatesByKey = Record<string, unknown>;

/**
 * Folds the pending changes in, then returns the stored aggregates of `regions` and what a from-scratch recount of
 * the firms homed in `homeIds` gives for them: a test owning those homes expects the two to be equal.
 */
export async function storedAndRecountedAggregates(
  executor: Executor,
  { homeIds, regions }: { readonly homeIds: readonly string[]; readonly regions: readonly string[] },
): Promise<{ stored: AggregatesByKey; recounted: AggregatesByKey }> {
  await refreshAggregates(executor);
  const read = (query: CypherQuery) => executor.read('test', query);
  const structure = structureFrom((await read(structureQuery))[0]);
  const scope = { homeIds: [...homeIds] };
  const cells = cellsFrom(
    await read(firmCountsQuery(scope, structure)),
    await read(platformCountsQuery(scope, structure)),
    await read(supplyCountsQuery(scope, structure)),
  );
  const recounted: AggregatesByKey = {};
  for (const [regionId, byFilter] of sumCells(cells, structure.ancestors, new Set(regions))) {
    for (const [key, counts] of byFilter) recounted[`${regionId}|${key}`] = Object.fromEntries(counts);
  }
  const rows = await read(
    cypher(`MATCH (a:RegionAggregate) WHERE a.regionId IN $regions RETURN a.key AS key, a.data AS data`, {
      regions: [...regions],
    }),
  );
  const stored: AggregatesByKey = {};
  for (const row of rows) stored[String(row['key'])] = Object.fromEntries(decodeCounts(row['data']));
  return { stored, recounted };
}
