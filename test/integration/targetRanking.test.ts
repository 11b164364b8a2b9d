import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import {
  candidateRankQuery,
  rankKeyParts,
  readRankedCandidates,
  walkQuery,
} from '../../src/analytics/candidates.js';
import { readCandidateLinks, readSegmentScopes } from '../../src/analytics/facts.js';
import {
  haversineKm,
  rankCandidates,
  withDefaultWeights,
  type CandidateFacts,
  type GapInScope,
  type TargetRecommendation,
  type WeightsInput,
} from '../../src/analytics/targets.js';
import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import {
  MAX_REGION_DEPTH,
  NodeLabel as L,
  DEFAULT_ANALYTICS_SOURCES,
  RelationshipType as T,
} from '../../src/data/model.js';
import { upsertAll } from '../../src/data/upsert.js';
import {
  deleteByPrefix,
  openTestDatabase,
  profiled,
  uniquePrefix,
  type TestDatabase,
} from '../support/database.js';
import { createTestGraph, type TestGraphSpec } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Target firms ranked in the database (issue 12). A differential test: random graphs, random weights, `first` and
 * `sources`; the answer of targetFirms over HTTP — and of the walk itself in many small rounds, and after an
 * incremental rank refresh — must equal the plain full ranking: every outside firm of the gaps' segments read,
 * its links read, all scored with rankCandidates (the approach before the rank index).
 */

const RUNS = Number(process.env['TARGET_RANKING_RUNS'] ?? 6);
const filePrefix = uniquePrefix('targetranking');
const PRIORITY_REGION = `${filePrefix}-prio`;
const PRIORITY_POSITION = { lat: 39.9, lon: 116.4 };

const SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] as const;
const ROLES = ['CORE', 'SUPPLIER', 'SERVICE'] as const;
const SIZES = ['LARGE', 'MEDIUM', 'SMALL', 'MICRO'] as const;
const STAGES = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'] as const;

/** Test regions: where they are and whether they lie in the priority region (all local ids). */
const REGIONS = {
  home: { lat: 38, lon: 114.5, parent: null, priority: false },
  homeChild: { lat: null, lon: null, parent: 'home', priority: false },
  near: { lat: 38.5, lon: 115, parent: PRIORITY_REGION, priority: true },
  prioNoCoords: { lat: null, lon: null, parent: PRIORITY_REGION, priority: true },
  far: { lat: 31.2, lon: 121.5, parent: null, priority: false },
  nowhere: { lat: null, lon: null, parent: null, priority: false },
} as const;
type RegionName = keyof typeof REGIONS;
const REGION_NAMES = Object.keys(REGIONS) as RegionName[];

interface World {
  readonly segments: { parent: number | null; stage: number; feeds: number[] }[];
  readonly firms: {
    region: RegionName;
    source: number;
    size: number;
    leading: boolean;
    highTech: boolean;
    operations: { segment: number; role: number; source: number }[];
    supplies: number[];
  }[];
  readonly platforms: { host: number; source: number; supports: number }[];
}

/** Firms of a world: their homes drawn from `regions`, with at most so many operations and supply links each. */
function firmsArbitrary(
  regions: fc.Arbitrary<RegionName>,
  most: { readonly operations: number; readonly supplies: number; readonly firms: readonly [number, number] },
): fc.Arbitrary<World['firms']> {
  return fc.array(
    fc.record({
      region: regions,
      source: fc.nat({ max: 2 }),
      size: fc.nat({ max: 3 }),
      leading: fc.boolean(),
      highTech: fc.boolean(),
      operations: fc.array(
        fc.record({ segment: fc.nat(), role: fc.nat({ max: 2 }), source: fc.nat({ max: 2 }) }),
        { minLength: 1, maxLength: most.operations },
      ),
      supplies: fc.array(fc.nat(), { maxLength: most.supplies }),
    }),
    { minLength: most.firms[0], maxLength: most.firms[1] },
  );
}

