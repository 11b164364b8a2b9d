import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createOneGapGraph, type TestGraph } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * A first build, a requested rebuild or an upgrade writes every firm's target-ranking keys in batches after the
 * counts' transaction has committed: minutes at a million firms during which the counts are current but the rank
 * index lacks firms. targetFirms must not rank from it then (it would leave those firms out while its basis said
 * current): it waits for the writing as for pending writes, and refuses with SERVICE_BUSY when that takes longer.
 */

const prefix = uniquePrefix('rankready');

const TARGETS = `query Targets($chainId: ID!, $regionId: ID!) {
  targetFirms(chainId: $chainId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) {
    recommendations { enterprise { id } score }
  }
}`;
const GAPS = `query Gaps($chainId: ID!, $regionId: ID!) {
  chainGaps(chainId: $chainId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { basis { current } }
}`;

interface Targets {
  targetFirms: { recommendations: { enterprise: { id: string }; score: number }[] };
}

describe('targetFirms while every firm’s rank keys are being written', () => {
  let database: TestDatabase;
  let graph: TestGraph;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    graph = await createOneGapGraph(database.executor, prefix, [
      { id: 'local', region: 'home', segments: [] },
      { id: 'outside', region: 'far', segments: ['gap'], sizeBand: 'LARGE' as const },
    ]);
    await refreshAggregates(database.executor);
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    // Whatever a test left half-written is written now, for the files after this one.
    await refreshAggregates(database.executor);
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('refuses with SERVICE_BUSY while the keys are being written, then answers once they are', async () => {
    const variables = { chainId: graph.id('chain'), regionId: graph.id('home') };
    const patient = await serveTestApp(database.executor, { AGGREGATE_WAIT_MS: '60000' });
    servers.push(patient);
    const before = await postGraphQL<Targets>(patient.url, { query: TARGETS, variables });
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data!.targetFirms.recommendations.map((target) => target.enterprise.id)).toEqual([
      graph.id('outside'),
    ]);

    // The state a first build leaves between its counts' commit and its last batch of rank keys.
    await database.executor.write(
      'test-rank-format',
      cypher(`MATCH (s:AggregateState { id: 'aggregates' }) SET s.rankFormat = 1`),
    );
    const impatient = await serveTestApp(database.executor, { AGGREGATE_WAIT_MS: '0' });
    servers.push(impatient);
    const refused = await postGraphQL<Targets>(impatient.url, { query: TARGETS, variables });
    expect(refused.body.errors?.[0]?.extensions.code).toBe('SERVICE_BUSY');
    expect(refused.body.errors?.[0]?.message).toMatch(/ranking keys are being built/);
    // The counts themselves are current: the gap report answers meanwhile.
    const gaps = await postGraphQL<{ chainGaps: { basis: { current: boolean } } }>(impatient.url, {
      query: GAPS,
      variables,
    });
    expect(gaps.body.errors).toBeUndefined();
    expect(gaps.body.data!.chainGaps.basis.current).toBe(true);

    // A service that may wait for the writing answers, with the keys written again.
    await database.executor.write(
      'test-rank-format',
      cypher(`MATCH (s:AggregateState { id: 'aggregates' }) SET s.rankFormat = 1`),
    );
    const after = await postGraphQL<Targets>(patient.url, { query: TARGETS, variables });
    expect(after.body.errors).toBeUndefined();
    expect(after.body.data!.targetFirms).toEqual(before.body.data!.targetFirms);
    const [state] = await database.executor.read(
      'test-rank-format',
      cypher(`MATCH (s:AggregateState { id: 'aggregates' }) RETURN s.rankFormat AS rankFormat`),
    );
    expect(Number(state?.['rankFormat'])).toBeGreaterThan(1);
  });
});
