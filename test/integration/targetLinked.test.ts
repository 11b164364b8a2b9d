import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import {
  linkedCandidatesQuery,
  readRankedCandidates,
  type RankedCandidates,
  type RankedCandidatesRequest,
} from '../../src/analytics/candidates.js';
import {
  readCandidateLinkage,
  readCandidateLinks,
  readSegmentScopes,
  type Sources,
} from '../../src/analytics/facts.js';
import { LINKAGE_VALUE, withDefaultWeights, type TargetRecommendation } from '../../src/analytics/targets.js';
import { recordChangeQuery } from '../../src/data/changes.js';
import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { NodeLabel as L, RelationshipType as T } from '../../src/data/model.js';
import { upsertAll } from '../../src/data/upsert.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import {
  createOneGapGraph,
  createTestGraph,
  type TestGraph,
  type TestGraphSpec,
} from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The linked read of targetFirms (issue 12: a city's biomedicine gaps at 200,000 generated firms were refused after
 * 20,000 index rows). With linkage 1 assumed for every unread firm, a walk cannot rule out firms that score alike
 * until it has read them all; once the firms with a direct supply link to the region are known (a few per local
 * firm), an unread firm's linkage is at most INDIRECT and the walk stops after a few rows. Its answer must be the
 * one the walk without the linked read gives (that walk is checked against the plain full ranking in
 * targetWalkTies.test.ts and targetRanking.test.ts), and when the region's links are more than it may read it must
 * fall back to that walk.
 */

const filePrefix = uniquePrefix('targetlinked');
const ALIKE = 400;

const TARGET_QUERY = `query Targets($chainId: ID!, $regionId: ID!, $first: Int) {
  targetFirms(chainId: $chainId, regionId: $regionId, first: $first) {
    recommendations { enterprise { id } score factors { name value } }
  }
}`;

interface Answer {
  recommendations: {
    enterprise: { id: string };
    score: number;
    factors: { name: string; value: number }[];
  }[];
}

const shapeOf = (recommendations: readonly TargetRecommendation[]) =>
  recommendations.map((recommendation) => ({
    id: recommendation.candidate.id,
    score: recommendation.score,
    factors: recommendation.factors.map((factor) => [factor.name, factor.value]),
  }));

/** The top 5 candidates for the test graph's one gap (`gap`, score 80) in its region `home`, limits out of the way. */
async function gapRequest(executor: Executor, graph: TestGraph): Promise<RankedCandidatesRequest> {
  const gapId = graph.id('gap');
  return {
    regionId: graph.id('home'),
    scopeToGap: await readSegmentScopes(executor, [gapId]),
    gaps: new Map([[gapId, { segmentId: gapId, name: 'gap', score: 80 }]]),
    weights: withDefaultWeights(null),
    first: 5,
    sources: ['PLAN', 'PUBLIC'],
    priorityRegionIds: [],
    scanLimit: 100_000,
    linkedLimits: { maxLocals: 100_000, maxLinks: 100_000 },
  };
}

/** Linked-read limits that no region meets: the walk without the linked read, every unread firm's linkage up to 1. */
const NO_LINKED_READ = { maxLocals: 0, maxLinks: 1 } as const;

/**
 * `request` ranked with the linked read (which must see every link) and without it (the reference, checked against
 * the plain full ranking in targetWalkTies.test.ts and targetRanking.test.ts): both must rank alike.
 */
async function rankWithAndWithoutLinkedRead(
  executor: Executor,
  request: RankedCandidatesRequest,
): Promise<{ fast: RankedCandidates; reference: RankedCandidates }> {
  const fast = await readRankedCandidates(executor, request);
  const reference = await readRankedCandidates(executor, { ...request, linkedLimits: NO_LINKED_READ });
  expect(fast.stats.linkedComplete).toBe(true);
  expect(reference.stats.linkedComplete).toBe(false);
  expect(shapeOf(fast.ranked)).toEqual(shapeOf(reference.ranked));
  return { fast, reference };
}

