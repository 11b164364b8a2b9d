import { contactExpression } from '../contact.js';
import { MAX_REGION_DEPTH, MAX_SEGMENT_DEPTH, NodeLabel as L, RelationshipType as T } from '../model.js';
import { locatedIn, supplyEvidence } from './patterns.js';
import { reachExpression } from './reach.js';
import {
  projectNode,
  type CypherScope,
  responseKeyName,
  type ArgumentAnchor,
  type ArgumentPredicate,
  type FieldSpec,
  type GraphSpec,
  type RelationSpec,
} from './translate.js';

/**
 * How the GraphQL types of schema/ map onto the graph. The translator reads this to turn any selection into one
 * Cypher statement. A test checks that every field of every mapped type is covered.
 */

export { locatedIn, MAX_REGION_DEPTH, MAX_SEGMENT_DEPTH };

const property = (name: string): FieldSpec => ({ kind: 'property', property: name });
const same = (...names: string[]): Record<string, FieldSpec> =>
  Object.fromEntries(names.map((name) => [name, property(name)]));

/** Provenance of the node or relationship bound to the variable. */
const provenance: FieldSpec = {
  kind: 'expression',
  expression: (variable) =>
    `{ source: ${variable}.source, section: ${variable}.section, note: ${variable}.note }`,
};

/** A list property that may be absent: an empty list then. */
const listProperty = (name: string): FieldSpec => ({
  kind: 'expression',
  expression: (variable) => `coalesce(${variable}.${name}, [])`,
});

/** What an OPERATES_IN link rests on. */
const linkBasis: FieldSpec = { kind: 'expression', expression: (v) => `coalesce(${v}.basis, 'STATED')` };

/** Stored as JSON text (structured, never filtered on); the GraphQL resolver parses it. */
const json = (name: string): FieldSpec => property(name);

/** Only nodes, and the relationship leading to them, whose provenance is one of the given sources. */
export const sourcesPredicate: ArgumentPredicate = (value, { node, relationship, scope }) => {
  const sources = scope.param(value);
  return `${node}.source IN ${sources} AND ${relationship}.source IN ${sources}`;
};

const regionPredicate: ArgumentPredicate = (value, { node, scope }) => locatedIn(node, scope.param(value));

const out = (type: string, label: string) => (from: string, relationship: string, to: string) =>
  `(${from})-[${relationship}:${type}]->(${to}:${label})`;
const into = (type: string, label: string) => (from: string, relationship: string, to: string) =>
  `(${from})<-[${relationship}:${type}]-(${to}:${label})`;

const STAGE_ORDER = (to: string) =>
  `CASE ${to}.stage WHEN 'UPSTREAM' THEN 0 WHEN 'MIDSTREAM' THEN 1 ELSE 2 END, ${to}.name, ${to}.id`;

/** An upstream / downstream field (see reach.ts). */
const reach = (origin: 'SEGMENT' | 'ENTERPRISE', direction: 'UP' | 'DOWN'): FieldSpec => ({
  kind: 'expression',
  expression: (node, args, scope, selection) =>
    reachExpression(GRAPH_SPEC, origin, direction, node, args, scope, selection),
});

function relation(spec: Omit<RelationSpec, 'kind'>): RelationSpec {
  return { kind: 'relation', ...spec };
}

/**
 * At most how many nodes are located in a region (a node pattern) and its sub-regions: the degrees of their
 * LOCATED_IN relationships, whatever the label at the other end (no node read).
 */
const locatedCount = (region: string, scope: CypherScope) => {
  const sub = scope.variable('sub');
  return `reduce(total = 0, ${sub} IN COLLECT { MATCH ${region}<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(${sub}:${L.Region}) RETURN DISTINCT ${sub} } | total + COUNT { (${sub})<-[:${T.LOCATED_IN}]-() })`;
};

