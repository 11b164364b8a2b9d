import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { candidateRankQuery, operationKeys } from '../../src/analytics/candidates.js';
import { cypher } from '../../src/data/cypher.js';
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
 * The segments and homes a firm keeps on itself (`rankSegmentIds`, `rankHomeIds`, and its operations' segments and its
 * homes with their provenance, `rankOperationKeys` and `rankHomeKeys`: src/analytics/candidates.ts RANK_BODY), which
 * the scenarios and targetFirms' linked read take instead of walking the firm's relationships: the refresh that folds
 * a write in recomputes them, and a reload of the same records (seeds replace every property) neither erases them
 * nor counts them as a change. That the answers that read them stay exact after random writes is
 * analyticsDifferential.test.ts's part.
 */

const prefix = uniquePrefix('firmkeys');

const SPEC: TestGraphSpec = {
  regions: [{ id: 'home' }, { id: 'away' }],
  chain: 'chain',
  segments: linearSegments(),
  firms: [
    { id: 'a', region: 'home', segments: ['mid', 'up'], supplies: ['b'] },
    { id: 'b', region: 'away', segments: ['down'] },
    { id: 'c', region: 'home', segments: [] },
  ],
};

describe('the segments and homes a firm keeps', () => {
  let database: TestDatabase;
  let graph: TestGraph;

  /** What the firm keeps, as stored. */
  const storedKeysOf = async (local: string) => {
    const [row] = await database.executor.read(
      'test-firm-keys',
      cypher(
        `MATCH (e:Enterprise { id: $id })
         RETURN e.rankSegmentIds AS segments, e.rankHomeIds AS homes, e.rankOperationKeys AS operations,
                e.rankHomeKeys AS homeKeys`,
        { id: graph.id(local) },
      ),
    );
    return row;
  };
  /** The ids the firm keeps, once its keys are checked against them (every test graph location and operation is PLAN). */
  const keysOf = async (local: string) => {
    const row = await storedKeysOf(local);
    // The operations' keys are the segments' with their provenance (the test graph's operations are PLAN).
    expect(row?.['operations'] ?? null).toEqual(
      row?.['segments'] === null || row?.['segments'] === undefined
        ? null
        : operationKeys(row['segments'] as string[], ['PLAN']),
    );
    // And the homes' keys are the homes with the provenance of the firm's location (the test graph's are PLAN), in
    // the form of the operations' keys.
    expect(row?.['homeKeys'] ?? null).toEqual(
      row?.['homes'] === null || row?.['homes'] === undefined
        ? null
        : operationKeys(row['homes'] as string[], ['PLAN']),
    );
    return { segments: row?.['segments'] ?? null, homes: row?.['homes'] ?? null };
  };
  const sortedIds = (...locals: string[]) => locals.map((local) => graph.id(local)).sort();

  beforeAll(async () => {
    database = await openTestDatabase();
    graph = await createTestGraph(database.executor, prefix, SPEC);
    await refreshAggregates(database.executor);
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('are the ids of the firm’s segments and homes, sorted, once a refresh has folded the write in', async () => {
    expect(await keysOf('a')).toEqual({ segments: sortedIds('mid', 'up'), homes: [graph.id('home')] });
    expect(await keysOf('b')).toEqual({ segments: [graph.id('down')], homes: [graph.id('away')] });
    expect(await keysOf('c')).toEqual({ segments: [], homes: [graph.id('home')] });
  });

  it('survive a reload of the same records, which still changes nothing', async () => {
    const { nodes, relationships } = toBatches(testGraphRecords(prefix, SPEC));
    const reports = await upsertAll(database.executor, 'test-reload', nodes, relationships);
    const enterprises = reports.find((report) => report.kind === 'Enterprise');
    expect(enterprises?.total).toBe(3);
    for (const report of reports) expect(report.counts).toMatchObject({ created: 0, updated: 0 });
    expect(await keysOf('a')).toEqual({ segments: sortedIds('mid', 'up'), homes: [graph.id('home')] });
  });

  it('follow a firm that moves and takes up a segment, once the write is folded in', async () => {
    const moved: TestGraphSpec = {
      ...SPEC,
      firms: SPEC.firms.map((firm) =>
        firm.id === 'a' ? { ...firm, region: 'away', segments: ['mid', 'up', 'down'] } : firm,
      ),
    };
    const { nodes, relationships } = toBatches(testGraphRecords(prefix, moved));
    await upsertAll(database.executor, 'test-move', nodes, relationships);
    await refreshAggregates(database.executor);
    expect(await keysOf('a')).toEqual({
      segments: sortedIds('down', 'mid', 'up'),
      homes: [graph.id('away')],
    });
    expect(await keysOf('b')).toEqual({ segments: [graph.id('down')], homes: [graph.id('away')] });
  });

  it('list a segment or home reached twice, with two provenances, once among the ids and twice among the keys', async () => {
    // Parallel relationships of different provenance: no write path of this service makes them, but a store that
    // another tool wrote to may hold them, and the keys are built from whatever the firm has.
    await database.executor.write(
      'test-firm-keys-parallel',
      cypher(
        `MATCH (c:Enterprise { id: $firm }), (mid:ChainSegment { id: $mid }), (home:Region { id: $home })
         CREATE (c)-[:OPERATES_IN { source: 'PLAN', role: 'CORE' }]->(mid),
                (c)-[:OPERATES_IN { source: 'PUBLIC', role: 'CORE' }]->(mid),
                (c)-[:LOCATED_IN { source: 'PUBLIC' }]->(home)`,
        { firm: graph.id('c'), mid: graph.id('mid'), home: graph.id('home') },
      ),
    );
    await database.executor.write('test-firm-keys-rank', candidateRankQuery([graph.id('c')]));
    const row = await storedKeysOf('c');
    expect(row).toEqual({
      segments: [graph.id('mid')],
      homes: [graph.id('home')],
      operations: operationKeys([graph.id('mid')], ['PLAN', 'PUBLIC']),
      homeKeys: operationKeys([graph.id('home')], ['PLAN', 'PUBLIC']),
    });
  });

  it('keep each operation’s segment with its provenance lane, which follows a change of the firm’s source', async () => {
    // The lane is the operation's source and its firm's, each once, sorted (provenanceLanes): c, a PLAN firm, holds
    // a PLAN and a PUBLIC operation in mid since the test above.
    const lanesOf = async () => {
      const rows = await database.executor.read(
        'test-firm-lanes',
        cypher(
          `MATCH (:Enterprise { id: $id })-[op:OPERATES_IN]->() RETURN op.source AS source, op.rankLane AS lane
           ORDER BY source`,
          { id: graph.id('c') },
        ),
      );
      return rows.map((row) => [row['source'], row['lane']]);
    };
    const lane = (provenance: string) => `${graph.id('mid')}\u001f${provenance}`;
    expect(await lanesOf()).toEqual([
      ['PLAN', lane('PLAN')],
      ['PUBLIC', lane('PLAN+PUBLIC')],
    ]);
    // The firm's record again, now PUBLIC, through the write path; the refresh that folds it in moves the lanes.
    const republished: TestGraphSpec = {
      ...SPEC,
      firms: SPEC.firms.map((firm) => (firm.id === 'c' ? { ...firm, source: 'PUBLIC' } : firm)),
    };
    const { nodes, relationships } = toBatches(testGraphRecords(prefix, republished));
    await upsertAll(database.executor, 'test-republish', nodes, relationships);
    await refreshAggregates(database.executor);
    expect(await lanesOf()).toEqual([
      ['PLAN', lane('PLAN+PUBLIC')],
      ['PUBLIC', lane('PUBLIC')],
    ]);
  });
});
