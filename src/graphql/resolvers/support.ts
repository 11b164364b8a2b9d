import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';

import { isNodeRef, resolveNodeRefs } from '../../data/graph/hydrate.js';
import { REACH_TYPES } from '../../data/graph/reach.js';
import { GRAPH_SPEC } from '../../data/graph/spec.js';
import type { TranslationLimits } from '../../data/graph/translate.js';
import type { GraphQLContext } from '../context.js';

/** The translation limits of a request, from the typed config, and what the caller may see. */
export function limitsOf(context: GraphQLContext): TranslationLimits {
  return {
    maxPageSize: context.config.limits.maxPageSize,
    maxTraversalDepth: context.config.limits.maxTraversalDepth,
    maxResponseRows: context.config.limits.maxResponseRows,
    listAnchorLimit: context.config.limits.listAnchorLimit,
    listScanLimit: context.config.limits.listScanLimit,
    callerRole: context.caller?.role ?? null,
  };
}

/** The response keys from below the root field down to the field being resolved (list indices left out). */
export function pathBelowRoot(info: GraphQLResolveInfo): string {
  const keys: string[] = [];
  for (let at: GraphQLResolveInfo['path'] | undefined = info.path; at; at = at.prev) {
    if (typeof at.key === 'string') keys.push(at.key);
  }
  return keys.reverse().slice(1).join('.');
}

/**
 * Types whose values are built keyed by response key: the Cypher translator's node and edge projections, the
 * connections shaped from them, and the reach objects. Every other object (plain records built in JavaScript, and
 * small maps such as provenance) is keyed by field name.
 */
const RESPONSE_KEYED_TYPES = new Set([
  ...Object.keys(GRAPH_SPEC),
  'EnterpriseConnection',
  'EnterpriseEdge',
  'PlatformConnection',
  'PlatformEdge',
  'PageInfo',
  ...REACH_TYPES,
]);

/**
 * The default field resolver. Reading by response key lets two aliases of one field with different arguments both
 * work; reading plain objects by field name keeps an alias that happens to equal another field's name harmless.
 */
export const projectionFieldResolver: GraphQLFieldResolver<unknown, GraphQLContext> = (
  source,
  _args,
  _context,
  info,
) => {
  if (typeof source !== 'object' || source === null) return undefined;
  if (RESPONSE_KEYED_TYPES.has(info.parentType.name)) {
    return (source as Record<string, unknown>)[String(info.path.key)];
  }
  // Plain objects (analytics results) hold references to nodes, projected per path of the selection. Most of their
  // fields hold no reference (scalars, plain objects, lists of them): those are read as they are, without building
  // the field's path (a compareRegions answer has thousands of such fields).
  const value = (source as Record<string, unknown>)[info.fieldName];
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value) ? !value.some(isNodeRef) : !isNodeRef(value)) return value;
  return resolveNodeRefs(value, pathBelowRoot(info));
};

/** Reads a field of a projection that holds JSON text (stored that way in Neo4j) and parses it. */
export function parsedJson<T>(parent: Record<string, unknown>, responseKey: string | number): T {
  const raw = parent[String(responseKey)];
  return (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? [])) as T;
}
