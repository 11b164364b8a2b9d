import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rankIndexVersionSubquery, refreshAggregates } from '../../src/analytics/aggregates.js';
import { readRankedCandidates } from '../../src/analytics/candidates.js';
import { readSegmentScopes } from '../../src/analytics/facts.js';
import type { CachedStructures } from '../../src/analytics/structureCache.js';
import { withDefaultWeights, type GapInScope } from '../../src/analytics/targets.js';
import type { Executor } from '../../src/data/executor.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraphSpec } from '../support/graphBuilder.js';

/**
 * A ranking leaves out the walks an earlier ranking found empty under the same rank index version (candidates.ts
 * EmptyWalks), and walks them after all when the version it reads with its first round has moved: a firm that a
 * refresh put into a lane found empty before is ranked as a fresh ranking ranks it. Until `first` candidates are
 * known, the walks' chosen firms have their facts read a few at a time, best bound first; the ranking is the same.
 */

const filePrefix = uniquePrefix('emptywalks');
const SEGMENTS = ['s0', 's1', 's2'];

/**
 * One region at home, one away; three gap segments with 30 illustrative firms each and one public firm in s0: the
 * real-data ranking (PLAN and PUBLIC) walks three provenance lanes of each segment in two roles, and all but one of
 * them are empty. `extra` firms are added as given.
 */
const specWith = (extra: TestGraphSpec['firms'] = []): TestGraphSpec => ({
  regions: [
    { id: 'home', lat: 30, lon: 114 },
    { id: 'away', lat: 31, lon: 114 },
  ],
  chain: 'chain',
  segments: SEGMENTS.map((id) => ({ id, stage: 'MIDSTREAM' as const })),
  firms: [
    { id: 'local', region: 'home', segments: [] },
    ...SEGMENTS.flatMap((segment) =>
      Array.from({ length: 30 }, (_, index) => ({
        id: `crowd-${segment}-${String(index).padStart(2, '0')}`,
        region: 'away',
        segments: [segment],
        sizeBand: 'LARGE' as const,
        source: 'ILLUSTRATIVE' as const,
      })),
    ),
    { id: 'real0', region: 'away', segments: ['s0'], sizeBand: 'SMALL', source: 'PUBLIC' },
    ...extra,
  ],
});

/** A structure cache of one version, as a service's is between two shape writes. */
function structureCache(executor: Executor): CachedStructures {
  const kept = new Map<string, Promise<unknown>>();
  return <T>(key: string, load: (executor: Executor) => Promise<T>) => {
    if (!kept.has(key)) kept.set(key, load(executor));
    return kept.get(key) as Promise<T>;
  };
}

