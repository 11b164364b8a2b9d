import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readLocalEnterprisesOfSegment, type Sources } from '../../src/analytics/facts.js';
import { random } from '../../src/generate/generator.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph, type TestGraphSpec } from '../support/graphBuilder.js';

/**
 * What losing a segment removes: the local firms operating in it (its narrower segments included). The statement
 * walks from the region's located firms or from the segment's operations, whichever has fewer relationships; both
 * sides, and the side it picks, must give what the graph's description says, on random graphs.
 */

const filePrefix = uniquePrefix('seglocals');

const REGIONS = [
  { id: 'province' },
  { id: 'city', parent: 'province' },
  { id: 'district-a', parent: 'city' },
  { id: 'district-b', parent: 'city' },
  { id: 'elsewhere' },
];
const SEGMENTS = [
  { id: 'top', stage: 'MIDSTREAM' as const },
  { id: 'narrow', stage: 'MIDSTREAM' as const, parent: 'top' },
  { id: 'narrowest', stage: 'MIDSTREAM' as const, parent: 'narrow' },
  { id: 'beside', stage: 'UPSTREAM' as const },
];
const SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] as const;

function randomSpec(seed: number): TestGraphSpec {
  // Seeded, so that a failing graph can be rebuilt from its seed.
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // Some regions crowded and some segments crowded, so that either side can be the cheaper one.
  const firms = Array.from({ length: 30 + Math.floor(next() * 40) }, (_, index) => ({
    id: `firm-${index}`,
    region: next() < 0.5 ? pick(['district-a', 'elsewhere']) : pick(REGIONS).id,
    segments: [...new Set(Array.from({ length: Math.floor(next() * 3) }, () => pick(SEGMENTS).id))],
    source: pick(SOURCES),
  }));
  return {
    regions: REGIONS,
    chain: 'chain',
    segments: SEGMENTS,
    firms,
    // Platforms are located in regions too, and operate in nothing: the region side must skip them.
    platforms: [0, 1, 2].map((index) => ({
      id: `platform-${index}`,
      region: pick(REGIONS).id,
      supports: [pick(SEGMENTS).id],
    })),
  };
}

/** The plain answer from the description: a link of an illustrative firm is illustrative, any other is PLAN. */
function expected(
  spec: TestGraphSpec,
  graph: TestGraph,
  request: { segmentId: string; regionId: string; sources: Sources },
): string[] {
  const within = (id: string, ancestor: string, parents: Map<string, string | undefined>) => {
    for (let current: string | undefined = id; current !== undefined; current = parents.get(current))
      if (current === ancestor) return true;
    return false;
  };
  const regionParents = new Map(spec.regions.map((region) => [region.id, region.parent]));
  const segmentParents = new Map(spec.segments.map((segment) => [segment.id, segment.parent]));
  return spec.firms
    .filter((firm) => {
      const source = firm.source ?? 'PLAN';
      const linkSource = source === 'ILLUSTRATIVE' ? 'ILLUSTRATIVE' : 'PLAN';
      return (
        request.sources.includes(source) &&
        request.sources.includes(linkSource) &&
        within(firm.region, graph.local(request.regionId), regionParents) &&
        firm.segments.some((segment) =>
          within(
            typeof segment === 'string' ? segment : segment.id,
            graph.local(request.segmentId),
            segmentParents,
          ),
        )
      );
    })
    .map((firm) => graph.id(firm.id))
    .sort();
}

describe('local enterprises of a segment, from either side', () => {
  let database: TestDatabase;
  const graphs: { spec: TestGraphSpec; graph: TestGraph; seed: number }[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    for (const seed of [11, 12, 13, 14]) {
      const spec = randomSpec(seed);
      const graph = await createTestGraph(database.executor, `${filePrefix}-${seed}`, spec);
      graphs.push({ spec, graph, seed });
    }
  });

  afterAll(async () => {
    for (const { graph } of graphs) await deleteByPrefix(database.executor, graph.prefix);
    await database?.close();
  });

  it('finds what the description says, from the region, from the segment and from the side it picks', async () => {
    let compared = 0;
    const sourceSets: Sources[] = [['PLAN', 'PUBLIC'], ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'], ['ILLUSTRATIVE']];
    for (const { spec, graph, seed } of graphs) {
      for (const region of ['province', 'city', 'district-a', 'elsewhere']) {
        for (const segment of ['top', 'narrow', 'beside']) {
          for (const sources of sourceSets) {
            const request = { segmentId: graph.id(segment), regionId: graph.id(region), sources };
            const want = expected(spec, graph, request);
            for (const side of [undefined, 'region', 'segment'] as const) {
              const got = await readLocalEnterprisesOfSegment(database.executor, {
                ...request,
                limit: 1_000,
                side,
              });
              expect(
                got,
                `seed ${seed}, ${segment} in ${region}, ${sources.join('+')}, ${side ?? 'picked'}`,
              ).toEqual(want);
            }
            compared += 1;
          }
        }
      }
    }
    expect(compared).toBe(4 * 4 * 3 * 3);
  });

  it('keeps the first `limit` by id', async () => {
    const { spec, graph } = graphs[0]!;
    const request = {
      segmentId: graph.id('top'),
      regionId: graph.id('province'),
      sources: ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] as Sources,
    };
    const all = expected(spec, graph, request);
    expect(all.length).toBeGreaterThan(3);
    for (const side of ['region', 'segment'] as const)
      expect(await readLocalEnterprisesOfSegment(database.executor, { ...request, limit: 3, side })).toEqual(
        all.slice(0, 3),
      );
  });
});
