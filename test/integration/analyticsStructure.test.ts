import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { upsertAll } from '../../src/data/upsert.js';
import { NodeLabel as L, RelationshipType as T } from '../../src/data/model.js';
import { toBatches } from '../../src/ingest/batches.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, testGraphRecords, type TestGraph } from '../support/graphBuilder.js';
import { createTestGraphQL, type TestGraphQL } from '../support/graphql.js';

/**
 * The chains' structure is cached per process and keyed by the structure version every upsert to the shape moves
 * (src/analytics/structureCache.ts): a write to the shape must show in the very next answer of the same process.
 * A segment scenario too large for MAX_SCENARIO_FIRMS is refused before anything is counted: from the bounded home
 * index read, or from the stored counts before any firm is walked.
 */
describe('analytics structure cache and scenario bounds', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  let strict: TestGraphQL;
  let graph: TestGraph;
  const prefix = uniquePrefix('structure');

  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
    strict = await createTestGraphQL(database.executor, {
      ...database.config,
      aggregates: { ...database.config.aggregates, maxScenarioFirms: 1 },
    });
    graph = await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city', lat: 38.0, lon: 114.5 }],
      chain: 'chain',
      segments: [
        { id: 'up', stage: 'UPSTREAM', feeds: ['mid'] },
        { id: 'mid', stage: 'MIDSTREAM' },
        { id: 'down', stage: 'DOWNSTREAM' },
      ],
      firms: [
        { id: 'u1', region: 'city', segments: ['up'] },
        { id: 'u2', region: 'city', segments: ['up'] },
        { id: 'm1', region: 'city', segments: ['mid'] },
      ],
    });
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await graphql.stop();
    await strict.stop();
    await database.close();
  });

  const REPORT = `query ($chainId: ID!, $regionId: ID!) {
    chainGaps(chainId: $chainId, regionId: $regionId) {
      gaps { segment { id } downstreamSegmentCount }
      total { segments }
    }
  }`;
  type Report = {
    chainGaps: {
      gaps: { segment: { id: string }; downstreamSegmentCount: number }[];
      total: { segments: number };
    };
  };
  const downstream = async (client: TestGraphQL) => {
    const data = await client.data<Report>(REPORT, {
      chainId: graph.id('chain'),
      regionId: graph.id('city'),
    });
    return {
      segments: data.chainGaps.total.segments,
      byId: Object.fromEntries(
        data.chainGaps.gaps.map((gap) => [graph.local(gap.segment.id), gap.downstreamSegmentCount]),
      ),
    };
  };

  it('answers from the cached structure, and sees a new FEEDS link and a new segment at once', async () => {
    // Twice: the second answer comes from the cache and must equal the first.
    const first = await downstream(graphql);
    expect(first.byId).toEqual({ up: 1, mid: 0, down: 0 });
    expect(await downstream(graphql)).toEqual(first);

    // Real (PLAN) like the rest of the test graph: the reports count real data by default.
    const provenance = { source: 'PLAN', section: 'test', note: 'test data' };
    await upsertAll(
      database.executor,
      'test-structure',
      [],
      [
        {
          type: T.FEEDS,
          from: L.ChainSegment,
          to: L.ChainSegment,
          rows: [{ from: graph.id('mid'), to: graph.id('down'), properties: provenance }],
        },
      ],
    );
    expect((await downstream(graphql)).byId).toEqual({ up: 2, mid: 1, down: 0 });

    await upsertAll(
      database.executor,
      'test-structure',
      [
        {
          label: L.ChainSegment,
          rows: [
            {
              id: graph.id('extra'),
              chainId: graph.id('chain'),
              name: `${prefix} extra`,
              stage: 'DOWNSTREAM',
              ...provenance,
            },
          ],
        },
      ],
      [
        {
          type: T.IN_CHAIN,
          from: L.ChainSegment,
          to: L.IndustrialChain,
          rows: [{ from: graph.id('extra'), to: graph.id('chain'), properties: provenance }],
        },
      ],
    );
    const after = await downstream(graphql);
    expect(after.segments).toBe(4);
    expect(after.byId['extra']).toBe(0);
  });

  it('refuses to lose a segment with more local firms than MAX_SCENARIO_FIRMS, naming the limit', async () => {
    const result = await strict.run(
      `query ($segmentId: ID!, $regionId: ID!) {
        impactOfLosing(segmentId: $segmentId, regionId: $regionId) { segmentsAffected { segment { id } } }
      }`,
      { segmentId: graph.id('up'), regionId: graph.id('city') },
    );
    expect(result.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
    expect(result.errors?.[0]?.message).toContain('MAX_SCENARIO_FIRMS');
    // The refusal came before anything was counted: from the home index read, which stops one firm past the limit,
    // or (the index not current) from the stored count, before any firm is walked. No facts statement ran.
    const listings = result.statements.filter((statement) => statement.includes('LIMIT toInteger($limit)'));
    expect(listings.length).toBeLessThanOrEqual(1);
    expect(listings.every((statement) => statement.includes('rankHomeId'))).toBe(true);
    expect(result.statements.some((statement) => statement.includes('AS nations'))).toBe(false);
    // One firm is within the limit.
    const allowed = await strict.run(
      `query ($segmentId: ID!, $regionId: ID!) {
        impactOfLosing(segmentId: $segmentId, regionId: $regionId) { segmentsAffected { segment { id } before after } }
      }`,
      { segmentId: graph.id('mid'), regionId: graph.id('city') },
    );
    expect(allowed.errors).toBeUndefined();
  });

  it('losing a segment counts a narrower segment added after this process read the trees', async () => {
    const LOSS = `query ($segmentId: ID!, $regionId: ID!) {
      impactOfLosing(segmentId: $segmentId, regionId: $regionId) {
        segmentsAffected { segment { id } localEnterprisesBefore localEnterprisesAfter }
      }
    }`;
    type Loss = {
      impactOfLosing: {
        segmentsAffected: {
          segment: { id: string };
          localEnterprisesBefore: number;
          localEnterprisesAfter: number;
        }[];
      };
    };
    const mid = async () => {
      const result = await graphql.run<Loss>(LOSS, {
        segmentId: graph.id('mid'),
        regionId: graph.id('city'),
      });
      expect(result.errors).toBeUndefined();
      return result.data!.impactOfLosing.segmentsAffected.find(
        (change) => change.segment.id === graph.id('mid'),
      );
    };
    // The trees are read and held: m1 is mid's one local firm.
    expect(await mid()).toMatchObject({ localEnterprisesBefore: 1, localEnterprisesAfter: 0 });
    // A narrower segment of mid, with a local firm in it: losing mid now takes that capacity too. With the trees
    // read before (mid-part not under mid), m2 would keep counting for mid after the loss.
    await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city', lat: 38.0, lon: 114.5 }],
      chain: 'chain',
      segments: [{ id: 'mid-part', stage: 'MIDSTREAM', parent: 'mid' }],
      firms: [{ id: 'm2', region: 'city', segments: ['mid-part'] }],
    });
    expect(await mid()).toMatchObject({ localEnterprisesBefore: 2, localEnterprisesAfter: 0 });
  });

  it('refuses from the stored count, before any firm is walked, while a write waits to be folded in', async () => {
    const LOSE_UP = `query ($segmentId: ID!, $regionId: ID!) {
      impactOfLosing(segmentId: $segmentId, regionId: $regionId) { segmentsAffected { segment { id } } }
    }`;
    const variables = { segmentId: graph.id('up'), regionId: graph.id('city') };
    expect((await strict.run(LOSE_UP, variables)).errors?.[0]?.extensions?.['code']).toBe(
      'QUERY_TOO_COMPLEX',
    );
    // A firm written, not folded in yet: the home index is not current.
    const records = testGraphRecords(prefix, {
      regions: [{ id: 'city' }],
      chain: 'chain',
      segments: [],
      firms: [{ id: 'late', region: 'city', segments: ['down'] }],
    });
    const { nodes, relationships } = toBatches({
      enterprises: records.enterprises ?? [],
      segmentLinks: records.segmentLinks ?? [],
    });
    await upsertAll(database.executor, 'test', nodes, relationships);
    const result = await strict.run(LOSE_UP, variables);
    expect(result.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
    // The stored count was read, and no firm was walked (an index read, which found the index stale, may have run).
    expect(
      result.statements.some((statement) =>
        statement.includes('RETURN aggregates, chainIds, homeIndexReady'),
      ),
    ).toBe(true);
    const listings = result.statements.filter((statement) => statement.includes('LIMIT toInteger($limit)'));
    expect(listings.every((statement) => statement.includes('rankHomeId'))).toBe(true);
  });
});
