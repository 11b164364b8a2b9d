import type { GraphQLFieldResolver } from 'graphql';

import type { TranslationLimits } from '../../data/graph/translate.js';
import type { GraphQLContext } from '../context.js';

/** The translation limits of a request, from the typed config. */
export function limitsOf(context: GraphQLContext): TranslationLimits {
  return { maxPageSize: context.config.limits.maxPageSize };
}

/**
 * The default field resolver. Projections from the Cypher translator are keyed by response key (so two aliases of
 * one field with different arguments both work); plain objects are keyed by field name.
 */
export const projectionFieldResolver: GraphQLFieldResolver<unknown, GraphQLContext> = (
  source,
  _args,
  _context,
  info,
) => {
  if (typeof source !== 'object' || source === null) return undefined;
  const record = source as Record<string, unknown>;
  const key = String(info.path.key);
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : record[info.fieldName];
};

/** Reads a field of a projection that holds JSON text (stored that way in Neo4j) and parses it. */
export function parsedJson<T>(parent: Record<string, unknown>, responseKey: string | number): T {
  const raw = parent[String(responseKey)];
  return (typeof raw === 'string' ? JSON.parse(raw) : (raw ?? [])) as T;
}
