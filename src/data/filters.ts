import { MAX_SEGMENT_DEPTH, NodeLabel as L, RelationshipType as T } from './model.js';
import type { Conditions, Reference, RegionFilter } from './graph/queries.js';
import type { CypherScope } from './graph/translate.js';

/**
 * Filter inputs of the list fields, turned into Cypher conditions on a node variable and into the id references
 * the statement checks exist. Pure: values go into parameters through the scope.
 */

export type Sources = readonly string[] | null | undefined;

export interface EnterpriseFilterInput {
  readonly chainId?: string | null;
  readonly segmentId?: string | null;
  readonly stage?: string | null;
  readonly regionId?: string | null;
  readonly highTech?: boolean | null;
  readonly leading?: boolean | null;
  readonly listed?: boolean | null;
  readonly specialised?: boolean | null;
  readonly sizeBands?: readonly string[] | null;
  readonly sources?: Sources;
}

/** The node, and every link a condition uses, must have one of the given provenances. */
function sourceCondition(variable: string, sources: string | null): string[] {
  return sources === null ? [] : [`${variable}.source IN ${sources}`];
}

/**
 * A segment link that meets the chain, segment and stage conditions together: "LED midstream" means one segment
 * that is both in LED and midstream. A segment includes its narrower segments.
 */
function segmentCondition(
  node: string,
  relationship: string,
  filter: { chainId?: string | null; segmentId?: string | null; stage?: string | null },
  sources: string | null,
  scope: CypherScope,
): string | null {
  if (!filter.chainId && !filter.segmentId && !filter.stage) return null;
  const conditions = [
    ...(filter.chainId ? [`s.chainId = ${scope.param(filter.chainId)}`] : []),
    ...(filter.stage ? [`s.stage = ${scope.param(filter.stage)}`] : []),
    ...(filter.segmentId
      ? [
          `EXISTS { (s)-[:${T.SUBSEGMENT_OF}*0..${MAX_SEGMENT_DEPTH}]->(:${L.ChainSegment} { id: ${scope.param(filter.segmentId)} }) }`,
        ]
      : []),
    ...sourceCondition('link', sources),
    ...sourceCondition('s', sources),
  ];
  return `EXISTS { MATCH (${node})-[link:${relationship}]->(s:${L.ChainSegment}) WHERE ${conditions.join(' AND ')} }`;
}

/**
 * The region filter of a connection (src/data/graph/queries.ts readConnection): located in the region or a
 * sub-region, through a location with one of the sources when they are given.
 */
export function regionFilter(
  regionId: string | null | undefined,
  sources: Sources,
): RegionFilter | undefined {
  return regionId ? { id: regionId, sources: sources && sources.length > 0 ? sources : null } : undefined;
}

export function enterpriseConditions(filter: EnterpriseFilterInput): Conditions {
  return (node, scope) => {
    const sources = filter.sources && filter.sources.length > 0 ? scope.param(filter.sources) : null;
    const conditions: string[] = [...sourceCondition(node, sources)];
    const segment = segmentCondition(node, T.OPERATES_IN, filter, sources, scope);
    if (segment) conditions.push(segment);
    // The region is not tested here: readConnection reads the page from the region (regionFilter).
    for (const flag of ['highTech', 'leading', 'listed', 'specialised'] as const) {
      const value = filter[flag];
      if (value !== undefined && value !== null) conditions.push(`${node}.${flag} = ${scope.param(value)}`);
    }
    if (filter.sizeBands && filter.sizeBands.length > 0) {
      conditions.push(`${node}.sizeBand IN ${scope.param(filter.sizeBands)}`);
    }
    return conditions;
  };
}

export function enterpriseReferences(filter: EnterpriseFilterInput): Reference[] {
  return [
    ...(filter.chainId
      ? [{ argument: 'filter.chainId', typeName: 'IndustrialChain', id: filter.chainId }]
      : []),
    ...(filter.segmentId
      ? [{ argument: 'filter.segmentId', typeName: 'ChainSegment', id: filter.segmentId }]
      : []),
    ...(filter.regionId ? [{ argument: 'filter.regionId', typeName: 'Region', id: filter.regionId }] : []),
  ];
}

export interface PlatformFilterInput {
  readonly kinds?: readonly string[] | null;
  readonly levels?: readonly string[] | null;
  readonly regionId?: string | null;
  readonly segmentId?: string | null;
  readonly chainId?: string | null;
  readonly industryId?: string | null;
  readonly sources?: Sources;
}

export function platformConditions(filter: PlatformFilterInput): Conditions {
  return (node, scope) => {
    const sources = filter.sources && filter.sources.length > 0 ? scope.param(filter.sources) : null;
    const conditions: string[] = [...sourceCondition(node, sources)];
    if (filter.kinds && filter.kinds.length > 0)
      conditions.push(`${node}.kind IN ${scope.param(filter.kinds)}`);
    if (filter.levels && filter.levels.length > 0)
      conditions.push(`${node}.level IN ${scope.param(filter.levels)}`);
    // The region is not tested here: readConnection reads the page from the region (regionFilter).
    const segment = segmentCondition(node, T.SUPPORTS, filter, sources, scope);
    if (segment) conditions.push(segment);
    if (filter.industryId) {
      conditions.push(
        `EXISTS { MATCH (${node})-[link:${T.SUPPORTS}]->(i:${L.Industry} { id: ${scope.param(filter.industryId)} })${
          sources === null ? '' : ` WHERE link.source IN ${sources} AND i.source IN ${sources}`
        } }`,
      );
    }
    return conditions;
  };
}

export function platformReferences(filter: PlatformFilterInput): Reference[] {
  return [
    ...(filter.chainId
      ? [{ argument: 'filter.chainId', typeName: 'IndustrialChain', id: filter.chainId }]
      : []),
    ...(filter.segmentId
      ? [{ argument: 'filter.segmentId', typeName: 'ChainSegment', id: filter.segmentId }]
      : []),
    ...(filter.regionId ? [{ argument: 'filter.regionId', typeName: 'Region', id: filter.regionId }] : []),
    ...(filter.industryId
      ? [{ argument: 'filter.industryId', typeName: 'Industry', id: filter.industryId }]
      : []),
  ];
}
