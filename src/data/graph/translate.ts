import neo4j from 'neo4j-driver';

import { badUserInput } from '../../errors.js';
import type { Selection } from './selection.js';

/**
 * Translates a GraphQL selection into one Cypher map projection, so a root field's whole selection — nested
 * relationships included — is answered by ONE statement, whatever the number of rows (no N+1). Nested
 * relationships become `COLLECT { MATCH … RETURN … ORDER BY … LIMIT … }` subqueries.
 *
 * Safety: the statement text is assembled only from the spec (fixed labels, relationship types and property
 * names), generated variable names and response keys (GraphQL names, `[_A-Za-z][_0-9A-Za-z]*`, back-quoted).
 * Every value, including every argument, goes into parameters.
 */

/** Allocates parameter and variable names for one statement. */
export class CypherScope {
  readonly params: Record<string, unknown> = {};
  private parameterCount = 0;
  private variableCount = 0;

  constructor(readonly limits: TranslationLimits) {}

  /** Registers a value and returns the parameter reference (`$p3`). */
  param(value: unknown): string {
    const name = `p${this.parameterCount++}`;
    this.params[name] = value;
    return `$${name}`;
  }

  /** Registers a whole number as a Neo4j integer (JavaScript numbers travel as floats; LIMIT needs an integer). */
  integer(value: number): string {
    return this.param(neo4j.int(value));
  }

  /** A fresh variable name. */
  variable(prefix: string): string {
    return `${prefix}${this.variableCount++}`;
  }
}

export interface TranslationLimits {
  /** The largest `first` a nested list may ask for; also its default when not given. */
  readonly maxPageSize: number;
  /** The deepest upstream/downstream traversal a request may ask for. */
  readonly maxTraversalDepth: number;
}

/** Builds one condition from an argument value, or null when the argument does not constrain anything. */
export type ArgumentPredicate = (
  value: unknown,
  at: { readonly node: string; readonly relationship: string; readonly scope: CypherScope },
) => string | null;

export interface RelationSpec {
  readonly kind: 'relation';
  /** The GraphQL type of the node at the other end. */
  readonly target: string;
  /** A MATCH pattern from `from` to `to`, binding the relationship to `relationship`. */
  readonly pattern: (from: string, relationship: string, to: string) => string;
  readonly many: boolean;
  /** When the GraphQL field's type is an edge object (relationship properties plus the node under `nodeField`). */
  readonly edge?: { readonly type: string; readonly nodeField: string };
  /** ORDER BY expression; default: name then id of the target. */
  readonly orderBy?: (to: string, relationship: string) => string;
  /** Field arguments that filter the related nodes. */
  readonly args?: Readonly<Record<string, ArgumentPredicate>>;
  /** Whether the field takes `first` (capped by the configured maximum page size). */
  readonly paged?: boolean;
}

/** A node property, a Cypher expression over the node variable, or a related node / list. */
export type FieldSpec =
  | { readonly kind: 'property'; readonly property: string }
  | {
      readonly kind: 'expression';
      readonly expression: (
        node: string,
        args: Readonly<Record<string, unknown>>,
        scope: CypherScope,
        selection: Selection,
      ) => string;
    }
  | RelationSpec;

/** How one GraphQL object type maps to the graph. Edge types describe relationship properties. */
export interface TypeSpec {
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

export type GraphSpec = Readonly<Record<string, TypeSpec>>;

export class TranslationError extends Error {
  override readonly name = 'TranslationError';
}

const RESPONSE_KEY = /^[_A-Za-z][_0-9A-Za-z]*$/;

function key(responseKey: string): string {
  // Response keys are GraphQL names; the check keeps that an invariant of this module, not of its callers.
  if (!RESPONSE_KEY.test(responseKey)) throw new TranslationError(`Invalid response key '${responseKey}'`);
  return `\`${responseKey}\``;
}

/** Validates a `first` argument (naming it in the error) and returns the number to use. */
export function pageSize(
  value: unknown,
  limits: TranslationLimits,
  options: { readonly argument: string; readonly fallback?: number },
): number {
  if (value === undefined || value === null)
    return Math.min(options.fallback ?? limits.maxPageSize, limits.maxPageSize);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > limits.maxPageSize) {
    throw badUserInput(options.argument, `must be a whole number from 0 to ${limits.maxPageSize}`);
  }
  return value;
}

