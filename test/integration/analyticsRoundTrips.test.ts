import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { upsertAll } from '../../src/data/upsert.js';
import { toBatches } from '../../src/ingest/batches.js';
import {
  createTestGraph,
  testGraphRecords,
  type TestGraph,
  type TestGraphSpec,
  linearSegments,
} from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/** city: U1, U2 [up] supply M1 [mid]; M1 supplies D1 [down]. up feeds mid, mid feeds down. */
const SPEC: TestGraphSpec = {
  regions: [{ id: 'city' }, { id: 'town' }],
  chain: 'chain',
  segments: linearSegments(),
  firms: [
    { id: 'U1', region: 'city', segments: ['up'], supplies: ['M1'] },
    { id: 'U2', region: 'city', segments: ['up'], supplies: ['M1'] },
    { id: 'M1', region: 'city', segments: ['mid'], supplies: ['D1'] },
    { id: 'D1', region: 'city', segments: ['down'] },
    { id: 'T1', region: 'town', segments: ['up'] },
  ],
};

/** The part of an impactOfLosing answer these tests read. */
type Impact = {
  impactOfLosing: {
    segment: { id: string };
    segmentsAffected: {
      segment: { id: string };
      localEnterprisesBefore?: number;
      localEnterprisesAfter?: number;
    }[];
    firmsLosingLocalSupply: { enterprise: { id: string }; lostSuppliers: { id: string }[] }[];
  };
};

/**
 * Issue 12 (latency): on this 2-core machine every statement costs milliseconds of CPU in Neo4j and in Node whatever
 * it reads, so an analytics root field must not pay for a round trip it can fold into another. On a settled store
 * with the chain's structure cached, chainGaps and compareRegions check their arguments, read their facts and project
 * their nodes in ONE statement (they took 3). impactOfLosing a firm sends 2 (it sent 7, then 5): one reads its
 * chains and the supply losses, one checks, reads the facts, counts the firm's contributions and projects the
 * nodes. impactOfLosing a segment sends 2 (it sent 8, then 3): its local firms from the home index with the supply
 * losses, its chains and whether the index is current, then the checks, facts, contributions and projection
 * together; while a write waits to be folded into the index, its stored local count comes first and the firms are
 * walked. The answers stay those of the old path (the exact-answer tests in analytics*.test.ts and
 * resilience.test.ts hold them); here each answer is also compared with the one read the usual way.
 */
