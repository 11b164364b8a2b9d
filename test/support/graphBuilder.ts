import type { Executor } from '../../src/data/executor.js';
import {
  NodeLabel as L,
  RelationshipType as T,
  type NodeLabel,
  type RelationshipType,
} from '../../src/data/model.js';
import { upsertAll, type NodeBatch, type Properties, type RelationshipBatch } from '../../src/data/upsert.js';

/**
 * A compact description of a small graph with known answers. Ids are local to the description; `createTestGraph`
 * prefixes every one of them, so each test owns its data and `deleteByPrefix` removes exactly it.
 */
export interface TestGraphSpec {
  readonly regions: readonly { id: string; parent?: string; lat?: number; lon?: number }[];
  /** Existing graph ids that test regions may hang under (not prefixed). */
  readonly externalParents?: Readonly<Record<string, string>>;
  readonly chain: string;
  readonly segments: readonly {
    id: string;
    stage: 'UPSTREAM' | 'MIDSTREAM' | 'DOWNSTREAM';
    parent?: string;
    feeds?: readonly string[];
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
    source?: 'PLAN' | 'PUBLIC' | 'ILLUSTRATIVE';
  }[];
  readonly platforms?: readonly { id: string; region: string; supports: readonly string[] }[];
  readonly measures?: readonly { id: string; number: number; appliesToChain: boolean }[];
}

export interface TestGraph {
  readonly prefix: string;
  /** The graph id of a local id. */
  id(local: string): string;
  /** The local id of a graph id. */
  local(id: string): string;
}

export async function createTestGraph(
  executor: Executor,
  prefix: string,
  spec: TestGraphSpec,
): Promise<TestGraph> {
  const id = (local: string) => `${prefix}-${local}`;
  const source = { source: 'ILLUSTRATIVE', note: 'test data' };
  const nodes: NodeBatch[] = [];
  const relationships: RelationshipBatch[] = [];
  const node = (label: NodeLabel, rows: Properties[]) => nodes.push({ label, rows });
  const link = (
    type: RelationshipType,
    from: NodeLabel,
    to: NodeLabel,
    rows: { from: string; to: string; properties?: Properties }[],
  ) =>
    relationships.push({
      type,
      from,
      to,
      rows: rows.map((row) => ({ ...row, properties: { ...source, ...row.properties } })),
    });

  node(
    L.Region,
    spec.regions.map((region) => ({
      id: id(region.id),
      name: `${prefix} ${region.id}`,
      level: 'DISTRICT',
      lat: region.lat,
      lon: region.lon,
      ...source,
    })),
  );
  link(
    T.PART_OF,
    L.Region,
    L.Region,
    spec.regions
      .filter((region) => region.parent)
      .map((region) => ({
        from: id(region.id),
        to: spec.externalParents?.[region.parent!] ?? id(region.parent!),
      })),
  );
  node(L.IndustrialChain, [{ id: id(spec.chain), name: `${prefix} chain`, ...source }]);
  node(
    L.ChainSegment,
    spec.segments.map((segment) => ({
      id: id(segment.id),
      chainId: id(spec.chain),
      name: `${prefix} ${segment.id}`,
      stage: segment.stage,
      ...source,
    })),
  );
  link(
    T.IN_CHAIN,
    L.ChainSegment,
    L.IndustrialChain,
    spec.segments.map((segment) => ({ from: id(segment.id), to: id(spec.chain) })),
  );
  link(
    T.SUBSEGMENT_OF,
    L.ChainSegment,
    L.ChainSegment,
    spec.segments
      .filter((segment) => segment.parent)
      .map((segment) => ({ from: id(segment.id), to: id(segment.parent!) })),
  );
  link(
    T.FEEDS,
    L.ChainSegment,
    L.ChainSegment,
    spec.segments.flatMap((segment) =>
      (segment.feeds ?? []).map((target) => ({ from: id(segment.id), to: id(target) })),
    ),
  );
  node(
    L.Enterprise,
    spec.firms.map((firm) => ({
      id: id(firm.id),
      name: `${prefix} ${firm.id}`,
      sizeBand: firm.sizeBand ?? 'SMALL',
      leading: firm.leading ?? false,
      highTech: firm.highTech ?? false,
      listed: false,
      specialised: false,
      ...source,
      source: firm.source ?? 'ILLUSTRATIVE',
    })),
  );
  link(
    T.LOCATED_IN,
    L.Enterprise,
    L.Region,
    spec.firms.map((firm) => ({ from: id(firm.id), to: id(firm.region) })),
  );
  link(
    T.OPERATES_IN,
    L.Enterprise,
    L.ChainSegment,
    spec.firms.flatMap((firm) =>
      firm.segments.map((segment) => {
        const operation =
          typeof segment === 'string' ? { id: segment, role: 'CORE' as const, products: [] } : segment;
        return {
          from: id(firm.id),
          to: id(operation.id),
          properties: { role: operation.role, mainProducts: operation.products ?? [] },
        };
      }),
    ),
  );
  link(
    T.SUPPLIES,
    L.Enterprise,
    L.Enterprise,
    spec.firms.flatMap((firm) =>
      (firm.supplies ?? []).map((customer) => ({
        from: id(firm.id),
        to: id(customer),
        properties: { products: [`${firm.id} goods`] },
      })),
    ),
  );
  const platforms = spec.platforms ?? [];
  node(
    L.Platform,
    platforms.map((platform) => ({
      id: id(platform.id),
      name: `${prefix} ${platform.id}`,
      kind: 'KEY_LABORATORY',
      level: 'PROVINCIAL',
      ...source,
    })),
  );
  link(
    T.LOCATED_IN,
    L.Platform,
    L.Region,
    platforms.map((platform) => ({ from: id(platform.id), to: id(platform.region) })),
  );
  link(
    T.SUPPORTS,
    L.Platform,
    L.ChainSegment,
    platforms.flatMap((platform) =>
      platform.supports.map((segment) => ({ from: id(platform.id), to: id(segment) })),
    ),
  );
  const measures = spec.measures ?? [];
  node(
    L.PolicyMeasure,
    measures.map((measure) => ({
      id: id(measure.id),
      number: measure.number,
      name: `${prefix} ${measure.id}`,
      termsJson: '[]',
      ...source,
    })),
  );
  link(
    T.APPLIES_TO,
    L.PolicyMeasure,
    L.IndustrialChain,
    measures
      .filter((measure) => measure.appliesToChain)
      .map((measure) => ({ from: id(measure.id), to: id(spec.chain) })),
  );
  await upsertAll(executor, 'test-graph', nodes, relationships);
  return { prefix, id, local: (graphId) => graphId.slice(prefix.length + 1) };
}
