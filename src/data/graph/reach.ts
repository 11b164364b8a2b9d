import { badUserInput } from '../../errors.js';
import { DEFAULT_ANALYTICS_SOURCES, NodeLabel as L, RelationshipType as T } from '../model.js';
import { locatedIn, supplyEvidence } from './patterns.js';
import type { Selection } from './selection.js';
import { pageSize, projectNode, responseKeyName, type CypherScope, type GraphSpec } from './translate.js';

/**
 * Upstream and downstream reach, as Cypher expressions inside the translator's one statement per root field.
 * Traversals use `ANY SHORTEST` over a quantified path pattern: a breadth-first search that gives each reached node
 * its true distance and one shortest path, visits nothing twice (cycle-safe) and does not blow up with depth the way
 * enumerating variable-length paths does. The depth is validated, then written as a literal bound.
 */

export const REACH_TYPES = [
  'SegmentReach',
  'EnterpriseReach',
  'ReachedSegment',
  'ReachedSegmentEnterprise',
  'ReachedEnterprise',
];

export type Direction = 'UP' | 'DOWN';

export function traversalDepthArgument(value: unknown, maxDepth: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxDepth) {
    throw badUserInput('depth', `must be a whole number from 1 to ${maxDepth} (MAX_TRAVERSAL_DEPTH)`);
  }
  return value;
}

const STAGE_ORDER = (variable: string) =>
  `CASE ${variable}.stage WHEN 'UPSTREAM' THEN 0 WHEN 'MIDSTREAM' THEN 1 ELSE 2 END`;

interface ReachContext {
  readonly spec: GraphSpec;
  readonly scope: CypherScope;
  readonly direction: Direction;
  readonly depth: number;
  readonly sources: string | null;
  readonly region: string | null;
  readonly stages: string | null;
}

/** One hop of a quantified path pattern over the relationship type, against the flow for UP. */
function hop(context: ReachContext, type: string): string {
  const relationship = context.scope.variable('hop');
  const predicate = context.sources ? ` WHERE ${relationship}.source IN ${context.sources}` : '';
  return context.direction === 'UP'
    ? `(()<-[${relationship}:${type}${predicate}]-())`
    : `(()-[${relationship}:${type}${predicate}]->())`;
}

function conditions(list: (string | null | false)[]): string {
  const present = list.filter((item): item is string => typeof item === 'string' && item.length > 0);
  return present.length > 0 ? ` WHERE ${present.join(' AND ')}` : '';
}

/** Nodes of a path in supply-flow order (upstream first). */
function flowOrder(context: ReachContext, path: string): string {
  return context.direction === 'UP' ? `reverse(nodes(${path}))` : `nodes(${path})`;
}

function mapOf(
  scope: CypherScope,
  selection: Selection,
  value: (field: string, key: string, sub: Selection, args: Readonly<Record<string, unknown>>) => string,
): string {
  const entries = [...selection].map(([key, selected]) => {
    scope.count(1);
    const expression = scope.at(key, () => value(selected.field, key, selected.selection, selected.args));
    return `${responseKeyName(key)}: ${expression}`;
  });
  return `{ ${entries.join(', ')} }`;
}

/**
 * The nodes of a path as a list of projections. A shortest path of at most `depth` hops has at most depth + 1
 * nodes; the slice states that bound in the statement, and the row budget counts it.
 */
function pathList(context: ReachContext, nodes: string, typeName: string, sub: Selection): string {
  const { scope } = context;
  const step = scope.variable('step');
  const bound = context.depth + 1;
  const projection = scope.list(bound, () => projectNode(context.spec, typeName, step, sub, scope)).result;
  return `[${step} IN ${nodes} | ${projection}][0..${scope.integer(bound)}]`;
}

/**
 * A ReachedSegment map. `segmentNodes`, when given, is the list of segment nodes of a path that starts at an
 * enterprise (so the distance is one less than the path length).
 */
function reachedSegment(
  context: ReachContext,
  segment: string,
  path: string,
  selection: Selection,
  segmentNodes?: string,
): string {
  const nodeList = segmentNodes ?? `nodes(${path})`;
  return mapOf(context.scope, selection, (field, _key, sub) => {
    switch (field) {
      case 'segment':
        return projectNode(context.spec, 'ChainSegment', segment, sub, context.scope);
      case 'distance':
        return segmentNodes ? `length(${path}) - 1` : `length(${path})`;
      case 'path':
        return pathList(
          context,
          context.direction === 'UP' ? `reverse(${nodeList})` : nodeList,
          'ChainSegment',
          sub,
        );
      default:
        throw new Error(`ReachedSegment.${field} is not mapped`);
    }
  });
}