describe('target firms: the firms linked to the region are read first', () => {
  let database: TestDatabase;
  let graph: TestGraph;
  let limited: TestServer;
  let request: RankedCandidatesRequest;
  const prefix = `${filePrefix}-g`;

  /** The walk as targetFirms runs it, with `overrides`. */
  const walk = (executor: Executor, overrides: Partial<RankedCandidatesRequest> = {}) =>
    readRankedCandidates(executor, { ...request, ...overrides });

  beforeAll(async () => {
    database = await openTestDatabase();
    // A local firm; three small outside firms supply it (linkage 1), two buy from it (0.7); 400 medium outside
    // firms in the same gap have no link at all. Medium beats small by 2.4 points of capability; a direct link is
    // worth 14 to 20, so the linked ones are the top five and no unread firm can reach them once they are known.
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'home', lat: 30, lon: 114 },
        { id: 'near', lat: 31, lon: 114 },
        { id: 'far', lat: 36, lon: 114 },
      ],
      chain: 'chain',
      segments: [{ id: 'gap', stage: 'MIDSTREAM' }],
      firms: [
        { id: 'local', region: 'home', segments: [], supplies: ['buyer-0', 'buyer-1'] },
        ...[0, 1, 2].map((index) => ({
          id: `supplier-${index}`,
          region: 'far',
          segments: ['gap'],
          sizeBand: 'SMALL' as const,
          supplies: ['local'],
        })),
        ...[0, 1].map((index) => ({
          id: `buyer-${index}`,
          region: 'far',
          segments: ['gap'],
          sizeBand: 'SMALL' as const,
        })),
        ...Array.from({ length: ALIKE }, (_, index) => ({
          id: `alike-${String(index).padStart(3, '0')}`,
          region: 'near',
          segments: ['gap'],
          sizeBand: 'MEDIUM' as const,
        })),
      ],
    });
    // The rank keys the walks read are written by the refresh that folds a write into the aggregates.
    await refreshAggregates(database.executor);
    request = await gapRequest(database.executor, graph);
    limited = await serveTestApp(database.executor, {
      TARGET_SCAN_LIMIT: '100',
      MAX_QUERY_COST: '10000000',
      REQUEST_TIMEOUT_MS: '120000',
    });
  });

  afterAll(async () => {
    await limited?.close();
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('ranks what the walk without it ranks, after reading a few rows instead of every firm', async () => {
    const fast = await walk(database.executor);
    const reference = await walk(database.executor, { linkedLimits: NO_LINKED_READ });
    expect(reference.stats.linkedComplete).toBe(false);
    expect(fast.stats.linkedComplete).toBe(true);
    expect(shapeOf(fast.ranked)).toEqual(shapeOf(reference.ranked));
    expect(fast.ranked.map((recommendation) => recommendation.candidate.id)).toEqual([
      ...[0, 1, 2].map((index) => graph.id(`supplier-${index}`)),
      ...[0, 1].map((index) => graph.id(`buyer-${index}`)),
    ]);
    // Without the linked read every one of the 405 firms had to be read; with it, the first round's pages only.
    expect(reference.stats.rowsRead).toBeGreaterThanOrEqual(ALIKE);
    expect(fast.stats.rowsRead).toBeLessThan(100);
    expect(fast.stats.linkedLinks).toBe(5);
  });

  it('ranks the same when the first read ships only some of the linked firms', async () => {
    // The five linked firms are small and the 400 alike medium, so the walks reach the linked firms last: were the
    // ones a short page left out taken as read, their linkage would come from the walks, which would have to read
    // every alike firm first (405 rows) to be sure of them.
    const reference = await walk(database.executor);
    for (const linkedPage of [0, 1, 3]) {
      const paged = await walk(database.executor, { linkedPage });
      expect(paged.stats.linkedReads).toBe(2);
      expect(shapeOf(paged.ranked)).toEqual(shapeOf(reference.ranked));
      expect(paged.stats.rowsRead).toBeLessThan(100);
    }
  });

  it('falls back to the walk without it when the region has more links or firms than it may read', async () => {
    const reference = await walk(database.executor, { linkedLimits: NO_LINKED_READ });
    for (const linkedLimits of [
      { maxLocals: 1_000, maxLinks: 3 },
      { maxLocals: 0, maxLinks: 1_000 },
    ]) {
      const limitedWalk = await walk(database.executor, { linkedLimits });
      expect(limitedWalk.stats.linkedComplete).toBe(false);
      // Over the link limit no link is read: the local firm's supply degree (5) says so beforehand.
      expect(limitedWalk.stats.linkedLinks).toBe(linkedLimits.maxLinks === 3 ? 5 : 0);
      expect(shapeOf(limitedWalk.ranked)).toEqual(shapeOf(reference.ranked));
    }
  });

  it('bounds the links by the supply degree of everything located in the region, whatever its source', async () => {
    // Every firm and link of the graph is PLAN: a PUBLIC-only request admits none of the 5 links, yet the bound,
    // read without any firm's source, counts them all. Over a limit of 3 nothing is walked and the read says 5
    // (were the links walked, it would find 0 admitted and call itself complete).
    const publicOnly = { ...request, sources: ['PUBLIC'] as RankedCandidatesRequest['sources'] };
    const refused = await readRankedCandidates(database.executor, {
      ...publicOnly,
      linkedLimits: { maxLocals: 1_000, maxLinks: 3 },
    });
    expect(refused.stats.linkedComplete).toBe(false);
    expect(refused.stats.linkedLinks).toBe(5);
    // Under the limit the links are walked, and only the admitted ones count.
    const walked = await readRankedCandidates(database.executor, {
      ...publicOnly,
      linkedLimits: { maxLocals: 1_000, maxLinks: 6 },
    });
    expect(walked.stats.linkedComplete).toBe(true);
    expect(walked.stats.linkedLinks).toBe(0);
  });

  it('answers over HTTP within a TARGET_SCAN_LIMIT smaller than the firms alike', async () => {
    const response = await postGraphQL<{ targetFirms: Answer }>(limited.url, {
      query: TARGET_QUERY,
      variables: { chainId: graph.id('chain'), regionId: graph.id('home'), first: 3 },
    });
    expect(response.body.errors).toBeUndefined();
    const recommendations = response.body.data!.targetFirms.recommendations;
    expect(recommendations.map((recommendation) => recommendation.enterprise.id)).toEqual(
      [0, 1, 2].map((index) => graph.id(`supplier-${index}`)),
    );
    expect(recommendations[0]!.factors.find((factor) => factor.name === 'LINKAGE')?.value).toBe(1);
  });

  it('does not try the linked read for a region with more firms than TARGET_LINK_FIRMS_LIMIT', async () => {
    // The region has one firm: with a limit of 0 its links are not listed, so the walk must read the 400 firms
    // alike, more than TARGET_SCAN_LIMIT allows — the refusal shows the firm limit, not the link limit, stopped it.
    const noLinkedRead = await serveTestApp(database.executor, {
      TARGET_SCAN_LIMIT: '100',
      TARGET_LINK_FIRMS_LIMIT: '0',
      MAX_QUERY_COST: '10000000',
      REQUEST_TIMEOUT_MS: '120000',
    });
    try {
      const response = await postGraphQL<{ targetFirms: Answer }>(noLinkedRead.url, {
        query: TARGET_QUERY,
        variables: { chainId: graph.id('chain'), regionId: graph.id('home'), first: 3 },
      });
      expect(response.body.errors?.[0]?.extensions?.['code']).toBe('QUERY_TOO_COMPLEX');
      expect(response.body.errors?.[0]?.message).toMatch(/TARGET_SCAN_LIMIT/);
    } finally {
      await noLinkedRead.close();
    }
  });
});

