import type { Executor } from '../../src/data/executor.js';
import { upsertAll } from '../../src/data/upsert.js';
import { toBatches } from '../../src/ingest/batches.js';
import type { Provenance, Records } from '../../src/ingest/records.js';

/** The provenance a test fact is given. */
type TestSource = 'PLAN' | 'PUBLIC' | 'ILLUSTRATIVE';

/**
 * A compact description of a small graph with known answers. Ids are local to the description; `createTestGraph`
 * prefixes every one of them, so each test owns its data and `deleteByPrefix` removes exactly it.
 */
export interface TestGraphSpec {
  readonly regions: readonly {
    id: string;
    parent?: string;
    lat?: number;
    lon?: number;
    /** How complete the region's firm data is (absent: inherited, else PARTIAL). */
    completeness?: 'CENSUS' | 'LISTED_ONLY' | 'PARTIAL';
  }[];
  /** Existing graph ids that test regions may hang under (not prefixed). */
  readonly externalParents?: Readonly<Record<string, string>>;
  readonly chain: string;
  readonly segments: readonly {
    id: string;
    stage: 'UPSTREAM' | 'MIDSTREAM' | 'DOWNSTREAM';
    kind?: 'PRODUCT' | 'SERVICE';
    parent?: string;
    /** The segments it feeds; a FEEDS link of another source than the graph's (PLAN) as `{ id, source }`. */
    feeds?: readonly (string | { id: string; source: TestSource })[];
  }[];
  readonly firms: readonly {
    id: string;
    region: string;
    segments: readonly (
      string | { id: string; role: 'CORE' | 'SUPPLIER' | 'SERVICE'; products?: string[] }
    )[];
    supplies?: readonly string[];
    leading?: boolean;
    highTech?: boolean;
    sizeBand?: 'LARGE' | 'MEDIUM' | 'SMALL' | 'MICRO';
    source?: TestSource;
    /** A stock code makes the firm listed (the location quotient's population); unique across the graph. */
    stockCode?: string;
    /** Operating revenue in million CNY. */
    revenue?: number;
  }[];
  readonly platforms?: readonly { id: string; region: string; supports: readonly string[] }[];
  readonly measures?: readonly { id: string; number: number; appliesToChain: boolean }[];
}

/**
 * Three segments in a line — upstream feeds midstream, midstream feeds downstream — the chain most analytics tests
 * build on.
 */
export function linearSegments(
  upstream = 'up',
  midstream = 'mid',
  downstream = 'down',
): TestGraphSpec['segments'] {
  return [
    { id: upstream, stage: 'UPSTREAM', feeds: [midstream] },
    { id: midstream, stage: 'MIDSTREAM', feeds: [downstream] },
    { id: downstream, stage: 'DOWNSTREAM' },
  ];
}

export interface TestGraph {
  readonly prefix: string;
  /** The graph id of a local id. */
  id(local: string): string;
  /** The local id of a graph id. */
  local(id: string): string;
}

