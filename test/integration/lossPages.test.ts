import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';

/**
 * A loss lists its buyers left without supply a page at a time: every one of them is found and counted, the first by
 * name are listed, each with its first lost suppliers by id, and each alias keeps its own page. Worked by hand:
 *
 *   HUB (city, segment up) supplies B1…B5 (city, segment down; up feeds down) — losing HUB strands all five;
 *   U1, U2, U3 (city, segment up) all supply B9 — losing segment up strands B9 (three suppliers) and B1…B5.
 */

type Loss = {
  impactOfLosing: {
    firmsLosingLocalSupplyCount: number;
    page: { enterprise: { id: string }; lostSuppliers: { id: string }[]; lostSupplierCount: number }[];
    all?: { enterprise: { id: string } }[];
  };
};

const LOSS = `query ($enterpriseId: ID, $segmentId: ID, $regionId: ID!, $first: Int, $suppliers: Int) {
  impactOfLosing(enterpriseId: $enterpriseId, segmentId: $segmentId, regionId: $regionId) {
    firmsLosingLocalSupplyCount
    page: firmsLosingLocalSupply(first: $first) {
      enterprise { id } lostSuppliers(first: $suppliers) { id } lostSupplierCount
    }
    all: firmsLosingLocalSupply(first: 100) { enterprise { id } }
  }
}`;

describe('the supply losses of a loss, a page at a time', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let graph: TestGraph;
  const prefix = uniquePrefix('losspages');
  const buyers = ['B1', 'B2', 'B3', 'B4', 'B5'];

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    graph = await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city', completeness: 'CENSUS' }],
      chain: 'chain',
      segments: [
        { id: 'up', stage: 'UPSTREAM', feeds: ['down'] },
        { id: 'down', stage: 'DOWNSTREAM' },
      ],
      firms: [
        { id: 'HUB', region: 'city', segments: ['up'], supplies: buyers },
        ...buyers.map((id) => ({ id, region: 'city', segments: ['down'] })),
        ...['U1', 'U2', 'U3'].map((id) => ({ id, region: 'city', segments: ['up'], supplies: ['B9'] })),
        { id: 'B9', region: 'city', segments: ['down'] },
      ],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await database.close();
  });

  const ids = (list: { enterprise: { id: string } }[]) => list.map((loss) => graph.local(loss.enterprise.id));

  it('counts every buyer a firm loss strands and lists the first by name, each alias its own page', async () => {
    const { impactOfLosing: loss } = await graphql.data<Loss>(LOSS, {
      enterpriseId: graph.id('HUB'),
      regionId: graph.id('city'),
      first: 2,
    });
    expect(loss.firmsLosingLocalSupplyCount).toBe(5);
    // Test firms are named after their ids (graphBuilder), so name order is id order here.
    expect(ids(loss.page)).toEqual(['B1', 'B2']);
    expect(loss.page.map((entry) => entry.lostSuppliers.map((firm) => graph.local(firm.id)))).toEqual([
      ['HUB'],
      ['HUB'],
    ]);
    expect(loss.page.map((entry) => entry.lostSupplierCount)).toEqual([1, 1]);
    expect(ids(loss.all!)).toEqual(buyers);
  });

  it('lists the first lost suppliers of a buyer by id and counts them all', async () => {
    const { impactOfLosing: loss } = await graphql.data<Loss>(LOSS, {
      segmentId: graph.id('up'),
      regionId: graph.id('city'),
      first: 100,
      suppliers: 2,
    });
    expect(loss.firmsLosingLocalSupplyCount).toBe(6);
    const b9 = loss.page.find((entry) => graph.local(entry.enterprise.id) === 'B9')!;
    expect(b9.lostSuppliers.map((firm) => graph.local(firm.id))).toEqual(['U1', 'U2']);
    expect(b9.lostSupplierCount).toBe(3);
  });

  it('refuses a page size out of range, naming the field it belongs to, before reading anything', async () => {
    const tooMany = await graphql.run(LOSS, {
      enterpriseId: graph.id('HUB'),
      regionId: graph.id('city'),
      first: 101,
    });
    expect(tooMany.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(tooMany.errors?.[0]?.message).toContain('page.first');
    expect(tooMany.roundTrips).toBe(0);
    const negative = await graphql.run(LOSS, {
      segmentId: graph.id('up'),
      regionId: graph.id('city'),
      suppliers: -1,
    });
    expect(negative.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(negative.errors?.[0]?.message).toContain('page.lostSuppliers.first');
  });
});