function localFlag(context: ReachContext, node: string): string {
  return context.region ? locatedIn(node, context.region) : 'null';
}

function onlyLocalCondition(
  context: ReachContext,
  node: string,
  args: Readonly<Record<string, unknown>>,
): string | null {
  if (args['onlyLocal'] !== true) return null;
  if (!context.region) throw badUserInput('onlyLocal', 'needs the reach to be given a regionId');
  return locatedIn(node, context.region);
}

/** Segments reached from a segment (origin = that segment) or from an enterprise's segments. */
function segmentsExpression(
  context: ReachContext,
  origin: string,
  fromEnterprise: boolean,
  selection: Selection,
): string {
  const { scope } = context;
  const segment = scope.variable('reached');
  const path = scope.variable('path');
  const sourceCondition = context.sources ? `${segment}.source IN ${context.sources}` : null;
  const stageCondition = context.stages ? `${segment}.stage IN ${context.stages}` : null;
  const order = `length(${path}), ${STAGE_ORDER(segment)}, ${segment}.name, ${segment}.id`;
  // Reached segments have no `first`: at most MAX_PAGE_SIZE of them, nearest first.
  const bound = scope.limits.maxPageSize;
  const limit = scope.integer(bound);
  if (!fromEnterprise) {
    const element = scope.list(bound, () => reachedSegment(context, segment, path, selection)).result;
    return `COLLECT { MATCH ${path} = ANY SHORTEST (${origin})${hop(context, T.FEEDS)}{1,${context.depth}}(${segment}:${L.ChainSegment})${conditions([`${segment} <> ${origin}`, sourceCondition, stageCondition])}
      RETURN ${element} ORDER BY ${order} LIMIT ${limit} }`;
  }
  // From an enterprise: a fixed OPERATES_IN hop into one of its segments, then the flow. One shortest path per
  // reached segment, with no aggregation (Neo4j does not allow one inside a subquery expression in a projection).
  const own = scope.variable('own');
  const operation = scope.variable('op');
  const ownConditions = context.sources
    ? ` WHERE ${operation}.source IN ${context.sources} AND ${own}.source IN ${context.sources}`
    : '';
  const segmentsOnly = scope.variable('segmentsOnly');
  const element = scope.list(bound, () =>
    reachedSegment(context, segment, path, selection, segmentsOnly),
  ).result;
  return `COLLECT { MATCH ${path} = ANY SHORTEST (${origin})-[${operation}:${T.OPERATES_IN}]->(${own}:${L.ChainSegment}${ownConditions})${hop(context, T.FEEDS)}{1,${context.depth}}(${segment}:${L.ChainSegment})${conditions([sourceCondition, stageCondition])}
      WITH ${segment}, ${path}, tail(nodes(${path})) AS ${segmentsOnly}
      RETURN ${element} ORDER BY length(${path}), ${STAGE_ORDER(segment)}, ${segment}.name, ${segment}.id LIMIT ${limit} }`;
}

/** Enterprises operating in the segments reached from a segment. */
function segmentEnterprisesExpression(
  context: ReachContext,
  origin: string,
  args: Readonly<Record<string, unknown>>,
  selection: Selection,
): string {
  const { scope } = context;
  const segment = scope.variable('reached');
  const path = scope.variable('path');
  const enterprise = scope.variable('firm');
  const operation = scope.variable('op');
  const nearestSegment = scope.variable('nearestSegment');
  const first = pageSize(args['first'], scope.limits, { argument: 'enterprises.first' });
  const element = scope.list(first, () =>
    mapOf(scope, selection, (field, _key, sub) => {
      switch (field) {
        case 'enterprise':
          return projectNode(context.spec, 'Enterprise', enterprise, sub, scope);
        case 'segment':
          return projectNode(context.spec, 'ChainSegment', nearestSegment, sub, scope);
        case 'distance':
          return `length(${path}) - 1`;
        case 'local':
          return localFlag(context, enterprise);
        default:
          throw new Error(`ReachedSegmentEnterprise.${field} is not mapped`);
      }
    }),
  ).result;
  const segmentConditions = [
    `${segment} <> ${origin}`,
    context.sources ? `${segment}.source IN ${context.sources}` : null,
    context.stages ? `${segment}.stage IN ${context.stages}` : null,
  ].filter(Boolean);
  // The path ends at the enterprise, through the reached segment it operates in: one shortest path per enterprise
  // gives its nearest segment without aggregating.
  return `COLLECT { MATCH ${path} = ANY SHORTEST (${origin})${hop(context, T.FEEDS)}{1,${context.depth}}(${segment}:${L.ChainSegment} WHERE ${segmentConditions.join(' AND ')})<-[${operation}:${T.OPERATES_IN}]-(${enterprise}:${L.Enterprise})${conditions(
    [
      context.sources
        ? `${operation}.source IN ${context.sources} AND ${enterprise}.source IN ${context.sources}`
        : null,
      onlyLocalCondition(context, enterprise, args),
    ],
  )}
      WITH ${enterprise}, ${path}, nodes(${path})[-2] AS ${nearestSegment}
      RETURN ${element} ORDER BY length(${path}), ${enterprise}.name, ${enterprise}.id LIMIT ${scope.integer(first)} }`;
}

