import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { cypher } from '../../src/data/cypher.js';
import { NodeLabel as L, RelationshipType as T } from '../../src/data/model.js';
import { upsertAll } from '../../src/data/upsert.js';
import { toBatches } from '../../src/ingest/batches.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import {
  createTestGraph,
  linearSegments,
  testGraphRecords,
  type TestGraph,
  type TestGraphSpec,
} from '../support/graphBuilder.js';

/**
 * The refresh keeps a summary of the supply links into each hub (HubSupply, src/analytics/aggregates.ts) from the
 * same rows as its cells: built, changed when a supplier moves, and dropped when the firm is no longer a hub, as the
 * writes are folded in. (What a scenario reads from it is checked against plain references in
 * scenarioContributions.test.ts.)
 */
describe('hub supply summaries', () => {
  let database: TestDatabase;
  let graph: TestGraph;
  const prefix = uniquePrefix('hubs');

  /** r1 and r2 under r0; a, b and c (upstream) supply the hub (midstream); b is in r2, the others in r1. */
  const spec = (bRegion: string, aHighTech = false): TestGraphSpec => ({
    regions: [{ id: 'r0' }, { id: 'r1', parent: 'r0' }, { id: 'r2', parent: 'r0' }],
    chain: 'chain',
    segments: linearSegments(),
    firms: [
      { id: 'hub', region: 'r1', segments: ['mid'] },
      { id: 'a', region: 'r1', segments: ['up'], supplies: ['hub'], highTech: aHighTech },
      { id: 'b', region: bRegion, segments: ['up'], supplies: ['hub'] },
      { id: 'c', region: 'r1', segments: ['up'], supplies: ['hub'] },
    ],
  });

  /**
   * The hub's summary as [home, segment, deepest region over both homes, pairs, supplier source, supply sources (each
   * after the separator)], sorted.
   */
  async function summaryOfHub() {
    const rows = await database.executor.read(
      'test',
      cypher(
        // Every list as long as the longest: a list left behind by a rewrite shows as a row with nulls.
        `MATCH (hub:HubSupply { firmId: $firmId })
         UNWIND range(0, reduce(most = 0, list IN [hub.counts, hub.segmentIds, hub.regionIds, hub.supplySources,
                                                   hub.supplierSources] | CASE WHEN size(list) > most THEN size(list) ELSE most END) - 1) AS row
         RETURN hub.homeId AS homeId, hub.segmentIds[row] AS segmentId, hub.regionIds[row] AS regionId,
                hub.counts[row] AS pairs, hub.supplierSources[row] AS supplierSource,
                hub.supplySources[row] AS supplySources`,
        { firmId: graph.id('hub') },
      ),
    );
    return rows
      .map((row) => [
        graph.local(String(row['homeId'])),
        row['segmentId'] === null ? null : graph.local(row['segmentId'] as string),
        row['regionId'] === null ? null : graph.local(row['regionId'] as string),
        row['pairs'] === null ? null : Number(row['pairs']),
        row['supplierSource'],
        row['supplySources'],
      ])
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  }

  /**
   * Writes the spec's firms and their links only, through the upsert every write path uses: writing its regions too
   * would be a structural change, which the refresh meets with a full rebuild (every summary deleted and written
   * anew) rather than the incremental path under test. Returns whether that refresh was incremental.
   */
  async function writeFirmsAndRefresh(firms: TestGraphSpec, hubMinLinks: number): Promise<boolean> {
    const { nodes, relationships } = toBatches(testGraphRecords(prefix, firms));
    await upsertAll(
      database.executor,
      'test',
      nodes.filter((batch) => batch.label === L.Enterprise),
      relationships.filter((batch) =>
        ([T.LOCATED_IN, T.OPERATES_IN, T.SUPPLIES] as string[]).includes(batch.type),
      ),
    );
    return !(await refreshAggregates(database.executor, { hubMinLinks })).full;
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    graph = await createTestGraph(database.executor, prefix, spec('r2'));
    await refreshAggregates(database.executor, { hubMinLinks: 3 });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('summarises the links into a firm with that many, by segment and the deepest region holding both ends', () => {
    return expect(summaryOfHub()).resolves.toEqual([
      // b (r2) and the hub (r1) meet in r0; a and c are in the hub's own region.
      ['r1', 'up', 'r0', 1, 'PLAN', '\u001fPLAN'],
      ['r1', 'up', 'r1', 2, 'PLAN', '\u001fPLAN'],
    ]);
  });

  it('follows a supplier that moves, and a full rebuild gives the same', async () => {
    expect(await writeFirmsAndRefresh(spec('r1'), 3)).toBe(true);
    expect(await summaryOfHub()).toEqual([['r1', 'up', 'r1', 3, 'PLAN', '\u001fPLAN']]);
    await refreshAggregates(database.executor, { hubMinLinks: 3, full: true });
    expect(await summaryOfHub()).toEqual([['r1', 'up', 'r1', 3, 'PLAN', '\u001fPLAN']]);
  });

  it('drops the summary of a firm recounted below the threshold', async () => {
    // A write to a supplier recounts the hub's home; with four links needed, the hub's three no longer make one.
    expect(await writeFirmsAndRefresh(spec('r1', true), 4)).toBe(true);
    expect(await summaryOfHub()).toEqual([]);
  });
});