/**
 * The graph of the walk tests below: the gap segments (`gap` unless given); `home` with a local firm, `near` (111 km
 * away) with five small firms in every gap that supply it (linkage 1: the top five), and `others`, in `near` or in
 * `regions`.
 */
function createFiveLinkedGraph(
  executor: Executor,
  prefix: string,
  regions: TestGraphSpec['regions'],
  others: TestGraphSpec['firms'],
  gapIds: readonly string[] = ['gap'],
): Promise<TestGraph> {
  return createTestGraph(executor, prefix, {
    regions: [{ id: 'home', lat: 30, lon: 114 }, { id: 'near', lat: 31, lon: 114 }, ...regions],
    chain: 'chain',
    segments: gapIds.map((id) => ({ id, stage: 'MIDSTREAM' as const })),
    firms: [
      { id: 'local', region: 'home', segments: [] },
      ...[0, 1, 2, 3, 4].map((index) => ({
        id: `linked-${index}`,
        region: 'near',
        segments: gapIds,
        sizeBand: 'SMALL' as const,
        supplies: ['local'],
      })),
      ...others,
    ],
  });
}

/**
 * Ranks with `request` while recording whose facts the walks read, and checks the ranking against the walk with
 * neither the linked read nor more than one row a page (every firm's facts read before any bound can rule on it) and
 * that the five linked firms are the top five.
 */
async function rankAgainstPlain(
  database: TestDatabase,
  graph: TestGraph,
  request: RankedCandidatesRequest,
): Promise<{ fast: RankedCandidates; factsRead: string[] }> {
  const factsRead: string[] = [];
  const observed = database.executor.forRequest('walk-facts', (event) => {
    if (event.operation === 'target-walk' || event.operation === 'target-walk-facts')
      factsRead.push(...((event.query.params['ids'] as string[] | undefined) ?? []));
  });
  const fast = await readRankedCandidates(observed, request);
  const reference = await readRankedCandidates(database.executor, {
    ...request,
    linkedLimits: NO_LINKED_READ,
    firstPage: 1,
  });
  expect(shapeOf(fast.ranked)).toEqual(shapeOf(reference.ranked));
  expect(fast.ranked.map((recommendation) => graph.local(recommendation.candidate.id)).sort()).toEqual(
    [0, 1, 2, 3, 4].map((index) => `linked-${index}`),
  );
  return { fast, factsRead };
}

/** Large leading high-tech firms in the gap without a link: capable enough to reach the top from near the region. */
const strongFirms = (region: string, ids: readonly string[]): TestGraphSpec['firms'] =>
  ids.map((id) => ({
    id,
    region,
    segments: ['gap'],
    sizeBand: 'LARGE' as const,
    leading: true,
    highTech: true,
  }));

/**
 * The world of a describe below: a createFiveLinkedGraph graph under the file's prefix and `suffix`, built with its
 * aggregates refreshed (which writes the rank keys the walks read) before the describe's tests, and deleted after
 * them. Its fields are set once beforeAll has run.
 */
function fiveLinkedWorld(
  suffix: string,
  regions: TestGraphSpec['regions'],
  others: TestGraphSpec['firms'],
  gapIds?: readonly string[],
): { database: TestDatabase; graph: TestGraph } {
  const world = {} as { database: TestDatabase; graph: TestGraph };
  const prefix = `${filePrefix}-${suffix}`;
  beforeAll(async () => {
    world.database = await openTestDatabase();
    world.graph = await createFiveLinkedGraph(world.database.executor, prefix, regions, others, gapIds);
    await refreshAggregates(world.database.executor);
  });
  afterAll(async () => {
    await deleteByPrefix(world.database.executor, prefix);
    await world.database?.close();
  });
  return world;
}