/**
 * The map projection `{ key: expression, … }` of `node` (a Cypher variable bound to a node of GraphQL type
 * `typeName`) for the selection.
 */
export function projectNode(
  spec: GraphSpec,
  typeName: string,
  node: string,
  selection: Selection,
  scope: CypherScope,
): string {
  const typeSpec = spec[typeName];
  if (!typeSpec) throw new TranslationError(`No graph mapping for type ${typeName}`);
  const entries: string[] = [];
  for (const [responseKey, selected] of selection) {
    const field = typeSpec.fields[selected.field];
    if (!field) throw new TranslationError(`No graph mapping for ${typeName}.${selected.field}`);
    entries.push(
      `${key(responseKey)}: ${fieldExpression(spec, field, node, selected.args, selected.selection, scope)}`,
    );
  }
  return `{ ${entries.join(', ')} }`;
}

function fieldExpression(
  spec: GraphSpec,
  field: FieldSpec,
  node: string,
  args: Readonly<Record<string, unknown>>,
  selection: Selection,
  scope: CypherScope,
): string {
  switch (field.kind) {
    case 'property':
      return `${node}.${field.property}`;
    case 'expression':
      return field.expression(node, args, scope, selection);
    case 'relation':
      return relationExpression(spec, field, node, args, selection, scope);
  }
}

function relationExpression(
  spec: GraphSpec,
  relation: RelationSpec,
  from: string,
  args: Readonly<Record<string, unknown>>,
  selection: Selection,
  scope: CypherScope,
): string {
  const to = scope.variable('n');
  const relationship = scope.variable('r');
  const conditions: string[] = [];
  for (const [name, predicate] of Object.entries(relation.args ?? {})) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    const condition = predicate(value, { node: to, relationship, scope });
    if (condition !== null) conditions.push(condition);
  }
  const projection = relation.edge
    ? projectEdge(spec, relation, relationship, to, selection, scope)
    : projectNode(spec, relation.target, to, selection, scope);
  const order = relation.orderBy ? relation.orderBy(to, relationship) : `${to}.name, ${to}.id`;
  const limit = relation.many
    ? relation.paged
      ? ` LIMIT ${scope.integer(pageSize(args['first'], scope.limits, { argument: `${relation.target} list first` }))}`
      : ''
    : ' LIMIT 1';
  const subquery =
    `COLLECT { MATCH ${relation.pattern(from, relationship, to)}` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` RETURN ${projection} ORDER BY ${order}${limit} }`;
  return relation.many ? subquery : `${subquery}[0]`;
}

function projectEdge(
  spec: GraphSpec,
  relation: RelationSpec,
  relationship: string,
  to: string,
  selection: Selection,
  scope: CypherScope,
): string {
  const edge = relation.edge!;
  const edgeSpec = spec[edge.type];
  if (!edgeSpec) throw new TranslationError(`No graph mapping for edge type ${edge.type}`);
  const entries: string[] = [];
  for (const [responseKey, selected] of selection) {
    if (selected.field === edge.nodeField) {
      entries.push(
        `${key(responseKey)}: ${projectNode(spec, relation.target, to, selected.selection, scope)}`,
      );
      continue;
    }
    const field = edgeSpec.fields[selected.field];
    if (!field) throw new TranslationError(`No graph mapping for ${edge.type}.${selected.field}`);
    // Edge fields read the relationship variable.
    entries.push(
      `${key(responseKey)}: ${fieldExpression(spec, field, relationship, selected.args, selected.selection, scope)}`,
    );
  }
  return `{ ${entries.join(', ')} }`;
}