const worldArbitrary: fc.Arbitrary<World> = fc.record({
  segments: fc.array(
    fc.record({
      parent: fc.option(fc.nat(), { nil: null }),
      stage: fc.nat({ max: 2 }),
      feeds: fc.array(fc.nat(), { maxLength: 2 }),
    }),
    { minLength: 2, maxLength: 5 },
  ),
  firms: firmsArbitrary(fc.constantFrom(...REGION_NAMES), { operations: 3, supplies: 3, firms: [1, 40] }),
  platforms: fc.array(fc.record({ host: fc.nat(), source: fc.nat({ max: 2 }), supports: fc.nat() }), {
    maxLength: 8,
  }),
});

/**
 * Crowded worlds: many outside firms in one or two segments, a third of the firms local, frequent supply links, so
 * that the linked read finds much of the top and the walks then read rows whose firms it rules out by capability.
 */
const crowdedWorldArbitrary: fc.Arbitrary<World> = fc.record({
  segments: fc.array(
    fc.record({
      parent: fc.constant<number | null>(null),
      stage: fc.nat({ max: 2 }),
      feeds: fc.constant<number[]>([]),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  firms: firmsArbitrary(
    fc.constantFrom<RegionName>('home', 'home', 'homeChild', 'near', 'prioNoCoords', 'far', 'nowhere'),
    { operations: 2, supplies: 2, firms: [20, 60] },
  ),
  platforms: fc.array(fc.record({ host: fc.nat(), source: fc.nat({ max: 2 }), supports: fc.nat() }), {
    maxLength: 4,
  }),
});

const weightValue = fc.constantFrom(0, 0.05, 0.3, 1, 2, 7);
const requestArbitrary = fc.record({
  first: fc.integer({ min: 0, max: 8 }),
  weights: fc.option(
    fc
      .record({
        fit: weightValue,
        capability: weightValue,
        linkage: weightValue,
        proximity: weightValue,
        breadth: weightValue,
      })
      .filter((weights) => Object.values(weights).some((value) => value > 0)),
    { nil: null },
  ),
  sources: fc.option(fc.subarray([...SOURCES], { minLength: 1 }), { nil: null }),
});

/** Writes the world under a fresh prefix: the shared graph builder, then platforms hosted by firms and the sources of operations. */
async function writeWorld(executor: Executor, prefix: string, world: World) {
  const segmentCount = world.segments.length;
  const segmentId = (index: number) => `s${index % segmentCount}`;
  const firmId = (index: number) => `f${index}`;
  const spec: TestGraphSpec = {
    regions: REGION_NAMES.map((name) => ({
      id: name,
      ...(REGIONS[name].lat !== null ? { lat: REGIONS[name].lat, lon: REGIONS[name].lon } : {}),
      ...(REGIONS[name].parent !== null ? { parent: REGIONS[name].parent } : {}),
    })),
    externalParents: { [PRIORITY_REGION]: PRIORITY_REGION },
    chain: 'chain',
    segments: world.segments.map((segment, index) => ({
      id: `s${index}`,
      stage: STAGES[segment.stage]!,
      // Only earlier segments can be broader, so the SUBSEGMENT_OF tree has no cycle.
      ...(index > 0 && segment.parent !== null ? { parent: `s${segment.parent % index}` } : {}),
      feeds: [...new Set(segment.feeds.map(segmentId))].filter((target) => target !== `s${index}`),
    })),
    firms: world.firms.map((firm, index) => ({
      id: firmId(index),
      region: firm.region,
      segments: [...new Map(firm.operations.map((op) => [segmentId(op.segment), op])).values()].map((op) => ({
        id: segmentId(op.segment),
        role: ROLES[op.role]!,
        products: [`p${op.segment % segmentCount}`],
      })),
      supplies: [...new Set(firm.supplies.map((target) => firmId(target % world.firms.length)))].filter(
        (target) => target !== firmId(index),
      ),
      leading: firm.leading,
      highTech: firm.highTech,
      sizeBand: SIZES[firm.size]!,
      source: SOURCES[firm.source]!,
    })),
    platforms: world.platforms.map((platform, index) => ({
      id: `pl${index}`,
      region: 'home',
      supports: [segmentId(platform.supports)],
    })),
  };
  const graph = await createTestGraph(executor, prefix, spec);
  const id = (local: string) => graph.id(local);
  await upsertAll(
    executor,
    'test-graph-extra',
    [
      {
        label: L.Platform,
        mode: 'merge',
        rows: world.platforms.map((platform, index) => ({
          id: id(`pl${index}`),
          source: SOURCES[platform.source]!,
        })),
      },
    ],
    [
      {
        type: T.HOSTED_BY,
        from: L.Platform,
        to: L.Enterprise,
        rows: world.platforms.map((platform, index) => ({
          from: id(`pl${index}`),
          to: id(firmId(platform.host % world.firms.length)),
          properties: { source: 'ILLUSTRATIVE' },
        })),
      },
      {
        type: T.OPERATES_IN,
        from: L.Enterprise,
        to: L.ChainSegment,
        mode: 'merge',
        rows: world.firms.flatMap((firm, index) =>
          [...new Map(firm.operations.map((op) => [segmentId(op.segment), op])).values()].map((op) => ({
            from: id(firmId(index)),
            to: id(segmentId(op.segment)),
            properties: { source: SOURCES[op.source]! },
          })),
        ),
      },
    ],
  );
  return graph;
}

interface Answer {
  gaps: { segment: { id: string; name: string }; score: number }[];
  recommendations: {
    enterprise: { id: string };
    score: number;
    factors: { name: string; value: number }[];
    fills: { segment: { id: string } }[];
    distanceKm: number | null;
  }[];
}

/**
 * The same ranking with the factors' words and the evidence: the only selection that has the ranked firms' links
 * listed (TARGET_QUERY scores them from the linkage read for the ranking).
 */
const EXPLAINED_QUERY = `query Explained($chainId: ID, $regionId: ID!, $first: Int, $weights: TargetWeights, $sources: [ProvenanceSource!]) {
  targetFirms(chainId: $chainId, regionId: $regionId, first: $first, weights: $weights, sources: $sources) {
    recommendations { enterprise { id } score factors { name value explanation } evidence { description } }
  }
}`;

interface ExplainedAnswer {
  recommendations: {
    enterprise: { id: string };
    score: number;
    factors: { name: string; value: number; explanation: string }[];
    evidence: { description: string }[];
  }[];
}

/** A comparable form of a ranking with its words. */
const explainedShapeOf = (recommendations: readonly TargetRecommendation[]) =>
  recommendations.map((recommendation) => ({
    id: recommendation.candidate.id,
    score: recommendation.score,
    factors: recommendation.factors.map((factor) => [factor.name, factor.value, factor.explanation]),
    evidence: recommendation.evidence.map((evidence) => evidence.description),
  }));

const TARGET_QUERY = `query Targets($chainId: ID, $regionId: ID!, $first: Int, $weights: TargetWeights, $sources: [ProvenanceSource!]) {
  targetFirms(chainId: $chainId, regionId: $regionId, first: $first, weights: $weights, sources: $sources) {
    gaps { segment { id name } score }
    recommendations { enterprise { id } score factors { name value } fills { segment { id } } distanceKm }
  }
}`;

/** A comparable form of a ranking. */
const shapeOf = (recommendations: readonly TargetRecommendation[]) =>
  recommendations.map((recommendation) => ({
    id: recommendation.candidate.id,
    score: recommendation.score,
    factors: recommendation.factors.map((factor) => [factor.name, factor.value]),
    fills: recommendation.fills,
    distanceKm: recommendation.candidate.distanceKm,
  }));

/**
 * The plain full ranking, as targetFirms computed it before the rank index: every outside firm of the gaps'
 * segments (one statement, no index), the supply links of all of them, rankCandidates over all.
 */
async function plainRanking(
  executor: Executor,
  prefix: string,
  request: {
    regionId: string;
    gaps: ReadonlyMap<string, GapInScope>;
    weights: WeightsInput | null;
    first: number;
    sources: readonly string[];
  },
): Promise<TargetRecommendation[]> {
  if (request.gaps.size === 0 || request.first === 0) return [];
  const scopeToGap = await readSegmentScopes(executor, [...request.gaps.keys()]);
  const rows = await executor.read(
    'plain-candidates',
    cypher(
      `MATCH (region:${L.Region} { id: $regionId })
       WITH COLLECT { MATCH (sub:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(region) RETURN sub } AS regions
       UNWIND $scopeIds AS scopeId
       MATCH (d:${L.ChainSegment} { id: scopeId })<-[op:${T.OPERATES_IN}]-(e:${L.Enterprise})-[:${T.LOCATED_IN}]->(home:${L.Region})
       WHERE op.source IN $sources AND e.source IN $sources AND NOT home IN regions
       WITH e, home, collect({ segmentId: d.id, segmentName: d.name, role: op.role, mainProducts: coalesce(op.mainProducts, []) }) AS operations
       RETURN e.id AS id, e.name AS name, e.sizeBand AS sizeBand, coalesce(e.leading, false) AS leading,
              coalesce(e.highTech, false) AS highTech, operations, home.id AS homeId,
              COUNT { MATCH (e)<-[:${T.HOSTED_BY}]-(p:${L.Platform}) WHERE p.source IN $sources } AS platformsHosted`,
      { regionId: request.regionId, scopeIds: [...scopeToGap.keys()], sources: request.sources },
    ),
  );
  // Positions and priority straight from the world's definition.
  const positionOf = (name: RegionName): { lat: number; lon: number } | null => {
    const region = REGIONS[name];
    if (region.lat !== null) return { lat: region.lat, lon: region.lon };
    if (region.parent === 'home') return positionOf('home');
    if (region.parent === PRIORITY_REGION) return PRIORITY_POSITION;
    return null;
  };
  const origin = positionOf('home')!;
  const candidates: CandidateFacts[] = rows.map((row) => {
    const homeName = String(row['homeId']).slice(prefix.length + 1) as RegionName;
    const position = positionOf(homeName);
    return {
      id: String(row['id']),
      name: String(row['name']),
      sizeBand: String(row['sizeBand']),
      leading: Boolean(row['leading']),
      highTech: Boolean(row['highTech']),
      platformsHosted: Number(row['platformsHosted']),
      operations: (
        row['operations'] as {
          segmentId: string;
          segmentName: string;
          role: string;
          mainProducts: string[];
        }[]
      )
        .map((operation) => ({
          ...operation,
          gapSegmentId: scopeToGap.get(operation.segmentId) ?? operation.segmentId,
        }))
        .sort((a, b) => (a.segmentId < b.segmentId ? -1 : 1)),
      suppliesLocal: [],
      buysFromLocal: [],
      indirect: [],
      inPriorityRegion: REGIONS[homeName].priority,
      distanceKm: position ? Math.round(haversineKm(origin, position) * 10) / 10 : null,
    };
  });
  const links = await readCandidateLinks(executor, {
    regionId: request.regionId,
    ids: candidates.map((candidate) => candidate.id),
    sources: request.sources,
  });
  return rankCandidates(
    candidates.map((candidate) => ({ ...candidate, ...links.get(candidate.id) })),
    request.gaps,
    withDefaultWeights(request.weights),
  ).slice(0, request.first);
}

describe('target firms ranked in the database', () => {
  let database: TestDatabase;
  let server: TestServer;
  const prefixes: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    await upsertAll(
      database.executor,
      'test-priority-region',
      [
        {
          label: L.Region,
          rows: [
            {
              id: PRIORITY_REGION,
              name: 'priority',
              level: 'PROVINCE',
              ...PRIORITY_POSITION,
              source: 'ILLUSTRATIVE',
            },
          ],
        },
      ],
      [],
    );
    server = await serveTestApp(database.executor, {
      TARGET_PRIORITY_REGIONS: PRIORITY_REGION,
      MAX_QUERY_COST: '10000000',
    });
  });

  afterAll(async () => {
    await server?.close();
    for (const prefix of [...prefixes, filePrefix]) await deleteByPrefix(database.executor, prefix);
    await database?.close();
  });

  it('answers exactly what the plain full ranking gives, over HTTP, in small rounds, and after an incremental refresh', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArbitrary,
        requestArbitrary,
        fc.array(fc.nat(), { maxLength: 4 }),
        async (world, request, changed) => {
          const prefix = `${filePrefix}-${prefixes.length}`;
          prefixes.push(prefix);
          const graph = await writeWorld(database.executor, prefix, world);
          const regionId = graph.id('home');
          const variables = {
            chainId: graph.id('chain'),
            regionId,
            first: request.first,
            weights: request.weights,
            sources: request.sources,
          };
          const response = await postGraphQL<{ targetFirms: Answer }>(server.url, {
            query: TARGET_QUERY,
            variables,
          });
          expect(response.body.errors).toBeUndefined();
          const answer = response.body.data!.targetFirms;
          const gaps = new Map(
            answer.gaps.map((gap) => [
              gap.segment.id,
              { segmentId: gap.segment.id, name: gap.segment.name, score: gap.score },
            ]),
          );
          // No sources given: the analytics count real data (PLAN and PUBLIC) by default.
          const sources = request.sources ?? DEFAULT_ANALYTICS_SOURCES;
          const plain = await plainRanking(database.executor, prefix, {
            regionId,
            gaps,
            weights: request.weights,
            first: request.first,
            sources,
          });
          const expected = shapeOf(plain);
          expect(
            answer.recommendations.map((recommendation) => ({
              id: recommendation.enterprise.id,
              score: recommendation.score,
              factors: recommendation.factors.map((factor) => [factor.name, factor.value]),
              fills: recommendation.fills.map((fill) => fill.segment.id),
              distanceKm: recommendation.distanceKm,
            })),
          ).toEqual(expected);
          // Asked for words and evidence, it lists the ranked firms' links: the same ranking, and the plain one's words.
          const explained = await postGraphQL<{ targetFirms: ExplainedAnswer }>(server.url, {
            query: EXPLAINED_QUERY,
            variables,
          });
          expect(explained.body.errors).toBeUndefined();
          expect(
            explained.body.data!.targetFirms.recommendations.map((recommendation) => ({
              id: recommendation.enterprise.id,
              score: recommendation.score,
              factors: recommendation.factors.map((factor) => [
                factor.name,
                factor.value,
                factor.explanation,
              ]),
              evidence: recommendation.evidence.map((evidence) => evidence.description),
            })),
          ).toEqual(explainedShapeOf(plain));

          // The walk itself, one row per segment in its first round, so that it stops early wherever it can.
          const walk = async () =>
            readRankedCandidates(database.executor, {
              regionId,
              scopeToGap:
                gaps.size > 0 ? await readSegmentScopes(database.executor, [...gaps.keys()]) : new Map(),
              gaps,
              weights: withDefaultWeights(request.weights),
              first: request.first,
              sources,
              priorityRegionIds: [PRIORITY_REGION],
              scanLimit: database.config.targetScanLimit,
              linkedLimits: {
                maxLocals: database.config.targetLinkFirmsLimit,
                maxLinks: database.config.targetLinkLimit,
              },
              firstPage: 1,
            });
          expect(shapeOf((await walk()).ranked)).toEqual(expected);

          // Firms change size and flags and get platforms; only their rank keys are refreshed.
          const touched = [...new Set(changed.map((index) => index % world.firms.length))];
          if (touched.length > 0) {
            await upsertAll(
              database.executor,
              'test-change',
              [
                {
                  label: L.Enterprise,
                  mode: 'merge',
                  rows: touched.map((index) => ({
                    id: graph.id(`f${index}`),
                    sizeBand: SIZES[(world.firms[index]!.size + 1 + index) % 4]!,
                    leading: !world.firms[index]!.leading,
                  })),
                },
                {
                  label: L.Platform,
                  rows: touched.map((index) => ({
                    id: graph.id(`extra${index}`),
                    name: 'extra',
                    source: 'PLAN',
                  })),
                },
              ],
              [
                {
                  type: T.HOSTED_BY,
                  from: L.Platform,
                  to: L.Enterprise,
                  rows: touched.map((index) => ({
                    from: graph.id(`extra${index}`),
                    to: graph.id(`f${index}`),
                    properties: { source: 'PLAN' },
                  })),
                },
              ],
            );
            await database.executor.write(
              'test-rank-refresh',
              candidateRankQuery(touched.map((index) => graph.id(`f${index}`))),
            );
            const after = shapeOf(
              await plainRanking(database.executor, prefix, {
                regionId,
                gaps,
                weights: request.weights,
                first: request.first,
                sources,
              }),
            );
            expect(shapeOf((await walk()).ranked)).toEqual(after);
          }
          await deleteByPrefix(database.executor, prefix);
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000);

  it('skips the facts of walked firms that cannot reach the top, and still ranks what the plain full ranking gives', async () => {
    // In crowded worlds (crowdedWorldArbitrary) the walks read rows whose firms they rule out by their capability
    // (walkQuery's minCapabilityKey). The gaps and their scores are drawn, not computed, so every segment is a gap
    // whatever its counts. A short linked page (linkedPage) may leave linked firms unshipped, after which the walks
    // read linkage for the indirect link only (readCandidateLinkage's indirectOnly); how often a drawn world does so
    // is chance, so targetLinked.test.ts has that case by construction.
    let pruned = 0;
    await fc.assert(
      fc.asyncProperty(
        crowdedWorldArbitrary,
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 2 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        requestArbitrary.map((request) => request.weights),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        async (world, gapScores, first, firstPage, weights, linkedPage) => {
          const prefix = `${filePrefix}-${prefixes.length}`;
          prefixes.push(prefix);
          const graph = await writeWorld(database.executor, prefix, world);
          // The rank keys the walks read are written by the refresh that folds the writes into the aggregates.
          await refreshAggregates(database.executor);
          const regionId = graph.id('home');
          const gaps = new Map(
            world.segments.map((_, index) => {
              const segmentId = graph.id(`s${index}`);
              return [segmentId, { segmentId, name: `s${index}`, score: gapScores[index]! }];
            }),
          );
          const sources = [...SOURCES];
          const expected = shapeOf(
            await plainRanking(database.executor, prefix, { regionId, gaps, weights, first, sources }),
          );
          const walked = await readRankedCandidates(database.executor, {
            regionId,
            scopeToGap: await readSegmentScopes(database.executor, [...gaps.keys()]),
            gaps,
            weights: withDefaultWeights(weights),
            first,
            sources,
            priorityRegionIds: [PRIORITY_REGION],
            scanLimit: database.config.targetScanLimit,
            linkedLimits: {
              maxLocals: database.config.targetLinkFirmsLimit,
              maxLinks: database.config.targetLinkLimit,
            },
            firstPage,
            linkedPage,
          });
          expect(shapeOf(walked.ranked)).toEqual(expected);
          pruned += walked.stats.walkRowsSkipped;
          await deleteByPrefix(database.executor, prefix);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    // Not vacuous: some walked rows had their firm ruled out unread.
    expect(pruned).toBeGreaterThan(0);
  }, 600_000);

  /**
   * A chain of one segment, a gap in `home` (which holds no firm), the given firms in `away`, each in that segment, and
   * a service that walks at most 150 index rows a ranking (TARGET_SCAN_LIMIT); the caller closes it.
   */
  const oneGapWorld = async (
    name: string,
    firms: readonly Omit<TestGraphSpec['firms'][number], 'region' | 'segments'>[],
  ) => {
    const prefix = `${filePrefix}-${name}`;
    prefixes.push(prefix);
    const graph = await createTestGraph(database.executor, prefix, {
      regions: [
        { id: 'home', lat: 38, lon: 114.5 },
        { id: 'away', lat: 30, lon: 120 },
      ],
      chain: 'chain',
      segments: [{ id: 'gap', stage: 'MIDSTREAM' }],
      firms: firms.map((firm) => ({ ...firm, region: 'away', segments: ['gap'] })),
    });
    const limited = await serveTestApp(database.executor, {
      TARGET_SCAN_LIMIT: '150',
      MAX_QUERY_COST: '10000000',
    });
    return { prefix, regionId: graph.id('home'), chainId: graph.id('chain'), limited };
  };

  describe('one gap with one outstanding firm among 250 alike', () => {
    let prefix: string;
    let limited: TestServer;
    let regionId: string;
    let chainId: string;

    beforeAll(async () => {
      ({ prefix, regionId, chainId, limited } = await oneGapWorld('alike', [
        { id: 'star', sizeBand: 'LARGE', leading: true, highTech: true },
        ...Array.from({ length: 250 }, (_, index) => ({
          id: `alike${String(index).padStart(3, '0')}`,
          sizeBand: 'MICRO' as const,
        })),
      ]));
    });

    afterAll(async () => {
      await limited?.close();
    });

    it('reads the firms best-first and stops once no unread firm can reach the top', async () => {
      const response = await postGraphQL<{ targetFirms: Answer }>(limited.url, {
        query: TARGET_QUERY,
        variables: {
          chainId,
          regionId,
          first: 1,
          weights: { fit: 0, capability: 1, linkage: 0, proximity: 0, breadth: 0 },
        },
      });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data!.targetFirms.recommendations.map((r) => r.enterprise.id)).toEqual([
        `${prefix}-star`,
      ]);
      expect(response.body.data!.targetFirms.recommendations[0]!.score).toBe(85);
    });

    it('refuses with QUERY_TOO_COMPLEX, naming TARGET_SCAN_LIMIT, when the ranking cannot settle within it', async () => {
      // Linkage is unknown until read, so with the default weights any unread firm could still reach the top.
      const response = await postGraphQL<{ targetFirms: Answer }>(limited.url, {
        query: TARGET_QUERY,
        variables: { chainId, regionId, first: 1 },
      });
      expect(response.body.errors?.[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
      expect(response.body.errors?.[0]?.message).toMatch(/within 150 candidate rows.*TARGET_SCAN_LIMIT/);
      // The same request within the default limit is answered.
      const answered = await postGraphQL<{ targetFirms: Answer }>(server.url, {
        query: TARGET_QUERY,
        variables: { chainId, regionId, first: 1 },
      });
      expect(answered.body.errors).toBeUndefined();
      expect(answered.body.data!.targetFirms.recommendations.map((r) => r.enterprise.id)).toEqual([
        `${prefix}-star`,
      ]);
    });

    it('reads a page from the rank index in index order, with no sort and no expansion of the segment', async () => {
      const { operators } = await profiled(
        database,
        walkQuery({ lists: [{ segmentId: `${prefix}-gap`, after: '', before: '2' }], size: 10 }),
      );
      const names = operators.map((operator) => operator.operatorType);
      const dbHits = operators.reduce((sum, operator) => sum + Number(operator.dbHits), 0);
      process.stdout.write(
        `walk page of 10 over a segment of 251 firms: ${names.join(' <- ')}; ${dbHits} db hits\n`,
      );
      const seek = operators.find((operator) => /RelationshipIndexSeek/.test(operator.operatorType));
      expect(seek, names.join(', ')).toBeDefined();
      expect(String(seek!.arguments['Details'])).toMatch(
        /RANGE INDEX .*OPERATES_IN\(rankSegmentId, rankKey\)/,
      );
      expect(names.filter((name) => /Sort|Top/.test(name))).toEqual([]);
      // The seek stops after the page: it never produces the segment's 251 rows.
      expect(Number(seek!.rows)).toBeLessThanOrEqual(10);
    });
  });

  describe('one real firm below 250 illustrative ones that outrank it', () => {
    // The default ranking counts real data only (PLAN and PUBLIC): the walks must reach the real firm without reading
    // the illustrative crowd above it in the segment's rank order, which a scan limit of 150 rows cannot hold.
    let prefix: string;
    let limited: TestServer;
    let regionId: string;
    let chainId: string;

    beforeAll(async () => {
      ({ prefix, regionId, chainId, limited } = await oneGapWorld('crowd', [
        { id: 'real', sizeBand: 'MICRO', source: 'PUBLIC' },
        ...Array.from({ length: 250 }, (_, index) => ({
          id: `demo${String(index).padStart(3, '0')}`,
          sizeBand: 'LARGE' as const,
          leading: true,
          highTech: true,
          source: 'ILLUSTRATIVE' as const,
        })),
      ]));
    });

    afterAll(async () => {
      await limited?.close();
    });

    it('ranks the real firm by default, walking only the lanes of the sources asked for', async () => {
      const response = await postGraphQL<{ targetFirms: Answer }>(limited.url, {
        query: TARGET_QUERY,
        variables: { chainId, regionId, first: 3 },
      });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data!.targetFirms.recommendations.map((r) => r.enterprise.id)).toEqual([
        `${prefix}-real`,
      ]);
      // With every source the crowd is in the ranking, and above the real firm: the default's answer is not an
      // accident of an empty segment.
      const everySource = await postGraphQL<{ targetFirms: Answer }>(server.url, {
        query: TARGET_QUERY,
        variables: { chainId, regionId, first: 3, sources: [...SOURCES] },
      });
      expect(everySource.body.errors).toBeUndefined();
      expect(
        everySource.body.data!.targetFirms.recommendations.map((r) =>
          r.enterprise.id.startsWith(`${prefix}-demo`),
        ),
      ).toEqual([true, true, true]);
    });

    it('reads a lane from its own index in index order, with no sort', async () => {
      const { operators, records } = await profiled(
        database,
        walkQuery({
          // A public firm's operation the graph builder writes as PLAN: its lane is the pair.
          lists: [{ segmentId: `${prefix}-gap`, provenance: 'PLAN+PUBLIC', after: '', before: '2' }],
          size: 10,
        }),
      );
      const names = operators.map((operator) => operator.operatorType);
      const seek = operators.find((operator) => /RelationshipIndexSeek/.test(operator.operatorType));
      expect(seek, names.join(', ')).toBeDefined();
      expect(String(seek!.arguments['Details'])).toMatch(/RANGE INDEX .*OPERATES_IN\(rankLane, rankKey\)/);
      expect(names.filter((name) => /Sort|Top/.test(name))).toEqual([]);
      // The lane holds the one real firm: the 250 illustrative rows of the segment are never produced.
      expect(Number(seek!.rows)).toBe(1);
      const walked = records[0]!.get('walked') as [unknown, string, unknown, unknown][];
      // The key says who the firm is, where it is at home and what segments it operates in (rankKeyParts).
      expect(walked.map((list) => rankKeyParts(list[1]))).toEqual([
        { id: `${prefix}-real`, homeId: `${prefix}-away`, segmentIds: [`${prefix}-gap`] },
      ]);
    });
  });
});