describe('analytics round trips per request', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;
  let statements: string[] = [];
  let operations: string[] = [];
  const prefix = uniquePrefix('roundtrips');
  const ALL = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'];

  beforeAll(async () => {
    database = await openTestDatabase();
    // Every statement the app sends goes through this view of the executor, which records it.
    const observed = database.executor.forRequest('round-trips', (event) => {
      statements.push(event.query.cypher);
      operations.push(event.operation);
    });
    server = await serveTestApp(observed);
    graph = await createTestGraph(database.executor, prefix, SPEC);
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  /** Posts a request and returns its body with the statements it sent. */
  const run = async (query: string, variables: Record<string, unknown>) => {
    statements = [];
    operations = [];
    const response = await postGraphQL<Record<string, unknown>>(server.url, { query, variables });
    return { body: response.body, statements: [...statements], operations: [...operations] };
  };

  const GAPS = `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
    chainGaps(chainId: $chainId, regionId: $regionId, sources: $sources) {
      chain { id name } region { id name }
      gaps { segment { id name } status score localEnterpriseCount localSupplyEdges locationQuotientSegment { id } }
      total { segments coverageRatio }
      basis { current }
    }
  }`;

  it('answers chainGaps in one statement once the structure is cached, with the same answer', async () => {
    const variables = { chainId: graph.id('chain'), regionId: graph.id('city'), sources: ALL };
    // The first request folds in the test graph's writes and reads the structure: the usual way.
    const first = await run(GAPS, variables);
    expect(first.body.errors).toBeUndefined();
    const second = await run(GAPS, variables);
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data).toEqual(first.body.data);
    expect(second.statements).toHaveLength(1);
    const gaps = (second.body.data as { chainGaps: { gaps: { segment: { id: string } }[] } }).chainGaps.gaps;
    expect(gaps.map((gap) => graph.local(gap.segment.id)).sort()).toEqual(['down', 'mid', 'up']);
  });

  it('still names an unknown argument when it checks in the facts statement', async () => {
    await run(GAPS, { chainId: graph.id('chain'), regionId: graph.id('city'), sources: ALL });
    const unknown = await run(GAPS, {
      chainId: graph.id('chain'),
      regionId: graph.id('nowhere'),
      sources: ALL,
    });
    expect(unknown.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(unknown.body.errors?.[0]?.message).toContain('regionId');
    expect(unknown.statements).toHaveLength(1);
  });

  it('ranks target firms without reading incentives or projecting the firms apart unless they are selected', async () => {
    type Targets = {
      targetFirms: {
        recommendations: {
          enterprise: { id: string; name: string };
          score: number;
          factors: { name: string; value: number }[];
          incentives?: { id: string }[];
        }[];
      };
    };
    const fields = 'enterprise { id name } score factors { name value }';
    const query = (extra: string) => `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
      targetFirms(chainId: $chainId, regionId: $regionId, first: 5, sources: $sources) {
        recommendations { ${fields} ${extra} }
      }
    }`;
    // town has only an upstream firm: mid and down are its gaps, filled by city's firms.
    const variables = { chainId: graph.id('chain'), regionId: graph.id('town'), sources: ALL };
    const withIncentives = await run(query('incentives { id }'), variables);
    expect(withIncentives.body.errors).toBeUndefined();
    expect(withIncentives.operations).toContain('incentives');
    const lean = await run(query(''), variables);
    expect(lean.body.errors).toBeUndefined();
    // The firms' names come with their details; nothing else is selected, so nothing else is read.
    expect(lean.operations).not.toContain('incentives');
    expect(lean.operations).not.toContain('hydrate');
    const ranked = (lean.body.data as Targets).targetFirms.recommendations;
    expect(ranked.map((recommendation) => graph.local(recommendation.enterprise.id)).sort()).toEqual(
      expect.arrayContaining(['D1', 'M1']),
    );
    for (const recommendation of ranked)
      expect(recommendation.enterprise.name).toBe(`${prefix} ${graph.local(recommendation.enterprise.id)}`);
    expect(ranked).toEqual(
      (withIncentives.body.data as Targets).targetFirms.recommendations.map(
        ({ incentives: _incentives, ...recommendation }) => recommendation,
      ),
    );
    // A selection of the region (or of anything else the ranking does not read) still projects it apart.
    const withRegion = await run(
      `query ($chainId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
        targetFirms(chainId: $chainId, regionId: $regionId, first: 5, sources: $sources) {
          region { id name } recommendations { ${fields} }
        }
      }`,
      variables,
    );
    expect(withRegion.body.errors).toBeUndefined();
    expect(withRegion.operations).toContain('hydrate');
    expect(
      (withRegion.body.data as { targetFirms: { region: { name: string } } }).targetFirms.region.name,
    ).toBe(`${prefix} town`);
  });

  it('answers compareRegions in one statement once the structure is cached, with the same answer', async () => {
    const query = `query ($chainId: ID!, $regionIds: [ID!]!, $sources: [ProvenanceSource!]) {
      compareRegions(chainId: $chainId, regionIds: $regionIds, sources: $sources) {
        chain { id } regions { region { id name } total { coverageRatio } }
        segments { segment { id name } byRegion { region { id } status localEnterpriseCount } }
      }
    }`;
    const variables = {
      chainId: graph.id('chain'),
      regionIds: [graph.id('city'), graph.id('town')],
      sources: ALL,
    };
    const first = await run(query, variables);
    expect(first.body.errors).toBeUndefined();
    const second = await run(query, variables);
    expect(second.body.data).toEqual(first.body.data);
    expect(second.statements).toHaveLength(1);
    const segments = (
      second.body.data as {
        compareRegions: {
          segments: { segment: { id: string }; byRegion: { localEnterpriseCount: number }[] }[];
        };
      }
    ).compareRegions.segments;
    const up = segments.find((segment) => graph.local(segment.segment.id) === 'up')!;
    expect(up.byRegion.map((entry) => entry.localEnterpriseCount)).toEqual([2, 1]);
  });

  it('answers impactOfLosing a firm in two statements, naming the buyer left without local supply', async () => {
    const query = `query ($enterpriseId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
      impactOfLosing(enterpriseId: $enterpriseId, regionId: $regionId, sources: $sources) {
        enterprise { id }
        segmentsAffected { segment { id } before after localEnterprisesBefore localEnterprisesAfter }
        firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } }
      }
    }`;
    const variables = { enterpriseId: graph.id('M1'), regionId: graph.id('city'), sources: ALL };
    const first = await run(query, variables);
    expect(first.body.errors).toBeUndefined();
    const second = await run(query, variables);
    expect(second.body.data).toEqual(first.body.data);
    expect(second.statements).toHaveLength(2);
    const impact = (second.body.data as Impact).impactOfLosing;
    // M1 is the only local firm of mid, and D1's only local supplier.
    expect(impact.segmentsAffected.map((change) => graph.local(change.segment.id))).toContain('mid');
    expect(
      impact.segmentsAffected.find((change) => graph.local(change.segment.id) === 'mid')
        ?.localEnterprisesAfter,
    ).toBe(0);
    expect(impact.firmsLosingLocalSupply.map((loss) => graph.local(loss.enterprise.id))).toEqual(['D1']);
    expect(impact.firmsLosingLocalSupply[0]?.lostSuppliers.map((firm) => graph.local(firm.id))).toEqual([
      'M1',
    ]);
  });

  it('answers impactOfLosing a segment in two statements once the trees are held, naming what breaks', async () => {
    const query = `query ($segmentId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
      impactOfLosing(segmentId: $segmentId, regionId: $regionId, sources: $sources) {
        segment { id }
        segmentsAffected { segment { id } before after localEnterprisesBefore localEnterprisesAfter }
        firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } }
      }
    }`;
    const variables = { segmentId: graph.id('mid'), regionId: graph.id('city'), sources: ALL };
    const first = await run(query, variables);
    expect(first.body.errors).toBeUndefined();
    const second = await run(query, variables);
    expect(second.body.data).toEqual(first.body.data);
    expect(second.statements).toHaveLength(2);
    const impact = (second.body.data as Impact).impactOfLosing;
    expect(graph.local(impact.segment.id)).toBe('mid');
    // M1 is mid's only local firm: mid loses all its local capacity, and D1 (down, which mid feeds) its supplier.
    expect(
      impact.segmentsAffected.find((change) => graph.local(change.segment.id) === 'mid')
        ?.localEnterprisesAfter,
    ).toBe(0);
    expect(impact.firmsLosingLocalSupply.map((loss) => graph.local(loss.enterprise.id))).toEqual(['D1']);
    expect(impact.firmsLosingLocalSupply[0]?.lostSuppliers.map((firm) => graph.local(firm.id))).toEqual([
      'M1',
    ]);
    // An unknown segment is still named as such.
    const unknown = await run(query, { ...variables, segmentId: `${prefix}-nowhere` });
    expect(unknown.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(unknown.body.errors?.[0]?.message).toContain('nowhere');
  });

  it('reads a segment loss again, walked, when a write waits to be folded into the index', async () => {
    const query = `query ($segmentId: ID!, $regionId: ID!, $sources: [ProvenanceSource!]) {
      impactOfLosing(segmentId: $segmentId, regionId: $regionId, sources: $sources) {
        segmentsAffected { segment { id } localEnterprisesBefore }
        firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } }
      }
    }`;
    const variables = { segmentId: graph.id('mid'), regionId: graph.id('city'), sources: ALL };
    // The first request (alone, this test's) folds in the graph's writes and reads the trees.
    await run(query, variables);
    expect((await run(query, variables)).statements).toHaveLength(2);
    // M2 (city, mid) supplies D2 (city, down): written, not folded into the index yet. The index read finds that in
    // its own statement; the firms are then walked from the graph, and M2 and D2 are in the answer.
    // Only the firms and their links are written (no region or segment: the structure stays as it was).
    const records = testGraphRecords(prefix, {
      ...SPEC,
      firms: [
        { id: 'M2', region: 'city', segments: ['mid'], supplies: ['D2'] },
        { id: 'D2', region: 'city', segments: ['down'] },
      ],
    });
    const { nodes, relationships } = toBatches({
      enterprises: records.enterprises ?? [],
      segmentLinks: records.segmentLinks ?? [],
      supplies: records.supplies ?? [],
    });
    await upsertAll(database.executor, 'test', nodes, relationships);
    const after = await run(query, variables);
    expect(after.body.errors).toBeUndefined();
    expect(after.statements.length).toBeGreaterThan(2);
    const impact = (after.body.data as Impact).impactOfLosing;
    expect(impact.firmsLosingLocalSupply.map((loss) => graph.local(loss.enterprise.id))).toEqual([
      'D1',
      'D2',
    ]);
    expect(
      impact.segmentsAffected.find((change) => graph.local(change.segment.id) === 'mid')
        ?.localEnterprisesBefore,
    ).toBe(2);
    // Folded in now: two statements again.
    expect((await run(query, variables)).statements).toHaveLength(2);
  });
});