/** The located count of the region `from` (HubSpec.degree of a region's lists). */
const locatedDegree = (from: string, scope: CypherScope) => locatedCount(`(${from})`, scope);

/**
 * A `regionId` argument anchoring a hub page on the nodes of `label` located in the region (HubSpec.anchors). Its
 * degree counts everything located there, whatever the label: an upper bound, read from degrees alone.
 */
const regionAnchorOf = (label: string): ArgumentAnchor => ({
  degree: (value, scope) => locatedCount(`(:${L.Region} { id: ${scope.param(value)} })`, scope),
  pattern: (value, to, scope) =>
    `(:${L.Region} { id: ${scope.param(value)} })<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(:${L.Region})<-[:${T.LOCATED_IN}]-(${to}:${label})`,
});

/**
 * The policy measures that apply to a chain, a segment or an industry, by number then id. Measures are imported with
 * their policies, with no bound per chain: a page over a hub, read from the (number, id) index above
 * LIST_ANCHOR_LIMIT.
 */
const appliedMeasures = relation({
  target: 'PolicyMeasure',
  pattern: into(T.APPLIES_TO, L.PolicyMeasure),
  many: true,
  paged: true,
  orderBy: (to) => `${to}.number, ${to}.id`,
  hub: {
    label: L.PolicyMeasure,
    order: ['number', 'id'],
    degree: (from) => `COUNT { (${from})<-[:${T.APPLIES_TO}]-() }`,
  },
});

/**
 * The platforms that support a segment or an industry (SUPPORTS into it; an industry's degree counts the programmes
 * that support it too, an upper bound). Imported platforms have no bound per segment or industry: a national base
 * would give a segment thousands, so these lists are pages over a hub, never read whole above LIST_ANCHOR_LIMIT.
 */
const supportersDegree = (from: string) => `COUNT { (${from})<-[:${T.SUPPORTS}]-() }`;

/** Nodes located in a region or any of its sub-regions (the region is `from`). */
const locatedBelow = (label: string) => (from: string, relationship: string, to: string) =>
  `(${to}:${label})-[${relationship}:${T.LOCATED_IN}]->(:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(${from})`;

const regionOfTarget = (
  target: string,
  args: Readonly<Record<string, unknown>>,
  scope: { param(v: unknown): string },
) =>
  args['regionId'] !== undefined && args['regionId'] !== null
    ? scope.param(args['regionId'])
    : `COLLECT { MATCH (${target})-[:${T.SET_BY}]->(:${L.Policy})-[:${T.FOR_REGION}]->(policyRegion:${L.Region}) RETURN policyRegion.id }[0]`;

/** Cypher that counts the graph's current figure for a target's metric, in a region, over some provenances. */
function metricCount(target: string, region: string, sources: string): string {
  const enterprises = (flag: string) =>
    `COUNT { MATCH (e:${L.Enterprise}) WHERE e.${flag} = true AND e.source IN ${sources} AND ${locatedIn('e', region)} }`;
  const platforms = (condition: string) =>
    `COUNT { MATCH (p:${L.Platform}) WHERE ${condition} AND p.source IN ${sources} AND ${locatedIn('p', region)} }`;
  return `CASE ${target}.metric
      WHEN 'HIGH_TECH_ENTERPRISES' THEN ${enterprises('highTech')}
      WHEN 'LEADING_ENTERPRISES' THEN ${enterprises('leading')}
      WHEN 'ACADEMICIAN_WORKSTATIONS' THEN ${platforms("p.kind = 'ACADEMICIAN_WORKSTATION'")}
      WHEN 'PROVINCIAL_OR_HIGHER_PLATFORMS' THEN ${platforms("p.level IN ['NATIONAL', 'PROVINCIAL']")}
      WHEN 'INDUSTRIAL_DESIGN_CENTERS' THEN ${platforms("p.kind = 'INDUSTRIAL_DESIGN_CENTER'")}
      WHEN 'COLLABORATIVE_INNOVATION_PLATFORMS' THEN ${platforms("p.kind = 'COLLABORATIVE_INNOVATION'")}
      WHEN 'ACHIEVEMENT_TRANSFER_PLATFORMS' THEN ${platforms("p.kind = 'ACHIEVEMENT_TRANSFER'")}
      WHEN 'PROVINCIAL_DEMONSTRATION_BASES' THEN COUNT { MATCH (b:${L.DemonstrationBase}) WHERE b.kind = 'PROVINCIAL_DEMONSTRATION_BASE' AND b.status = 'EXISTING' AND b.source IN ${sources} AND ${locatedIn('b', region)} }
    END`;
}