describe('target firms: a walk reads the facts of the firms that can still reach the top only', () => {
  // Five small firms near the region supply its local firm (linkage 1): they are the top five. In the gap's lane
  // the walk reads, best capability first, two large leading high-tech firms without a link, the five, then micro
  // firms without a link. With an indirect link at most (the linked read saw every direct one), a micro or small
  // firm's capability cannot lift it to the fifth linked firm, a large leading high-tech one's can.
  const world = fiveLinkedWorld(
    'p',
    [],
    [
      ...strongFirms('near', ['strong-0', 'strong-1']),
      ...Array.from({ length: 20 }, (_, index) => ({
        id: `micro-${String(index).padStart(2, '0')}`,
        region: 'near',
        segments: ['gap'],
        sizeBand: 'MICRO' as const,
      })),
    ],
  );

  it('skips the facts of walked firms whose capability leaves them under the first-th best, same ranking', async () => {
    const { fast, reference } = await rankWithAndWithoutLinkedRead(
      world.database.executor,
      await gapRequest(world.database.executor, world.graph),
    );
    expect(fast.ranked.map((recommendation) => recommendation.candidate.id)).toEqual(
      [0, 1, 2, 3, 4].map((index) => world.graph.id(`linked-${index}`)),
    );
    // One page of eight rows (read with the linked read, before any firm was scored): the two strong firms, the five
    // linked ones (read already), one micro firm. Only the strong firms' facts are read; the micro firm's row is
    // skipped.
    expect(fast.stats.rowsRead).toBe(8);
    expect(fast.stats.walkFirmsRead).toBe(2);
    expect(fast.stats.walkRowsSkipped).toBe(1);
    // Without the linked read an unread firm may have any linkage: the walk reads more firms' facts.
    expect(reference.stats.walkFirmsRead).toBeGreaterThan(fast.stats.walkFirmsRead);
  });
});

/**
 * `relay`, near the region and in no gap, supplies its local firm; `indirect`, small and near, supplies `relay`
 * (linkage 0.4); ten small firms alike have no link.
 */
const RELAY_INDIRECT_AND_ALIKE: TestGraphSpec['firms'] = [
  { id: 'relay', region: 'near', segments: [], supplies: ['local'] },
  { id: 'indirect', region: 'near', segments: ['gap'], sizeBand: 'SMALL', supplies: ['relay'] },
  ...Array.from({ length: 10 }, (_, index) => ({
    id: `alike-${index}`,
    region: 'near',
    segments: ['gap'],
    sizeBand: 'SMALL' as const,
  })),
];

describe('target firms: once the linked read is complete, a walk looks for an unlinked firm’s indirect link only', () => {
  // The five small linked firms near the region are the top five, then RELAY_INDIRECT_AND_ALIKE: the linked read
  // lists `relay` and ranks it not (it is in no gap). Only its indirect link puts `indirect` sixth, ahead of the
  // alike ones (whose ids sort before its), and only the walk reads it.
  const world = fiveLinkedWorld('ind', [], RELAY_INDIRECT_AND_ALIKE);

  it('finds the indirect link of a firm the walk reads, and ranks what the walk without the linked read ranks', async () => {
    const { fast } = await rankWithAndWithoutLinkedRead(world.database.executor, {
      ...(await gapRequest(world.database.executor, world.graph)),
      first: 6,
    });
    expect(fast.ranked.map((recommendation) => world.graph.local(recommendation.candidate.id))).toEqual([
      ...[0, 1, 2, 3, 4].map((index) => `linked-${index}`),
      'indirect',
    ]);
    const linkageOf = (recommendation: TargetRecommendation) =>
      recommendation.factors.find((factor) => factor.name === 'LINKAGE')?.value;
    expect(fast.ranked.map(linkageOf)).toEqual([1, 1, 1, 1, 1, 0.4]);
    // The walk read it (the linked read lists direct links only).
    expect(fast.stats.walkFirmsRead).toBeGreaterThan(0);
  });
});