/** Enterprises reached along supply edges from an enterprise. */
function supplyEnterprisesExpression(
  context: ReachContext,
  origin: string,
  args: Readonly<Record<string, unknown>>,
  selection: Selection,
): string {
  const { scope } = context;
  const enterprise = scope.variable('firm');
  const path = scope.variable('path');
  const first = pageSize(args['first'], scope.limits, { argument: 'enterprises.first' });
  const element = scope.list(first, () =>
    mapOf(scope, selection, (field, _key, sub) => {
      switch (field) {
        case 'enterprise':
          return projectNode(context.spec, 'Enterprise', enterprise, sub, scope);
        case 'distance':
          return `length(${path})`;
        case 'local':
          return localFlag(context, enterprise);
        case 'products':
          return `coalesce(last(relationships(${path})).products, [])`;
        case 'provenance': {
          const edge = `last(relationships(${path}))`;
          return `{ source: ${edge}.source, section: ${edge}.section, note: ${edge}.note }`;
        }
        case 'evidence':
          return supplyEvidence(`last(relationships(${path}))`);
        case 'path':
          return pathList(context, flowOrder(context, path), 'Enterprise', sub);
        default:
          throw new Error(`ReachedEnterprise.${field} is not mapped`);
      }
    }),
  ).result;
  const stageCondition = context.stages
    ? `EXISTS { (${enterprise})-[:${T.OPERATES_IN}]->(staged:${L.ChainSegment}) WHERE staged.stage IN ${context.stages} }`
    : null;
  return `COLLECT { MATCH ${path} = ANY SHORTEST (${origin})${hop(context, T.SUPPLIES)}{1,${context.depth}}(${enterprise}:${L.Enterprise})${conditions(
    [
      `${enterprise} <> ${origin}`,
      context.sources ? `${enterprise}.source IN ${context.sources}` : null,
      stageCondition,
      onlyLocalCondition(context, enterprise, args),
    ],
  )}
      RETURN ${element} ORDER BY length(${path}), ${enterprise}.name, ${enterprise}.id LIMIT ${scope.integer(first)} }`;
}

/** The expression of an `upstream` / `downstream` field on ChainSegment (origin SEGMENT) or Enterprise. */
export function reachExpression(
  spec: GraphSpec,
  origin: 'SEGMENT' | 'ENTERPRISE',
  direction: Direction,
  node: string,
  args: Readonly<Record<string, unknown>>,
  scope: CypherScope,
  selection: Selection,
): string {
  const list = (value: unknown) => (Array.isArray(value) && value.length > 0 ? scope.param(value) : null);
  const context: ReachContext = {
    spec,
    scope,
    direction,
    depth: traversalDepthArgument(args['depth'], scope.limits.maxTraversalDepth),
    // Real data unless illustrative data is asked for (issue 15).
    sources: list(args['sources']) ?? scope.param([...DEFAULT_ANALYTICS_SOURCES]),
    region: typeof args['regionId'] === 'string' ? scope.param(args['regionId']) : null,
    stages: list(args['stages']),
  };
  return mapOf(scope, selection, (field, _key, sub, fieldArgs) => {
    if (field === 'segments') return segmentsExpression(context, node, origin === 'ENTERPRISE', sub);
    if (field === 'enterprises') {
      return origin === 'SEGMENT'
        ? segmentEnterprisesExpression(context, node, fieldArgs, sub)
        : supplyEnterprisesExpression(context, node, fieldArgs, sub);
    }
    throw new Error(`Reach field ${field} is not mapped`);
  });
}
