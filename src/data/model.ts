/**
 * The closed list of node labels and relationship types. Cypher text may only name labels and types from here;
 * `assertLabel` / `assertRelationship` guard any builder that takes one as an argument.
 */
export const NodeLabel = {
  Region: 'Region',
  Industry: 'Industry',
  IndustrialChain: 'IndustrialChain',
  ChainSegment: 'ChainSegment',
  Enterprise: 'Enterprise',
  Platform: 'Platform',
  DemonstrationBase: 'DemonstrationBase',
  Programme: 'Programme',
  ProgrammeField: 'ProgrammeField',
  Project: 'Project',
  Policy: 'Policy',
  PolicyMeasure: 'PolicyMeasure',
  Target: 'Target',
} as const;
export type NodeLabel = (typeof NodeLabel)[keyof typeof NodeLabel];
export const NODE_LABELS: readonly NodeLabel[] = Object.values(NodeLabel);

/**
 * Labels of the service's own bookkeeping — the analytics aggregates and the changes not yet folded into them
 * (src/analytics/aggregates.ts). Never part of the domain graph: not searchable, not in the API, not in NODE_LABELS.
 */
export const InternalLabel = {
  /** One per write transaction that touched what the aggregates count: the home regions to recount. */
  AggregateChange: 'AggregateChange',
  /** The counts of one home region (firms located directly in it), per segment and provenance combination. */
  AggregateCell: 'AggregateCell',
  /** The counts of one region with its sub-regions, per segment, for one provenance filter. */
  RegionAggregate: 'RegionAggregate',
  /** When the aggregates were last built; its lock serialises refreshes across processes. */
  AggregateState: 'AggregateState',
  /**
   * What the supply links into one hub firm (a firm with many suppliers) count in its home, grouped: a scenario that
   * leaves the hub out reads these few rows instead of walking every one of its suppliers.
   */
  HubSupply: 'HubSupply',
} as const;
export type InternalLabel = (typeof InternalLabel)[keyof typeof InternalLabel];

export const RelationshipType = {
  /** Region → its parent region. */
  PART_OF: 'PART_OF',
  /** IndustrialChain → Industry. */
  BELONGS_TO: 'BELONGS_TO',
  /** ChainSegment → IndustrialChain. */
  IN_CHAIN: 'IN_CHAIN',
  /** ChainSegment → the broader segment it is part of. */
  SUBSEGMENT_OF: 'SUBSEGMENT_OF',
  /** ChainSegment → a segment its output feeds (supply flow, possibly across chains). */
  FEEDS: 'FEEDS',
  /** Enterprise | Platform | DemonstrationBase → Region. */
  LOCATED_IN: 'LOCATED_IN',
  /** Enterprise → ChainSegment, with role and main products. */
  OPERATES_IN: 'OPERATES_IN',
  /** Enterprise → an enterprise it sells to, with the evidence a real link rests on. */
  SUPPLIES: 'SUPPLIES',
  /** Enterprise → the group company that controls it. */
  SUBSIDIARY_OF: 'SUBSIDIARY_OF',
  /** Platform → its host enterprise. */
  HOSTED_BY: 'HOSTED_BY',
  /** Platform → ChainSegment | Industry it supports. */
  SUPPORTS: 'SUPPORTS',
  /** DemonstrationBase → Industry. */
  FOCUSES_ON: 'FOCUSES_ON',
  /** Programme → ProgrammeField. */
  HAS_FIELD: 'HAS_FIELD',
  /** Programme → IndustrialChain | Industry. */
  COVERS: 'COVERS',
  /** Project → Programme. */
  UNDER_PROGRAMME: 'UNDER_PROGRAMME',
  /** Enterprise → Project. */
  UNDERTAKES: 'UNDERTAKES',
  /** Project → ChainSegment. */
  IN_SEGMENT: 'IN_SEGMENT',
  /** Policy → PolicyMeasure. */
  HAS_MEASURE: 'HAS_MEASURE',
  /** PolicyMeasure → Industry | IndustrialChain | ChainSegment | Programme. */
  APPLIES_TO: 'APPLIES_TO',
  /** Policy → the Region it governs. */
  FOR_REGION: 'FOR_REGION',
  /** Target → Policy that sets it. */
  SET_BY: 'SET_BY',
  /** Target → Programme that states it. */
  OF_PROGRAMME: 'OF_PROGRAMME',
} as const;
export type RelationshipType = (typeof RelationshipType)[keyof typeof RelationshipType];
export const RELATIONSHIP_TYPES: readonly RelationshipType[] = Object.values(RelationshipType);