describe('target firms: walks found empty', () => {
  let database: TestDatabase;
  const prefix = `${filePrefix}-g`;

  beforeAll(async () => {
    database = await openTestDatabase();
  });

  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('leaves out the walks found empty under the same version, and walks them again once it moved', async () => {
    const executor = database.executor;
    const graph = await createTestGraph(executor, prefix, specWith());
    await refreshAggregates(executor);
    const gaps = new Map<string, GapInScope>(
      SEGMENTS.map((segment) => [
        graph.id(segment),
        { segmentId: graph.id(segment), name: segment, score: 100 },
      ]),
    );
    const scopeToGap = await readSegmentScopes(executor, [...gaps.keys()]);
    const rank = (structures?: CachedStructures, only?: string) =>
      readRankedCandidates(executor, {
        regionId: graph.id('home'),
        scopeToGap:
          only === undefined ? scopeToGap : new Map([...scopeToGap].filter(([, gapId]) => gapId === only)),
        gaps: only === undefined ? gaps : new Map([...gaps].filter(([gapId]) => gapId === only)),
        weights: withDefaultWeights(null),
        first: 3,
        sources: ['PLAN', 'PUBLIC'],
        priorityRegionIds: [],
        scanLimit: 10_000,
        linkedLimits: { maxLocals: 10_000, maxLinks: 10_000 },
        ...(structures === undefined ? {} : { structures, rankIndexVersion: rankIndexVersionSubquery }),
      });
    const idsOf = (ranking: Awaited<ReturnType<typeof rank>>) =>
      ranking.ranked.map((recommendation) => [recommendation.candidate.id, recommendation.score]);

    const structures = structureCache(executor);
    const first = await rank(structures);
    expect(first.stats.walksSkipped).toBe(0);
    expect(idsOf(first)).toEqual([[graph.id('real0'), expect.any(Number)]]);
    // Three segments × three lanes × two roles; one of them holds the real firm.
    const second = await rank(structures);
    expect(second.stats.walksSkipped).toBe(17);
    expect(idsOf(second)).toEqual(idsOf(first));
    expect(second.stats.rounds).toBeLessThanOrEqual(first.stats.rounds);
    // A gap with no real firm: every walk left out, the version read alone with the linked read; no one ranked.
    const onlyEmpty = await rank(structures, graph.id('s2'));
    expect(onlyEmpty.stats.walksSkipped).toBe(6);
    expect(onlyEmpty.stats.rowsRead).toBe(0);
    expect(idsOf(onlyEmpty)).toEqual([]);

    // A public firm in s1 — a lane found empty — and its keys written by the refresh: the version moves.
    await createTestGraph(
      executor,
      prefix,
      specWith([
        { id: 'real1', region: 'away', segments: ['s1'], sizeBand: 'LARGE', leading: true, source: 'PUBLIC' },
      ]),
    );
    await refreshAggregates(executor);
    const afterWrite = await rank(structures);
    const fresh = await rank();
    expect(idsOf(fresh).map(([id]) => id)).toEqual([graph.id('real1'), graph.id('real0')]);
    expect(idsOf(afterWrite)).toEqual(idsOf(fresh));
    // It left the walks out, read the moved version with its first round, and walked them after all.
    expect(afterWrite.stats.walksSkipped).toBe(17);
    // That ranking started the set afresh under the new version with its first round, which held none of the walks
    // it had left out: the next one walks them all and learns them, and the one after leaves out one fewer.
    const next = await rank(structures);
    expect(next.stats.walksSkipped).toBe(0);
    expect(idsOf(next)).toEqual(idsOf(fresh));
    const last = await rank(structures);
    expect(last.stats.walksSkipped).toBe(16);
    expect(idsOf(last)).toEqual(idsOf(fresh));
  }, 120_000);

  it('reads the facts of the best-bounded chosen firms first while no first-th best is known, same ranking', async () => {
    const executor = database.executor;
    const many = `${prefix}-many`;
    // 60 public firms in s0, at two distances and two sizes: the first round chooses them all.
    const spec: TestGraphSpec = {
      ...specWith(),
      regions: [...specWith().regions, { id: 'far', lat: 40, lon: 114 }],
      firms: [
        { id: 'local', region: 'home', segments: [] },
        ...Array.from({ length: 60 }, (_, index) => ({
          id: `p${String(index).padStart(2, '0')}`,
          region: index % 2 === 0 ? 'far' : 'away',
          segments: [{ id: 's0', role: 'CORE' as const }],
          sizeBand: index % 3 === 0 ? ('LARGE' as const) : ('SMALL' as const),
          source: 'PUBLIC' as const,
        })),
      ],
    };
    try {
      const graph = await createTestGraph(executor, many, spec);
      await refreshAggregates(executor);
      const gaps = new Map<string, GapInScope>([
        [graph.id('s0'), { segmentId: graph.id('s0'), name: 's0', score: 100 }],
      ]);
      const request = {
        regionId: graph.id('home'),
        scopeToGap: await readSegmentScopes(executor, [...gaps.keys()]),
        gaps,
        weights: withDefaultWeights(null),
        first: 5,
        sources: ['PLAN', 'PUBLIC'] as const,
        priorityRegionIds: [],
        scanLimit: 10_000,
        linkedLimits: { maxLocals: 10_000, maxLinks: 10_000 },
      };
      // A first page of 60 chooses every firm in one round; a page of 1 reads them a few a round.
      const inOneRound = await readRankedCandidates(executor, { ...request, firstPage: 60 });
      const inSmallRounds = await readRankedCandidates(executor, { ...request, firstPage: 1 });
      const shape = (ranking: typeof inOneRound) =>
        ranking.ranked.map((recommendation) => [recommendation.candidate.id, recommendation.score]);
      expect(shape(inOneRound)).toEqual(shape(inSmallRounds));
      // The best five: the large firms nearby (index 3, 9, 15, … of the odd ones, away).
      expect(shape(inOneRound).map(([id]) => id)).toEqual(
        ['p03', 'p09', 'p15', 'p21', 'p27'].map((id) => graph.id(id)),
      );
      // Of the 60 chosen, the 20 best-bounded were read first; the first-th best they gave ruled out the far ones.
      expect(inOneRound.stats.factsDeferred).toBe(40);
      expect(inOneRound.stats.walkFirmsRead).toBeLessThan(60);
    } finally {
      await deleteByPrefix(executor, many);
    }
  }, 120_000);
});