/** The records of a test graph: the write model's, written through its toBatches() as seeds and imports are. */
export function testGraphRecords(prefix: string, spec: TestGraphSpec): Partial<Records> {
  const id = (local: string) => `${prefix}-${local}`;
  // A hand-worked graph stands for real data (PLAN), which the analytics count by default; a firm marked
  // ILLUSTRATIVE is a demo firm, and so are its links (no invented fact touches a real entity).
  const provenance: Provenance = { source: 'PLAN', section: 'test graph', note: 'test data' };
  const sourceOf = new Map(spec.firms.map((firm) => [firm.id, firm.source ?? 'PLAN']));
  /** A fact of the given source (a PLAN fact names its section of the plan). */
  const sourceProvenance = (source: TestSource, section = provenance.section): Provenance =>
    source === 'PLAN' ? { ...provenance, section } : { source, note: 'test data' };
  const linkProvenance = (...firmIds: string[]): Provenance => {
    const sources = firmIds.map((firmId) => sourceOf.get(firmId) ?? 'PLAN');
    return sources.includes('ILLUSTRATIVE') ? sourceProvenance('ILLUSTRATIVE') : provenance;
  };
  const measures = spec.measures ?? [];
  return {
    regions: spec.regions.map((region) => ({
      id: id(region.id),
      name: `${prefix} ${region.id}`,
      level: 'DISTRICT',
      parentId: region.parent && (spec.externalParents?.[region.parent] ?? id(region.parent)),
      coordinates:
        region.lat !== undefined && region.lon !== undefined
          ? { lat: region.lat, lon: region.lon }
          : undefined,
      completeness: region.completeness,
      provenance,
    })),
    chains: [{ id: id(spec.chain), name: `${prefix} chain`, industryIds: [], provenance }],
    segments: spec.segments.map((segment) => ({
      id: id(segment.id),
      chainId: id(spec.chain),
      name: `${prefix} ${segment.id}`,
      stage: segment.stage,
      kind: segment.kind,
      parentId: segment.parent && id(segment.parent),
      feeds: (segment.feeds ?? []).map((feed) =>
        typeof feed === 'string'
          ? id(feed)
          : { segmentId: id(feed.id), provenance: sourceProvenance(feed.source) },
      ),
      provenance,
    })),
    enterprises: spec.firms.map((firm) => ({
      id: id(firm.id),
      name: `${prefix} ${firm.id}`,
      regionId: id(firm.region),
      sizeBand: firm.sizeBand ?? 'SMALL',
      flags: {
        leading: firm.leading ?? false,
        highTech: firm.highTech ?? false,
        listed: firm.stockCode !== undefined,
        specialised: false,
      },
      stockCode: firm.stockCode,
      revenueCnyMillion: firm.revenue,
      provenance: sourceProvenance(firm.source ?? 'PLAN', 'test'),
    })),
    segmentLinks: spec.firms.flatMap((firm) =>
      firm.segments.map((segment) => {
        const operation = typeof segment === 'string' ? { id: segment, role: 'CORE' as const } : segment;
        return {
          enterpriseId: id(firm.id),
          segmentId: id(operation.id),
          role: operation.role,
          mainProducts: ('products' in operation ? operation.products : undefined) ?? [],
          provenance: linkProvenance(firm.id),
        };
      }),
    ),
    supplies: spec.firms.flatMap((firm) =>
      (firm.supplies ?? []).map((customer) => ({
        supplierId: id(firm.id),
        customerId: id(customer),
        products: [`${firm.id} goods`],
        provenance: linkProvenance(firm.id, customer),
      })),
    ),
    platforms: (spec.platforms ?? []).map((platform) => ({
      id: id(platform.id),
      name: `${prefix} ${platform.id}`,
      kind: 'KEY_LABORATORY',
      level: 'PROVINCIAL',
      regionId: id(platform.region),
      segmentIds: platform.supports.map(id),
      industryIds: [],
      provenance,
    })),
    // A measure belongs to a policy: one per test graph.
    policies:
      measures.length > 0
        ? [{ id: id('policy'), title: `${prefix} policy`, issuer: 'test', period: 'test', provenance }]
        : [],
    measures: measures.map((measure) => ({
      id: id(measure.id),
      policyId: id('policy'),
      number: measure.number,
      title: `${prefix} ${measure.id}`,
      terms: [],
      appliesTo: {
        industryIds: [],
        chainIds: measure.appliesToChain ? [id(spec.chain)] : [],
        segmentIds: [],
        programmeIds: [],
      },
      provenance,
    })),
  };
}

export async function createTestGraph(
  executor: Executor,
  prefix: string,
  spec: TestGraphSpec,
): Promise<TestGraph> {
  const { nodes, relationships } = toBatches(testGraphRecords(prefix, spec));
  await upsertAll(executor, 'test-graph', nodes, relationships);
  const id = (local: string) => `${prefix}-${local}`;
  return { prefix, id, local: (graphId) => graphId.slice(prefix.length + 1) };
}

/**
 * The smallest graph a ranking test needs: one chain with one segment `gap`, regions `home` and `far` (600 km
 * apart), and the given firms — a local firm at `home` among them, say, and candidates in `far`.
 */
export function createOneGapGraph(
  executor: Executor,
  prefix: string,
  firms: TestGraphSpec['firms'],
): Promise<TestGraph> {
  return createTestGraph(executor, prefix, {
    regions: [
      { id: 'home', lat: 30, lon: 114 },
      { id: 'far', lat: 36, lon: 114 },
    ],
    chain: 'chain',
    segments: [{ id: 'gap', stage: 'MIDSTREAM' }],
    firms,
  });
}
