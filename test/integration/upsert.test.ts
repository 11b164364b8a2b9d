import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { upsertAll } from '../../src/data/upsert.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/** Concurrent writers of the same relationships: no duplicates, no deadlocks, shared targets never block. */
describe('upserts under concurrency', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('upsert');

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('creates each relationship once however many writers race for it, and lets writers into one region run side by side', async () => {
    const regions = ['sjz-luquan', 'sjz-gaoxin', 'sjz-zhengding', 'shijiazhuang'];
    const firms = Array.from({ length: 6 }, (_, index) => `${prefix}-firm-${index}`);
    // 24 writers; each writes every firm, located in a region (in a different order per writer), and the same supplies.
    const writers = Array.from({ length: 24 }, (_, writer) => {
      const order = writer % 2 === 0 ? firms : [...firms].reverse();
      return upsertAll(
        database.executor,
        'test-concurrent-upsert',
        [
          {
            label: 'Enterprise',
            mode: 'merge',
            rows: order.map((id) => ({ id, name: id, source: 'ILLUSTRATIVE' })),
          },
        ],
        [
          {
            type: 'LOCATED_IN',
            from: 'Enterprise',
            to: 'Region',
            exclusive: true,
            rows: order.map((id, index) => ({
              from: id,
              to: regions[(index + writer) % regions.length] ?? 'shijiazhuang',
              properties: { source: 'ILLUSTRATIVE' },
            })),
          },
          {
            type: 'SUPPLIES',
            from: 'Enterprise',
            to: 'Enterprise',
            rows: order.slice(1).map((id, index) => ({
              from: order[index] ?? id,
              to: id,
              properties: { source: 'ILLUSTRATIVE' },
            })),
          },
        ],
      );
    });
    const outcomes = await Promise.allSettled(writers);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    const [counts] = await database.executor.read(
      'test',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         RETURN count(e) AS firms,
                sum(COUNT { (e)-[:LOCATED_IN]->() }) AS locations,
                max(COUNT { (e)-[:LOCATED_IN]->() }) AS mostLocations`,
        { prefix },
      ),
    );
    expect(counts).toEqual({ firms: 6, locations: 6, mostLocations: 1 });
    const [supplies] = await database.executor.read(
      'test',
      cypher(
        `MATCH (a:Enterprise)-[s:SUPPLIES]->(b:Enterprise) WHERE a.id STARTS WITH $prefix
         WITH a, b, count(s) AS copies RETURN count(*) AS pairs, max(copies) AS most`,
        { prefix },
      ),
    );
    // Both directions of each neighbouring pair (the writers walk the firms forwards and backwards), once each.
    expect(supplies).toEqual({ pairs: 10, most: 1 });
  });

  it('does not make a writer wait for another transaction that holds a new relationship to the same region', async () => {
    const session = database.driver.session({ database: database.config.neo4j.database });
    const holder = await session.beginTransaction();
    try {
      await holder.run(
        "CREATE (e:Enterprise { id: $id, name: 'x', source: 'ILLUSTRATIVE' }) WITH e MATCH (r:Region { id: 'shijiazhuang' }) CREATE (e)-[:LOCATED_IN]->(r)",
        { id: `${prefix}-holder` },
      );
      const id = `${prefix}-beside`;
      await upsertAll(
        database.executor,
        'test-beside',
        [{ label: 'Enterprise', rows: [{ id, name: id, source: 'ILLUSTRATIVE' }] }],
        [
          {
            type: 'LOCATED_IN',
            from: 'Enterprise',
            to: 'Region',
            exclusive: true,
            rows: [{ from: id, to: 'shijiazhuang', properties: {} }],
          },
        ],
      );
      const [row] = await database.executor.read(
        'test',
        cypher('MATCH (:Enterprise { id: $id })-[:LOCATED_IN]->(r:Region) RETURN r.id AS region', { id }),
      );
      expect(row).toEqual({ region: 'shijiazhuang' });
    } finally {
      await holder.rollback();
      await session.close();
    }
  });
});