describe('target firms: a firm’s linkage factor, read without listing its links', () => {
  // RELAY_INDIRECT_AND_ALIKE, and paths that are none.
  const world = fiveLinkedWorld(
    'factor',
    [],
    [
      ...RELAY_INDIRECT_AND_ALIKE,
      // Paths that are no indirect link: through a local firm (`hidden` supplies the local firm but lies in the
      // region itself; its source, PUBLIC, makes it no direct link either when only PLAN is asked for — its links
      // are PLAN, as the test graph marks a link illustrative only), and through an outside firm that supplies no
      // local one (`stray` supplies an outside firm only).
      { id: 'hidden', region: 'home', segments: [], source: 'PUBLIC', supplies: ['local'] },
      { id: 'through-local', region: 'near', segments: ['gap'], sizeBand: 'SMALL', supplies: ['hidden'] },
      { id: 'stray', region: 'near', segments: [], supplies: ['alike-0'] },
      { id: 'through-stray', region: 'near', segments: ['gap'], sizeBand: 'SMALL', supplies: ['stray'] },
      // A path back to the firm itself is no indirect link either: `round-trip`, local, supplies `turn`, outside,
      // which supplies `round-trip` only.
      { id: 'round-trip', region: 'home', segments: ['gap'], supplies: ['turn'] },
      { id: 'turn', region: 'near', segments: [], supplies: ['round-trip'] },
    ],
  );

  it('reads each firm’s linkage factor as the links listed for it give it, with no path through a local firm', async () => {
    const { executor } = world.database;
    const regionId = world.graph.id('home');
    const locals = [
      'local',
      ...[0, 1, 2, 3, 4].map((index) => `linked-${index}`),
      'relay',
      'indirect',
      'hidden',
      'through-local',
      'stray',
      'through-stray',
      'round-trip',
      'turn',
      ...Array.from({ length: 10 }, (_, index) => `alike-${index}`),
    ];
    const ids = locals.map((local) => world.graph.id(local));
    // The factor the evidence gives (readCandidateLinks walks every link, the plain way), firm by firm.
    const fromLinks = async (sources: Sources) => {
      const links = await readCandidateLinks(executor, { regionId, ids, sources });
      return new Map(
        ids.map((id) => {
          const listed = links.get(id);
          const factor = !listed
            ? 0
            : listed.suppliesLocal.length > 0
              ? 1
              : listed.buysFromLocal.length > 0
                ? 0.7
                : listed.indirect.length > 0
                  ? 0.4
                  : 0;
          return [world.graph.local(id), factor];
        }),
      );
    };
    const read = async (sources: Sources, indirectOnly: boolean) => {
      const linkage = await readCandidateLinkage(executor, { regionId, ids, sources, indirectOnly });
      return new Map(ids.map((id) => [world.graph.local(id), linkage.get(id)]));
    };
    for (const sources of [['PLAN'], ['PLAN', 'PUBLIC']] as const) {
      const expected = await fromLinks(sources);
      expect(await read(sources, false)).toEqual(expected);
      // Looking for the indirect link only gives the same for every firm without a direct one.
      const indirectOnly = await read(sources, true);
      for (const [local, factor] of expected)
        if (factor <= LINKAGE_VALUE.INDIRECT)
          expect([local, indirectOnly.get(local)]).toEqual([local, factor]);
    }
    const planOnly = await read(['PLAN'], false);
    expect(planOnly.get('linked-0')).toBe(1);
    expect(planOnly.get('indirect')).toBe(0.4);
    // `hidden` lies in the region: the path through it is no indirect link, and its own source (PUBLIC, not asked
    // for) makes it no direct one.
    expect(planOnly.get('through-local')).toBe(0);
    expect(planOnly.get('through-stray')).toBe(0);
    expect(planOnly.get('round-trip')).toBe(0);
    // With PUBLIC asked for, `hidden` is a local firm that `through-local` supplies directly.
    expect((await read(['PLAN', 'PUBLIC'], false)).get('through-local')).toBe(1);
    // Firms that keep no home ids (a store whose keys are being built) are placed by their LOCATED_IN: the same.
    await executor.write(
      'test',
      cypher(`UNWIND $ids AS id MATCH (e:${L.Enterprise} { id: id }) REMOVE e.rankHomeIds`, { ids }),
    );
    for (const sources of [['PLAN'], ['PLAN', 'PUBLIC']] as const)
      expect(await read(sources, false)).toEqual(await fromLinks(sources));
  });
});

describe('target firms: a walk weighs each firm it reads by where it lies', () => {
  // As above, five small linked firms near the region are the top five, and two large leading high-tech firms
  // without a link near it come first in the walk. Two more such firms lie 3,000 km away (beyond the proximity
  // horizon, out of any priority region): their capability would lift them to the top from the nearest region,
  // not from where they lie. Every firm is in the gap's lane, so the walk reads all of their rows.
  const world = fiveLinkedWorld(
    'far',
    [{ id: 'far', lat: 30, lon: 80 }],
    [
      ...strongFirms('near', ['near-strong-0', 'near-strong-1']),
      ...strongFirms('far', ['far-strong-0', 'far-strong-1']),
    ],
  );

  it('reads the facts of the near firms only, and ranks what the plain full ranking gives', async () => {
    const { fast, factsRead } = await rankAgainstPlain(
      world.database,
      world.graph,
      await gapRequest(world.database.executor, world.graph),
    );
    expect(fast.stats.linkedComplete).toBe(true);
    // The walk read the far firms' rows (they come first, with the near strong ones) and none of their facts.
    expect(fast.stats.rowsRead).toBeGreaterThanOrEqual(4);
    expect(factsRead.map((id) => world.graph.local(id)).sort()).toEqual(['near-strong-0', 'near-strong-1']);
  });
});

