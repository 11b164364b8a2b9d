import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import {
  candidateRankQuery,
  firmFactsQuery,
  operationKeys,
  rankKeyParts,
} from '../../src/analytics/candidates.js';
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
                e.rankHomeKeys AS homeKeys, e.rankOperationRoles AS roles, e.rankLinkFacts AS linkFacts,
                e.source AS source, e.rankCapabilityKey AS capability,
                [(e)-[op:OPERATES_IN]->() | op.rankKey] AS rankKeys`,
        { id: graph.id(local) },
      ),
    );
    if (row === undefined) return row;
    const { roles, rankKeys, linkFacts, source, capability, ...kept } = row;
    // What the linked read takes of the firm, in one list: id, source, capability, its homes counted and listed,
    // its operations' keys.
    const homes = (kept['homes'] as string[] | null) ?? [];
    expect(linkFacts ?? null).toEqual(
      kept['operations'] === null || kept['operations'] === undefined
        ? null
        : [
            graph.id(local),
            source,
            String(capability),
            String(homes.length),
            ...homes,
            ...(kept['operations'] as string[]),
          ],
    );
    // The roles' keys are the operations' keys with each operation's role (the test graph's are CORE) …
    expect(roles ?? null).toEqual(
      kept['operations'] === null || kept['operations'] === undefined
        ? null
        : (kept['operations'] as string[]).map((key) => `${key}\u001fCORE`),
    );
    // … and every rank key of the firm ends with its id, its first home and its segments, which the walks read.
    for (const rankKey of rankKeys as string[])
      expect(rankKeyParts(rankKey)).toEqual({
        id: graph.id(local),
        homeId: (kept['homes'] as string[] | null)?.[0] ?? null,
        segmentIds: kept['segments'],
      });
    return kept;
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
    const [roles] = await database.executor.read(
      'test-firm-keys-roles',
      cypher(`MATCH (e:Enterprise { id: $id }) RETURN e.rankOperationRoles AS roles`, { id: graph.id('c') }),
    );
    // Each operation's role is kept with its key: both operations of the one segment.
    expect(roles?.['roles']).toEqual(
      operationKeys([graph.id('mid')], ['PLAN', 'PUBLIC']).map((key) => `${key}\u001fCORE`),
    );
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

  it('give the facts a candidate is scored by as walking its relationships does, platforms of the sources asked for', async () => {
    // a hosts a PLAN and an ILLUSTRATIVE platform (its kept capability then counts two), b a SUPPLIER operation too.
    await database.executor.write(
      'test-firm-keys-platforms',
      cypher(
        `MATCH (a:Enterprise { id: $a }), (b:Enterprise { id: $b }), (up:ChainSegment { id: $up })
         CREATE (:Platform { id: $plan, name: 'plan platform', source: 'PLAN' })-[:HOSTED_BY { source: 'PLAN' }]->(a),
                (:Platform { id: $illustrative, name: 'illustrative platform', source: 'ILLUSTRATIVE' })
                  -[:HOSTED_BY { source: 'ILLUSTRATIVE' }]->(a),
                (b)-[:OPERATES_IN { source: 'PUBLIC', role: 'SUPPLIER' }]->(up)`,
        {
          a: graph.id('a'),
          b: graph.id('b'),
          up: graph.id('up'),
          plan: graph.id('platform-plan'),
          illustrative: graph.id('platform-illustrative'),
        },
      ),
    );
    const firms = ['a', 'b', 'c'].map((local) => graph.id(local));
    await database.executor.write('test-firm-keys-rank', candidateRankQuery(firms));
    /**
     * Each firm's facts, its homes and operations sorted and its homes once each (the ranking takes the first home
     * outside the region: neither order nor repeats are part of the facts; c is located at home twice since above).
     */
    const facts = async (sources: ('PLAN' | 'PUBLIC' | 'ILLUSTRATIVE')[]) => {
      const [row] = await database.executor.read(
        'test-firm-facts',
        firmFactsQuery({ ids: firms, scopeIds: [graph.id('up'), graph.id('mid')], sources }),
      );
      return (row?.['firms'] as unknown[][]).map((firm) => [
        ...firm.slice(0, 6),
        [...new Set(firm[6] as string[])].sort(),
        ...firm.slice(7, 9),
        [...(firm[9] as string[][])].sort((x, y) => (x.join() < y.join() ? -1 : 1)),
      ]);
    };
    const kept = {
      real: await facts(['PLAN', 'PUBLIC']),
      all: await facts(['PLAN', 'PUBLIC', 'ILLUSTRATIVE']),
    };
    // a: one platform of the real sources, two of all; b: its SUPPLIER operation in up, PUBLIC, only (down is out of
    // the scope); c: none in the scope but mid's, PLAN and PUBLIC.
    expect(kept.real.map((firm) => [firm[0], firm[5], firm[9]])).toEqual([
      [
        graph.id('a'),
        1,
        [
          [graph.id('mid'), 'CORE'],
          [graph.id('up'), 'CORE'],
        ],
      ],
      [graph.id('b'), 0, [[graph.id('up'), 'SUPPLIER']]],
      [
        graph.id('c'),
        0,
        [
          [graph.id('mid'), 'CORE'],
          [graph.id('mid'), 'CORE'],
        ],
      ],
    ]);
    expect(kept.all.map((firm) => firm[5])).toEqual([2, 0, 0]);
    // Without the keys (a store whose keys are being built) the relationships are walked: the same facts.
    await database.executor.write(
      'test-drop-roles',
      cypher(`MATCH (e:Enterprise) WHERE e.id IN $firms REMOVE e.rankOperationRoles`, { firms }),
    );
    expect(await facts(['PLAN', 'PUBLIC'])).toEqual(kept.real);
    expect(await facts(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toEqual(kept.all);
    await database.executor.write('test-firm-keys-rank', candidateRankQuery(firms));
  });
});