/**
 * How complete the region's firm data is: its own declaration, else the nearest ancestor's (a census of a city
 * covers its districts), else PARTIAL — nothing declared is never taken for a census.
 */
function effectiveCompleteness(regionId: string): string {
  return `coalesce(COLLECT { MATCH path = (:${L.Region} { id: ${regionId} })-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(declaring:${L.Region})
      WHERE declaring.completeness IS NOT NULL RETURN declaring.completeness ORDER BY length(path) LIMIT 1 }[0], 'PARTIAL')`;
}

/** Illustrative data is not a real count, so target progress counts PLAN and PUBLIC facts unless asked otherwise. */
export const DEFAULT_PROGRESS_SOURCES = ['PLAN', 'PUBLIC'] as const;

export const GRAPH_SPEC: GraphSpec = {
  Region: {
    fields: {
      ...same('id', 'name', 'nameEn', 'level', 'code'),
      coordinates: {
        kind: 'expression',
        expression: (v) => `CASE WHEN ${v}.lat IS NULL THEN null ELSE { lat: ${v}.lat, lon: ${v}.lon } END`,
      },
      parent: relation({ target: 'Region', pattern: out(T.PART_OF, L.Region), many: false }),
      children: relation({ target: 'Region', pattern: into(T.PART_OF, L.Region), many: true }),
      // The nearest declaration up the region tree (least complete first at equal distance), else PARTIAL: the
      // rule of src/analytics/basis.ts effectiveCompleteness.
      completeness: {
        kind: 'expression',
        expression: (v) =>
          `coalesce(COLLECT { MATCH completenessPath = (${v})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(declaring:${L.Region})
             WHERE declaring.completeness IN ['CENSUS', 'LISTED_ONLY', 'PARTIAL']
             RETURN declaring.completeness
             ORDER BY length(completenessPath), CASE declaring.completeness WHEN 'PARTIAL' THEN 0 WHEN 'LISTED_ONLY' THEN 1 ELSE 2 END
             LIMIT 1 }[0], 'PARTIAL')`,
      },
      declaredCompleteness: property('completeness'),
      enterprises: relation({
        target: 'Enterprise',
        pattern: locatedBelow(L.Enterprise),
        many: true,
        paged: true,
        args: { sources: sourcesPredicate },
        hub: {
          label: L.Enterprise,
          degree: locatedDegree,
          connection: 'enterprises(filter: { regionId, sources }, first, after)',
        },
      }),
      platforms: relation({
        target: 'Platform',
        pattern: locatedBelow(L.Platform),
        many: true,
        paged: true,
        args: { sources: sourcesPredicate },
        hub: {
          label: L.Platform,
          degree: locatedDegree,
          connection: 'platforms(filter: { regionId, sources }, first, after)',
        },
      }),
      demonstrationBases: relation({
        target: 'DemonstrationBase',
        pattern: locatedBelow(L.DemonstrationBase),
        many: true,
      }),
      provenance,
    },
  },
  Industry: {
    fields: {
      ...same('id', 'name', 'nameEn', 'tier', 'specialAction'),
      chains: relation({
        target: 'IndustrialChain',
        pattern: into(T.BELONGS_TO, L.IndustrialChain),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      platforms: relation({
        target: 'Platform',
        pattern: into(T.SUPPORTS, L.Platform),
        many: true,
        paged: true,
        hub: {
          label: L.Platform,
          degree: supportersDegree,
          connection: 'platforms(filter: { industryId }, first, after)',
        },
      }),
      policyMeasures: appliedMeasures,
      provenance,
    },
  },
  IndustrialChain: {
    fields: {
      ...same('id', 'name', 'nameEn', 'description'),
      industries: relation({ target: 'Industry', pattern: out(T.BELONGS_TO, L.Industry), many: true }),
      segments: relation({
        target: 'ChainSegment',
        pattern: into(T.IN_CHAIN, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
        args: {
          stage: (value, { node, scope }) => `${node}.stage = ${scope.param(value)}`,
          sources: sourcesPredicate,
        },
      }),
      programmes: relation({
        target: 'Programme',
        pattern: into(T.COVERS, L.Programme),
        many: true,
        orderBy: (to) => `${to}.number`,
      }),
      policyMeasures: appliedMeasures,
      provenance,
    },
  },
  ChainSegment: {
    fields: {
      ...same('id', 'name', 'nameEn', 'stage', 'description'),
      kind: { kind: 'expression', expression: (v) => `coalesce(${v}.kind, 'PRODUCT')` },
      chain: relation({
        target: 'IndustrialChain',
        pattern: out(T.IN_CHAIN, L.IndustrialChain),
        many: false,
      }),
      parent: relation({
        target: 'ChainSegment',
        pattern: out(T.SUBSEGMENT_OF, L.ChainSegment),
        many: false,
      }),
      children: relation({
        target: 'ChainSegment',
        pattern: into(T.SUBSEGMENT_OF, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
      }),
      feeds: relation({
        target: 'ChainSegment',
        pattern: out(T.FEEDS, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
        edge: { type: 'SegmentFlow', nodeField: 'segment' },
        args: { sources: sourcesPredicate },
      }),
      fedBy: relation({
        target: 'ChainSegment',
        pattern: into(T.FEEDS, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
        edge: { type: 'SegmentFlow', nodeField: 'segment' },
        args: { sources: sourcesPredicate },
      }),
      enterprises: relation({
        target: 'Enterprise',
        pattern: into(T.OPERATES_IN, L.Enterprise),
        many: true,
        paged: true,
        edge: { type: 'SegmentEnterprise', nodeField: 'enterprise' },
        args: { regionId: regionPredicate, sources: sourcesPredicate },
        hub: {
          label: L.Enterprise,
          degree: (from) => `COUNT { (${from})<-[:${T.OPERATES_IN}]-() }`,
          connection: 'enterprises(filter: { segmentId, regionId, sources }, first, after)',
          anchors: { regionId: regionAnchorOf(L.Enterprise) },
        },
      }),
      // No root connection pages exactly these: its segmentId filter takes narrower segments' platforms too.
      platforms: relation({
        target: 'Platform',
        pattern: into(T.SUPPORTS, L.Platform),
        many: true,
        paged: true,
        args: { regionId: regionPredicate, sources: sourcesPredicate },
        hub: {
          label: L.Platform,
          degree: supportersDegree,
          anchors: { regionId: regionAnchorOf(L.Platform) },
        },
      }),
      projects: relation({ target: 'Project', pattern: into(T.IN_SEGMENT, L.Project), many: true }),
      upstream: reach('SEGMENT', 'UP'),
      downstream: reach('SEGMENT', 'DOWN'),
      policyMeasures: appliedMeasures,
      provenance,
    },
  },
  SegmentFlow: { fields: { provenance } },
  // A link written before basis existed has none: it was stated.
  SegmentEnterprise: { fields: { ...same('role', 'mainProducts'), basis: linkBasis, provenance } },
  EnterpriseSegment: { fields: { ...same('role', 'mainProducts'), basis: linkBasis, provenance } },
  SupplyLink: {
    fields: { ...same('products'), provenance, evidence: { kind: 'expression', expression: supplyEvidence } },
  },
  EnterpriseGroupLink: { fields: { provenance } },
  Enterprise: {
    fields: {
      ...same('id', 'name', 'nameEn', 'sizeBand', 'creditCode', 'description'),
      ...same('stockCode', 'shortName', 'ownership', 'controller', 'market', 'listedOn', 'fortuneGlobal500'),
      ...same('revenueCnyMillion', 'outputCnyMillion', 'figuresYear'),
      industryClass: {
        kind: 'expression',
        expression: (v) =>
          `CASE WHEN ${v}.industryName IS NULL THEN null ELSE { scheme: ${v}.industryScheme, code: ${v}.industryCode, name: ${v}.industryName } END`,
      },
      region: relation({ target: 'Region', pattern: out(T.LOCATED_IN, L.Region), many: false }),
      flags: {
        kind: 'expression',
        expression: (v) =>
          // A flag never written (a store older than the write model's defaults) is not known: false, as for a new firm.
          `{ highTech: coalesce(${v}.highTech, false), leading: coalesce(${v}.leading, false),
             listed: coalesce(${v}.listed, false), specialised: coalesce(${v}.specialised, false) }`,
      },
      // Read from the graph only for callers with the viewer role (see TranslationLimits.callerRole); for others it
      // is null in every projection, and the Enterprise.contact resolver raises the field error.
      contact: { kind: 'expression', expression: contactExpression, requiresRole: 'viewer' },
      segments: relation({
        target: 'ChainSegment',
        pattern: out(T.OPERATES_IN, L.ChainSegment),
        many: true,
        orderBy: (to) => `${to}.chainId, ${STAGE_ORDER(to)}`,
        edge: { type: 'EnterpriseSegment', nodeField: 'segment' },
        args: { sources: sourcesPredicate },
      }),
      // A buyer can have tens of thousands of suppliers (at a million firms one has 76,827): paged like a segment's
      // firms, never read whole above LIST_ANCHOR_LIMIT.
      customers: relation({
        target: 'Enterprise',
        pattern: out(T.SUPPLIES, L.Enterprise),
        many: true,
        paged: true,
        edge: { type: 'SupplyLink', nodeField: 'enterprise' },
        args: { sources: sourcesPredicate },
        hub: {
          label: L.Enterprise,
          degree: (from) => `COUNT { (${from})-[:${T.SUPPLIES}]->() }`,
        },
      }),
      suppliers: relation({
        target: 'Enterprise',
        pattern: into(T.SUPPLIES, L.Enterprise),
        many: true,
        paged: true,
        edge: { type: 'SupplyLink', nodeField: 'enterprise' },
        args: { sources: sourcesPredicate },
        hub: {
          label: L.Enterprise,
          degree: (from) => `COUNT { (${from})<-[:${T.SUPPLIES}]-() }`,
        },
      }),
      projects: relation({ target: 'Project', pattern: out(T.UNDERTAKES, L.Project), many: true }),
      // An imported platform names its host: nothing bounds how many one firm hosts.
      platforms: relation({
        target: 'Platform',
        pattern: into(T.HOSTED_BY, L.Platform),
        many: true,
        paged: true,
        hub: {
          label: L.Platform,
          degree: (from) => `COUNT { (${from})<-[:${T.HOSTED_BY}]-() }`,
        },
      }),
      upstream: reach('ENTERPRISE', 'UP'),
      downstream: reach('ENTERPRISE', 'DOWN'),
      provenance,
      formerNames: listProperty('formerNames'),
      aliases: listProperty('aliases'),
      parent: relation({
        target: 'Enterprise',
        pattern: out(T.SUBSIDIARY_OF, L.Enterprise),
        many: false,
        edge: { type: 'EnterpriseGroupLink', nodeField: 'enterprise' },
      }),
      subsidiaries: relation({
        target: 'Enterprise',
        pattern: into(T.SUBSIDIARY_OF, L.Enterprise),
        many: true,
        paged: true,
        edge: { type: 'EnterpriseGroupLink', nodeField: 'enterprise' },
      }),
    },
  },
  Platform: {
    fields: {
      ...same('id', 'name', 'nameEn', 'kind', 'level', 'hostOrganisation'),
      region: relation({ target: 'Region', pattern: out(T.LOCATED_IN, L.Region), many: false }),
      hostEnterprise: relation({
        target: 'Enterprise',
        pattern: out(T.HOSTED_BY, L.Enterprise),
        many: false,
      }),
      segments: relation({
        target: 'ChainSegment',
        pattern: out(T.SUPPORTS, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
      }),
      industries: relation({ target: 'Industry', pattern: out(T.SUPPORTS, L.Industry), many: true }),
      provenance,
    },
  },
  DemonstrationBase: {
    fields: {
      ...same('id', 'name', 'nameEn', 'kind', 'status'),
      region: relation({ target: 'Region', pattern: out(T.LOCATED_IN, L.Region), many: false }),
      focusIndustries: relation({ target: 'Industry', pattern: out(T.FOCUSES_ON, L.Industry), many: true }),
      provenance,
    },
  },
  Programme: {
    fields: {
      ...same('id', 'number', 'name', 'nameEn', 'description'),
      quantities: json('quantitiesJson'),
      fields: relation({
        target: 'ProgrammeField',
        pattern: out(T.HAS_FIELD, L.ProgrammeField),
        many: true,
        orderBy: (to) => `${to}.kind, ${to}.id`,
      }),
      projects: relation({
        target: 'Project',
        pattern: into(T.UNDER_PROGRAMME, L.Project),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      chains: relation({
        target: 'IndustrialChain',
        pattern: out(T.COVERS, L.IndustrialChain),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      industries: relation({ target: 'Industry', pattern: out(T.COVERS, L.Industry), many: true }),
      targets: relation({
        target: 'Target',
        pattern: into(T.OF_PROGRAMME, L.Target),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      provenance,
    },
  },
  ProgrammeField: { fields: { ...same('id', 'name', 'nameEn', 'kind'), provenance } },
  Project: {
    fields: {
      ...same('id', 'name', 'nameEn'),
      programme: relation({ target: 'Programme', pattern: out(T.UNDER_PROGRAMME, L.Programme), many: false }),
      enterprises: relation({ target: 'Enterprise', pattern: into(T.UNDERTAKES, L.Enterprise), many: true }),
      segments: relation({
        target: 'ChainSegment',
        pattern: out(T.IN_SEGMENT, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
      }),
      provenance,
    },
  },
  Policy: {
    fields: {
      id: property('id'),
      title: property('name'),
      titleEn: property('nameEn'),
      ...same('issuer', 'period'),
      // A policy's own measures, read whole: a policy document numbers tens of them, and a page of 100 priced each
      // measure's conditions past the cost limit for every policy listed (the incentives' own queries).
      measures: relation({
        target: 'PolicyMeasure',
        pattern: out(T.HAS_MEASURE, L.PolicyMeasure),
        many: true,
        orderBy: (to) => `${to}.number, ${to}.id`,
      }),
      targets: relation({
        target: 'Target',
        pattern: into(T.SET_BY, L.Target),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      provenance,
    },
  },
  PolicyMeasure: {
    fields: {
      ...same('id', 'number'),
      title: property('name'),
      titleEn: property('nameEn'),
      terms: json('termsJson'),
      // A measure stored before offerability was recorded could be offered, as every measure was then.
      offerable: { kind: 'expression', expression: (v) => `coalesce(${v}.offerable, true)` },
      eligibility: { kind: 'expression', expression: (v) => `coalesce(${v}.eligibilityJson, '[]')` },
      policy: relation({ target: 'Policy', pattern: into(T.HAS_MEASURE, L.Policy), many: false }),
      industries: relation({ target: 'Industry', pattern: out(T.APPLIES_TO, L.Industry), many: true }),
      chains: relation({
        target: 'IndustrialChain',
        pattern: out(T.APPLIES_TO, L.IndustrialChain),
        many: true,
        orderBy: (to) => `${to}.id`,
      }),
      segments: relation({
        target: 'ChainSegment',
        pattern: out(T.APPLIES_TO, L.ChainSegment),
        many: true,
        orderBy: STAGE_ORDER,
      }),
      programmes: relation({
        target: 'Programme',
        pattern: out(T.APPLIES_TO, L.Programme),
        many: true,
        orderBy: (to) => `${to}.number`,
      }),
      provenance,
    },
  },
  Target: {
    fields: {
      ...same('id', 'name', 'nameEn', 'value', 'valueMax', 'unit', 'comparator', 'metric'),
      // Stored as in the seed files; the GraphQL enum cannot start with a digit.
      period: {
        kind: 'expression',
        expression: (v) => `CASE ${v}.period WHEN '2018_2020' THEN 'Y2018_2020' ELSE ${v}.period END`,
      },
      programme: relation({ target: 'Programme', pattern: out(T.OF_PROGRAMME, L.Programme), many: false }),
      policy: relation({ target: 'Policy', pattern: out(T.SET_BY, L.Policy), many: false }),
      current: {
        kind: 'expression',
        expression: (v, args, scope, selection) => {
          const sources = scope.param(args['sources'] ?? DEFAULT_PROGRESS_SOURCES);
          const region = scope.variable('region');
          // One projection per response key of `region` (two aliases may select different fields); the
          // TargetProgress.region resolver reads its own.
          const regionEntries = [...selection]
            .filter(([, selected]) => selected.field === 'region')
            .map(([responseKey, selected]) => {
              scope.count(1);
              const projection = scope.at(responseKey, () =>
                projectNode(GRAPH_SPEC, 'Region', region, selected.selection, scope),
              );
              return `${responseKeyName(responseKey)}: ${projection}`;
            });
          const regionProjection = `{ ${regionEntries.join(', ')} }`;
          scope.count(10); // value, regionId, sources, metric, target, targetMax, comparator, regions, completeness, asOf
          // TargetProgress: the count and what it was counted over; ratio, met and basis are derived in its resolvers.
          // The region is bound once (a one-element list comprehension) rather than re-evaluated per use.
          const regionId = scope.variable('regionId');
          return `CASE WHEN ${v}.metric IS NULL THEN null ELSE [${regionId} IN [${regionOfTarget(v, args, scope)}] | {
            value: ${metricCount(v, regionId, sources)},
            regionId: ${regionId},
            regions: COLLECT { MATCH (${region}:${L.Region} { id: ${regionId} }) RETURN ${regionProjection} }[0],
            sources: ${sources},
            metric: ${v}.metric, target: ${v}.value, targetMax: ${v}.valueMax, comparator: ${v}.comparator,
            completeness: ${effectiveCompleteness(regionId)},
            asOf: toString(datetime.transaction())
          }][0] END`;
        },
      },
      provenance,
    },
  },
};

/** The label that stores nodes of each mapped node type (edge types have none). */
export const LABEL_OF_TYPE: Readonly<Record<string, string>> = {
  Region: L.Region,
  Industry: L.Industry,
  IndustrialChain: L.IndustrialChain,
  ChainSegment: L.ChainSegment,
  Enterprise: L.Enterprise,
  Platform: L.Platform,
  DemonstrationBase: L.DemonstrationBase,
  Programme: L.Programme,
  ProgrammeField: L.ProgrammeField,
  Project: L.Project,
  Policy: L.Policy,
  PolicyMeasure: L.PolicyMeasure,
  Target: L.Target,
};