describe('target firms: a walk weighs each firm it reads by the gaps its segments fill', () => {
  // Two gaps. As above, five small linked firms near the region, in both gaps, are the top five, and two large
  // leading high-tech firms without a link near it, in both gaps too, could reach them. Two more such firms are in
  // the first gap only: half the breadth, which keeps them under the fifth whatever else they are. The first gap's
  // walk reads their rows (the second gap is still walked, so an unread firm there could fill both), but it need
  // not read their facts.
  const world = fiveLinkedWorld(
    'breadth',
    [],
    [
      ...strongFirms('near', ['both-strong-0', 'both-strong-1']).map((firm) => ({
        ...firm,
        segments: ['gap', 'gap2'],
      })),
      ...strongFirms('near', ['one-strong-0', 'one-strong-1']),
    ],
    ['gap', 'gap2'],
  );

  it('reads the facts of the firms whose segments could lift them only, and ranks what the plain ranking gives', async () => {
    const gapIds = [world.graph.id('gap'), world.graph.id('gap2')];
    const request = {
      ...(await gapRequest(world.database.executor, world.graph)),
      scopeToGap: await readSegmentScopes(world.database.executor, gapIds),
      gaps: new Map(gapIds.map((segmentId) => [segmentId, { segmentId, name: segmentId, score: 80 }])),
    };
    const { fast, factsRead } = await rankAgainstPlain(world.database, world.graph, request);
    // The first gap's rows were read, the one-gap firms' among them.
    expect(fast.stats.rowsRead).toBeGreaterThanOrEqual(9);
    expect(factsRead.map((id) => world.graph.local(id)).sort()).toEqual(['both-strong-0', 'both-strong-1']);
  });
});