/**
 * Properties the service derives and keeps on relationships itself — the target-ranking keys of an operation and
 * its firm's home (src/analytics/candidates.ts), maintained by the aggregate refresh. An upsert neither compares nor erases them, so
 * re-loading the same data still changes nothing.
 */
export const DERIVED_RELATIONSHIP_PROPERTIES: Readonly<Partial<Record<RelationshipType, readonly string[]>>> =
  {
    OPERATES_IN: ['rankSegmentId', 'rankKey', 'rankLane', 'rankHomeId'],
  };

/**
 * Properties the service derives and keeps on nodes itself, as DERIVED_RELATIONSHIP_PROPERTIES on relationships: a
 * firm's segments and home regions (src/analytics/candidates.ts RANK_BODY), which the scenarios and targetFirms' linked
 * read take from one property instead of walking the firm's relationships (they walk thousands of firms a request). An
 * upsert neither compares nor erases them.
 */
export const DERIVED_NODE_PROPERTIES: Readonly<Partial<Record<NodeLabel, readonly string[]>>> = {
  Enterprise: [
    'rankSegmentIds',
    'rankHomeIds',
    'rankHomeKeys',
    'rankOperationKeys',
    'rankOperationRoles',
    'rankCapabilityKey',
    'rankLinkFacts',
  ],
};

export function assertLabel(label: string): NodeLabel {
  if (!(NODE_LABELS as readonly string[]).includes(label)) throw new Error(`Unknown node label '${label}'`);
  return label as NodeLabel;
}

export function assertRelationship(type: string): RelationshipType {
  if (!(RELATIONSHIP_TYPES as readonly string[]).includes(type)) {
    throw new Error(`Unknown relationship type '${type}'`);
  }
  return type as RelationshipType;
}

/** Where a fact comes from. Stored as `source` on every node and relationship. */
export const PROVENANCE_SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] as const;
export type ProvenanceSource = (typeof PROVENANCE_SOURCES)[number];
/** What analytics count when no `sources` is given: real data only (illustrative data only when asked for). */
export const DEFAULT_ANALYTICS_SOURCES: readonly ProvenanceSource[] = ['PLAN', 'PUBLIC'];

/** Deepest region nesting followed when a question includes sub-regions (country → … → district is 4). */
export const MAX_REGION_DEPTH = 8;
/** Deepest segment nesting followed when a segment includes its narrower segments. */
export const MAX_SEGMENT_DEPTH = 6;

/**
 * The conditions of a policy measure that ask about the firm (decided from the graph, or not known), as opposed to
 * those about a future project (FOREIGN_CAPITAL_AT_LEAST, PROJECT). Shared by the record schema (a clause needs one)
 * and the eligibility rule (src/analytics/incentives.ts: a conditional offer needs one met).
 */
export const FIRM_CONDITION_KIND_VALUES = [
  'IN_SCOPE',
  'SEGMENT',
  'REGION',
  'OWNERSHIP',
  'LISTED',
  'FORTUNE_GLOBAL_500',
  'SIZE_BAND',
] as const;
export const FIRM_CONDITION_KINDS: ReadonlySet<string> = new Set(FIRM_CONDITION_KIND_VALUES);
/** The conditions about a future project: never decided before the investment. */
export const PROJECT_CONDITION_KIND_VALUES = ['FOREIGN_CAPITAL_AT_LEAST', 'PROJECT'] as const;