describe('target firms: the linked read keeps only firms of the gaps’ segments', () => {
  let database: TestDatabase;
  let graph: TestGraph;
  const prefix = `${filePrefix}-s`;

  beforeAll(async () => {
    database = await openTestDatabase();
    // Five outside firms supply the local one; two operate in the gap, three only in another segment. The three are
    // no candidates, so their facts must not be read (at 200,000 firms most of a city's linked firms are such).
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'home', lat: 30, lon: 114 },
        { id: 'far', lat: 36, lon: 114 },
      ],
      chain: 'chain',
      segments: [
        { id: 'gap', stage: 'MIDSTREAM' },
        { id: 'other', stage: 'UPSTREAM' },
      ],
      firms: [
        { id: 'local', region: 'home', segments: ['other'] },
        ...[0, 1].map((index) => ({
          id: `fits-${index}`,
          region: 'far',
          segments: ['gap'],
          sizeBand: 'SMALL' as const,
          supplies: ['local'],
        })),
        ...[0, 1, 2].map((index) => ({
          id: `elsewhere-${index}`,
          region: 'far',
          segments: ['other'],
          sizeBand: 'LARGE' as const,
          supplies: ['local'],
        })),
      ],
    });
    await refreshAggregates(database.executor);
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('reads the facts of the linked firms in the gap only, and ranks what the walk without it ranks', async () => {
    const { fast } = await rankWithAndWithoutLinkedRead(
      database.executor,
      await gapRequest(database.executor, graph),
    );
    // Of the five links walked only the two to firms of the gap count: the others' far firms are ruled out by their
    // kept keys before the link's source is read.
    expect(fast.stats.linkedLinks).toBe(2);
    expect(fast.stats.linkedRead).toBe(2);
    expect(fast.ranked.map((recommendation) => recommendation.candidate.id)).toEqual([
      graph.id('fits-0'),
      graph.id('fits-1'),
    ]);
  });

  it('tests the operations’ provenance from the keys a firm keeps as walking them does, capability and homes alike', async () => {
    // fits-1 works in the gap by an illustrative operation only: a filter without ILLUSTRATIVE leaves it out. fits-0
    // is a PUBLIC firm now, which its shipped source must say.
    await database.executor.write(
      'test-operation-source',
      cypher(
        `MATCH (:Enterprise { id: $id })-[o:OPERATES_IN]->(:ChainSegment { id: $gapId }) SET o.source = 'ILLUSTRATIVE'
         WITH count(*) AS done
         MATCH (public:Enterprise { id: $publicId }) SET public.source = 'PUBLIC'`,
        { id: graph.id('fits-1'), gapId: graph.id('gap'), publicId: graph.id('fits-0') },
      ),
    );
    // Recorded as a write path records it, so that the refresh recomputes the firms' keys.
    await database.executor.write(
      'test-operation-source',
      recordChangeQuery(
        {
          enterpriseIds: [graph.id('fits-0'), graph.id('fits-1')],
          platformIds: [],
          structural: false,
          shape: false,
        },
        [graph.id('far')],
      ),
    );
    await refreshAggregates(database.executor);
    /** The firms the linked read ships, as it ships them ([id, source, linkage, capability, homes, segments]), by id. */
    const shipped = async (sources: readonly ('PLAN' | 'PUBLIC' | 'ILLUSTRATIVE')[]) => {
      const [row] = await database.executor.read(
        'test-linked',
        linkedCandidatesQuery({
          regionId: graph.id('home'),
          scopeIds: [graph.id('gap')],
          sources,
          maxLocals: 100,
          maxLinks: 100,
        }),
      );
      return (
        (row?.['firms'] as [string, string, number, unknown, string[], unknown][] | undefined) ?? []
      ).sort((a, b) => a[0].localeCompare(b[0]));
    };
    const linked = async (sources: readonly ('PLAN' | 'PUBLIC' | 'ILLUSTRATIVE')[]) =>
      (await shipped(sources)).map(([id, source, linkage, capability, homes]) => [
        id,
        source,
        linkage,
        Number(capability),
        homes,
      ]);
    // The gaps' segments each shipped firm operates in (of the sources asked for), from its keys: null without them.
    const segmentsShipped = async (sources: readonly ('PLAN' | 'PUBLIC' | 'ILLUSTRATIVE')[]) =>
      (await shipped(sources)).map(([id, , , , , segmentIds]) => [id, segmentIds]);
    expect(await segmentsShipped(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toEqual([
      [graph.id('fits-0'), [graph.id('gap')]],
      [graph.id('fits-1'), [graph.id('gap')]],
    ]);
    const kept = {
      real: await linked(['PLAN', 'PUBLIC']),
      all: await linked(['PLAN', 'PUBLIC', 'ILLUSTRATIVE']),
    };
    expect(kept.real.map(([id]) => id)).toEqual([graph.id('fits-0')]);
    expect(kept.all.map(([id, source]) => [id, source])).toEqual([
      [graph.id('fits-0'), 'PUBLIC'],
      [graph.id('fits-1'), 'PLAN'],
    ]);
    // SMALL, no flags, no platform: 1,600; the home is `far`.
    expect(kept.all.map(([, , linkage, capability, homes]) => [linkage, capability, homes])).toEqual([
      [1, 1600, [graph.id('far')]],
      [1, 1600, [graph.id('far')]],
    ]);
    // Without the keys (a store whose keys are being built) the operations are walked: the same firms and facts.
    await database.executor.write(
      'test-drop-keys',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         REMOVE e.rankOperationKeys, e.rankCapabilityKey, e.rankHomeIds, e.rankHomeKeys, e.rankSegmentIds,
                e.rankLinkFacts`,
        { prefix },
      ),
    );
    expect(await linked(['PLAN', 'PUBLIC'])).toEqual(kept.real);
    expect(await linked(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toEqual(kept.all);
    expect(await segmentsShipped(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toEqual([
      [graph.id('fits-0'), null],
      [graph.id('fits-1'), null],
    ]);
  });
});

describe('target firms: the linked read ships the best-bounded linked firms first', () => {
  let database: TestDatabase;
  let graph: TestGraph;
  const prefix = `${filePrefix}-o`;

  beforeAll(async () => {
    database = await openTestDatabase();
    // Twelve outside firms with a direct link, in every mix of linkage and capability: large leading suppliers far
    // away, small suppliers near by, medium and micro buyers of the local firm. The read ships them best bound first
    // (linkage and capability, at the best proximity), a page at a time.
    graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'home', lat: 30, lon: 114 },
        { id: 'near', lat: 30.5, lon: 114 },
        { id: 'far', lat: 40, lon: 114 },
      ],
      chain: 'chain',
      segments: [{ id: 'gap', stage: 'MIDSTREAM' }],
      firms: [
        {
          id: 'local',
          region: 'home',
          segments: [],
          supplies: [0, 1, 2, 3, 4, 5].map((index) => `buyer-${index}`),
        },
        ...[0, 1].map((index) => ({
          id: `strong-${index}`,
          region: 'far',
          segments: ['gap'],
          sizeBand: 'LARGE' as const,
          leading: true,
          supplies: ['local'],
        })),
        ...[0, 1, 2, 3].map((index) => ({
          id: `small-${index}`,
          region: 'near',
          segments: ['gap'],
          sizeBand: 'SMALL' as const,
          supplies: ['local'],
        })),
        ...[0, 1, 2, 3, 4, 5].map((index) => ({
          id: `buyer-${index}`,
          region: index % 2 === 0 ? 'near' : 'far',
          segments: ['gap'],
          sizeBand: index < 3 ? ('MEDIUM' as const) : ('MICRO' as const),
        })),
      ],
    });
    await refreshAggregates(database.executor);
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('ranks what the walk without it ranks whatever the page, reading again only when a firm left out could reach the top', async () => {
    const request = await gapRequest(database.executor, graph);
    for (const first of [1, 2, 5, 12]) {
      const reference = await readRankedCandidates(database.executor, {
        ...request,
        first,
        linkedLimits: NO_LINKED_READ,
      });
      expect(reference.ranked).toHaveLength(first);
      for (const linkedPage of [0, 1, 2, 4, 6, 11, 12, 1_000]) {
        const paged = await readRankedCandidates(database.executor, { ...request, first, linkedPage });
        expect(paged.stats.linkedComplete).toBe(true);
        expect(shapeOf(paged.ranked), `first ${first}, page ${linkedPage}`).toEqual(
          shapeOf(reference.ranked),
        );
        // Every linked firm is shipped once, by one read or two.
        expect(paged.stats.linkedShipped).toBe(paged.stats.linkedReads === 1 ? Math.min(linkedPage, 12) : 12);
        // A page that holds them all, or fewer than `first`, decides the reads alone.
        if (linkedPage >= 12) expect(paged.stats.linkedReads).toBe(1);
        if (linkedPage < first) expect(paged.stats.linkedReads).toBe(2);
      }
    }
  });

  it('stops after the first page when the firms left out cannot reach the first-th best', async () => {
    // The two large leading suppliers lead every other linked firm by their capability (a fifth of the score's
    // capability weight and more): with them shipped first, a page of two settles the top two.
    // The ten firms left unshipped are linked ones: once the read is done, the walks look for an indirect link only
    // (readCandidateLinkage's indirectOnly), and the ranking is still the one without the linked read.
    const request = { ...(await gapRequest(database.executor, graph)), first: 2 };
    const paged = await readRankedCandidates(database.executor, { ...request, linkedPage: 2 });
    expect(paged.stats.linkedReads).toBe(1);
    expect(paged.stats.linkedShipped).toBe(2);
    expect(paged.ranked.map((recommendation) => recommendation.candidate.id)).toEqual([
      graph.id('strong-0'),
      graph.id('strong-1'),
    ]);
    const reference = await readRankedCandidates(database.executor, {
      ...request,
      linkedLimits: NO_LINKED_READ,
    });
    expect(shapeOf(paged.ranked)).toEqual(shapeOf(reference.ranked));
  });

  it('without words or evidence, scores from the linkage it read and lists no link; linkage weighing nothing too', async () => {
    // Three outside firms in the gap: one supplies the local firm (linkage 1), one buys from it (0.7), one has no
    // link (0). With linkage weighing nothing the ranking reads no linkage; the values shown must still be read.
    const own = `${filePrefix}-w`;
    const small = await createOneGapGraph(database.executor, own, [
      { id: 'local', region: 'home', segments: [], supplies: ['buyer'] },
      { id: 'supplier', region: 'far', segments: ['gap'], sizeBand: 'SMALL' as const, supplies: ['local'] },
      { id: 'buyer', region: 'far', segments: ['gap'], sizeBand: 'MEDIUM' as const },
      { id: 'none', region: 'far', segments: ['gap'], sizeBand: 'LARGE' as const },
    ]);
    try {
      await refreshAggregates(database.executor);
      const ownRequest = await gapRequest(database.executor, small);
      // With the linked read off too, nothing before the end has read the linkage of any firm.
      for (const [weights, linkedLimits] of [
        [withDefaultWeights(null), ownRequest.linkedLimits],
        [withDefaultWeights({ linkage: 0 }), ownRequest.linkedLimits],
        [withDefaultWeights({ linkage: 0 }), NO_LINKED_READ],
      ] as const) {
        const explained = await readRankedCandidates(database.executor, {
          ...ownRequest,
          weights,
          linkedLimits,
        });
        const lean = await readRankedCandidates(database.executor, {
          ...ownRequest,
          weights,
          linkedLimits,
          explain: false,
        });
        expect(shapeOf(lean.ranked)).toEqual(shapeOf(explained.ranked));
        expect(explained.stats.linksRead).toBe(3);
        expect(lean.stats.linksRead).toBe(0);
        expect(lean.ranked.every((recommendation) => recommendation.evidence.length === 0)).toBe(true);
        const linkageOf = (id: string) =>
          lean.ranked
            .find((recommendation) => recommendation.candidate.id === small.id(id))
            ?.factors.find((factor) => factor.name === 'LINKAGE')?.value;
        expect([linkageOf('supplier'), linkageOf('buyer'), linkageOf('none')]).toEqual([1, 0.7, 0]);
      }
    } finally {
      await deleteByPrefix(database.executor, own);
    }
  });

  it('counts, while it walks, only the platforms a firm hosts of the sources asked for', async () => {
    // Two outside firms alike but for two ILLUSTRATIVE platforms the second hosts. Counting real data only, they
    // tie and the first by id leads; were the walk to count every platform, it would take the host for the better.
    const own = `${filePrefix}-p`;
    const small = await createOneGapGraph(database.executor, own, [
      { id: 'local', region: 'home', segments: [] },
      { id: 'a-plain', region: 'far', segments: ['gap'], sizeBand: 'SMALL' as const },
      { id: 'b-hosts', region: 'far', segments: ['gap'], sizeBand: 'SMALL' as const },
    ]);
    try {
      const platformIds = [0, 1].map((index) => small.id(`illustrative-${index}`));
      await upsertAll(
        database.executor,
        'test-platforms',
        [
          {
            label: L.Platform,
            rows: platformIds.map((id) => ({ id, name: 'illustrative', source: 'ILLUSTRATIVE' })),
          },
        ],
        [
          {
            type: T.HOSTED_BY,
            from: L.Platform,
            to: L.Enterprise,
            rows: platformIds.map((id) => ({
              from: id,
              to: small.id('b-hosts'),
              properties: { source: 'ILLUSTRATIVE' },
            })),
          },
        ],
      );
      await refreshAggregates(database.executor);
      const ownRequest = await gapRequest(database.executor, small);
      const real = await readRankedCandidates(database.executor, { ...ownRequest, first: 1 });
      expect(real.ranked.map((recommendation) => recommendation.candidate.id)).toEqual([small.id('a-plain')]);
      const every = await readRankedCandidates(database.executor, {
        ...ownRequest,
        first: 1,
        sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'],
      });
      expect(every.ranked.map((recommendation) => recommendation.candidate.id)).toEqual([
        small.id('b-hosts'),
      ]);
    } finally {
      await deleteByPrefix(database.executor, own);
    }
  });
});
