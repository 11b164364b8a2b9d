import neo4j from 'neo4j-driver';

import { roleAtLeast, type Role } from '../../auth.js';
import {
  DEFAULT_LIST_ANCHOR_LIMIT,
  DEFAULT_LIST_SCAN_LIMIT,
  DEFAULT_MAX_RESPONSE_ROWS,
} from '../../config.js';
import { AppError, badUserInput, ErrorCode } from '../../errors.js';
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

/**
 * Allocates parameter and variable names for one statement, and keeps its row budget: while the projection is
 * built, every value it can return is counted with the product of the LIMITs of the lists around it, so the
 * statement's worst-case size is known before it runs (`assertBudget`).
 */
export class CypherScope {
  readonly params: Record<string, unknown> = {};
  private parameterCount = 0;
  private variableCount = 0;
  /** Worst-case number of values the projection built so far can return. */
  private valueCount = 0;
  /** Product of the bounds of the lists enclosing the current position. */
  private multiplier = 1;
  private listDepth = 0;
  private listsEntered = 0;
  /** Response keys from the root field down to the current position, for error messages. */
  private readonly path: string[] = [];
  private widest: { path: string; rows: number } = { path: '', rows: 1 };

  constructor(readonly limits: TranslationLimits) {}

  /** Whether the caller may see a field that needs `role` (see `FieldSpec.requiresRole`). */
  allows(role: Role | undefined): boolean {
    return role === undefined || roleAtLeast(this.limits.callerRole ?? null, role);
  }

  /** Counts `values` values at the current position (each multiplied by the enclosing lists' bounds). */
  count(values = 1): void {
    this.valueCount += values * this.multiplier;
  }

  /** The worst-case number of values counted so far. */
  get values(): number {
    return this.valueCount;
  }

  /** The response keys from the root field down to the current position, joined by dots. */
  pathText(): string {
    return this.path.join('.');
  }

  /** Builds the part of the projection under one response key. */
  at<T>(responseKey: string, build: () => T): T {
    this.path.push(responseKey);
    try {
      return build();
    } finally {
      this.path.pop();
    }
  }

  /**
   * Builds the element of a list of at most `bound` entries. Reports whether the list sits inside another list and
   * whether its element holds a list itself: such a list multiplies the response, so it must carry a LIMIT.
   */
  list<T>(bound: number, build: () => T): { result: T; multiplies: boolean } {
    const outer = this.multiplier;
    const nestedBefore = this.listsEntered;
    const insideList = this.listDepth > 0;
    this.listsEntered += 1;
    this.listDepth += 1;
    this.multiplier = outer * Math.max(bound, 1);
    if (this.multiplier > this.widest.rows)
      this.widest = { path: this.path.join('.'), rows: this.multiplier };
    try {
      this.count(1); // the element itself
      const result = build();
      return { result, multiplies: insideList || this.listsEntered > nestedBefore + 1 };
    } finally {
      this.multiplier = outer;
      this.listDepth -= 1;
    }
  }

  /**
   * Refuses the statement when its worst case exceeds MAX_RESPONSE_ROWS, naming the list that multiplies the most.
   * Root lists are counted like any list (`list`), so this is the whole statement's figure.
   */
  assertBudget(): void {
    const total = this.valueCount;
    const max = maxResponseRowsOf(this.limits);
    if (total <= max) return;
    throw responseTooLarge(total, max, this.widest.path);
  }

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

/** The error for a statement whose worst-case result is above MAX_RESPONSE_ROWS. */
export function responseTooLarge(total: number, max: number, path: string): AppError {
  const where = path === '' ? 'this field' : `'${path}'`;
  return new AppError(
    ErrorCode.QUERY_TOO_COMPLEX,
    `This field could return up to ${total.toLocaleString('en')} values (the product of the page sizes, depths and paths of its nested lists; the widest is ${where}), above MAX_RESPONSE_ROWS ${max.toLocaleString('en')}; ask for smaller pages (first), shallower traversals (depth) or fewer nested lists`,
    { limit: 'maxResponseRows', rows: total, max, at: path },
  );
}

/** Used when the limits given to the translator carry no MAX_RESPONSE_ROWS (unit tests, scripts). */
export { DEFAULT_MAX_RESPONSE_ROWS };

export function maxResponseRowsOf(limits: TranslationLimits): number {
  return limits.maxResponseRows ?? DEFAULT_MAX_RESPONSE_ROWS;
}

/** LIST_ANCHOR_LIMIT and LIST_SCAN_LIMIT, their defaults when the limits carry none (unit tests, scripts). */
export function listLimitsOf(limits: TranslationLimits): { anchor: number; scan: number } {
  return {
    anchor: limits.listAnchorLimit ?? DEFAULT_LIST_ANCHOR_LIMIT,
    scan: limits.listScanLimit ?? DEFAULT_LIST_SCAN_LIMIT,
  };
}

export interface TranslationLimits {
  /** The largest `first` a nested list may ask for; also its default when not given. */
  readonly maxPageSize: number;
  /** The deepest upstream/downstream traversal a request may ask for. */
  readonly maxTraversalDepth: number;
  /** The most values one statement may return in the worst case (MAX_RESPONSE_ROWS). */
  readonly maxResponseRows?: number;
  /**
   * A connection filtered by region reads and sorts the region's located nodes whole when it has at most this many
   * (LIST_ANCHOR_LIMIT); `totalCount` is counted only among at most this many candidates.
   */
  readonly listAnchorLimit?: number;
  /** The most nodes a connection page reads in index order before it stops short (LIST_SCAN_LIMIT). */
  readonly listScanLimit?: number;
  /**
   * The caller's role (null: anonymous). Fields that need a role the caller lacks are not projected at all, so no
   * road through the graph (alias, nested relation, analytics hydration) can return them.
   */
  readonly callerRole?: Role | null;
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
  /**
   * For a paged relation whose parent can hold any share of the graph (a segment's or a region's enterprises, a
   * buyer's suppliers): a page must not read every related node to sort them. See `hubPage`.
   */
  readonly hub?: HubSpec;
}

/** How a relation over a hub is paged (`RelationSpec.hub`). */
export interface HubSpec {
  /** The label of the related nodes; an index of it gives them in the relation's order (`order`). */
  readonly label: string;
  /**
   * The properties of the label's index that give the relation's order, ties by id (default `name`: name, then id).
   * A relation with its own `orderBy` must name the index that gives that order, ties included: a policy measure's
   * (number, id).
   */
  readonly order?: readonly string[];
  /**
   * At most how many nodes the parent `from` relates to, from relationship degrees (no node read): at most
   * LIST_ANCHOR_LIMIT, the page reads them all and sorts them.
   */
  readonly degree: (from: string, scope: CypherScope) => string;
  /**
   * The root connection that pages the same nodes with a cursor, named in the refusal of a page read short; none for
   * a firm's supply links.
   */
  readonly connection?: string;
  /**
   * Arguments that can anchor the page on the nodes they admit instead (a segment's enterprises in a region: the
   * region's): when the parent is a hub but the argument admits at most LIST_ANCHOR_LIMIT nodes, those are read,
   * tested against the relation's pattern and sorted.
   */
  readonly anchors?: Readonly<Record<string, ArgumentAnchor>>;
}

/** An argument of a hub relation that can anchor its page (`HubSpec.anchors`). */
export interface ArgumentAnchor {
  /** At most how many nodes the argument's value admits, from relationship degrees (no node read). */
  readonly degree: (value: unknown, scope: CypherScope) => string;
  /** A pattern binding `to` to every node the argument's value admits (each once). */
  readonly pattern: (value: unknown, to: string, scope: CypherScope) => string;
}

/**
 * The key of the marker a hub page ends with when its read in index order stopped at LIST_SCAN_LIMIT nodes before it
 * found `first` (the page may then miss nodes further on). `assertPagesComplete` turns it into the error.
 */
export const STOPPED_PAGE_KEY = '__pageStoppedShort';

/**
 * A node property, a Cypher expression over the node variable, or a related node / list. `requiresRole`: the field is
 * projected as null for a caller without that role (its resolver then raises the field error).
 */
export type FieldSpec = (
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
  | RelationSpec
) & { readonly requiresRole?: Role };

/** How one GraphQL object type maps to the graph. Edge types describe relationship properties. */
export interface TypeSpec {
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

export type GraphSpec = Readonly<Record<string, TypeSpec>>;

export class TranslationError extends Error {
  override readonly name = 'TranslationError';
}

const RESPONSE_KEY = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A response key as a back-quoted Cypher map key, refusing anything that is not a GraphQL name. */
export function responseKeyName(responseKey: string): string {
  return key(responseKey);
}

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
    scope.count(1);
    // A field the caller may not see is never read from the graph: null here, the field error in its resolver.
    const expression = scope.allows(field.requiresRole)
      ? scope.at(responseKey, () =>
          fieldExpression(spec, field, node, selected.args, selected.selection, scope),
        )
      : 'null';
    entries.push(`${key(responseKey)}: ${expression}`);
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
  const project = () =>
    relation.edge
      ? projectEdge(spec, relation, relationship, to, selection, scope)
      : projectNode(spec, relation.target, to, selection, scope);
  const order = relation.orderBy ? relation.orderBy(to, relationship) : `${to}.name, ${to}.id`;
  let projection: string;
  let limit: string;
  if (!relation.many) {
    projection = project();
    limit = ' LIMIT 1';
  } else if (relation.paged) {
    const first = pageSize(args['first'], scope.limits, { argument: `${relation.target} list first` });
    projection = scope.list(first, project).result;
    limit = ` LIMIT ${scope.integer(first)}`;
    if (relation.hub) {
      if (relation.orderBy && !relation.hub.order) {
        throw new TranslationError(
          `A hub relation to ${relation.target} with its own order must name the index that gives it`,
        );
      }
      return hubPage(
        relation,
        relation.hub,
        { from, to, relationship, conditions, projection, first, args, order },
        scope,
      );
    }
  } else {
    // A list without `first` is every related node, capped at MAX_PAGE_SIZE when it multiplies the response (it
    // sits in another list or holds one); alone it returns at most one node's own relationships.
    const bound = scope.limits.maxPageSize;
    const built = scope.list(bound, project);
    projection = built.result;
    limit = built.multiplies ? ` LIMIT ${scope.integer(bound)}` : '';
  }
  const subquery =
    `COLLECT { MATCH ${relation.pattern(from, relationship, to)}` +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` RETURN ${projection} ORDER BY ${order}${limit} }`;
  return relation.many ? subquery : `${subquery}[0]`;
}

/**
 * A page of a relation over a hub (`RelationSpec.hub`). When the parent relates to at most LIST_ANCHOR_LIMIT nodes
 * (its degree, read without reading them), they are read and sorted whole, as any relation. Above that, the page is
 * read from the related label's index in the relation's order (`HubSpec.order`: name, then id, unless the relation
 * orders by something else) and each node is tested against the relation's pattern, until `first` belong or
 * LIST_SCAN_LIMIT nodes were read: so a page of a segment holding 300,000 firms reads a few hundred index entries
 * instead of the 300,000 (at a million firms, 0.6 s before).
 * A read that stops at LIST_SCAN_LIMIT short of `first`, with more nodes of the label left, ends its page with a
 * marker (STOPPED_PAGE_KEY): the nodes further on were not looked at, so the page is refused rather than returned
 * incomplete (`assertPagesComplete`). An argument that admits at most LIST_ANCHOR_LIMIT nodes (`HubSpec.anchors`: a
 * region) anchors the page on those instead. Which branch runs is decided per parent row, in the statement: a CASE
 * evaluates only the subquery of the branch it takes.
 */
function hubPage(
  relation: RelationSpec,
  hub: HubSpec,
  parts: {
    readonly from: string;
    readonly to: string;
    readonly relationship: string;
    readonly conditions: readonly string[];
    readonly projection: string;
    readonly first: number;
    readonly args: Readonly<Record<string, unknown>>;
    /** The relation's ORDER BY, which the index of `hub.order` gives. */
    readonly order: string;
  },
  scope: CypherScope,
): string {
  const { from, to, relationship, conditions, projection, first, args, order } = parts;
  const { anchor, scan } = listLimitsOf(scope.limits);
  const pattern = relation.pattern(from, relationship, to);
  const filter = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const indexed = hub.order ?? ['name'];
  const firstParameter = scope.integer(first);
  const scanParameter = scope.integer(scan);
  const anchorParameter = scope.integer(anchor);
  // Each branch finds the page's nodes and relationships as [node, relationship] pairs; the selection is projected
  // once, over the branch taken, so a hub nested in a hub's selection is written once, not once per branch.
  const pair = `[${to}, ${relationship}]`;
  const anchored = `COLLECT { MATCH ${pattern}${filter} RETURN ${pair} ORDER BY ${order} LIMIT ${firstParameter} }`;
  // The ORDER BY before the scan's LIMIT is what the index already gives (name, ties by id sorted a name at a time;
  // a composite index such as a measure's (number, id) gives it whole): the rows stream on in that order, so the
  // LIMIT after the pattern stops the read with the page.
  const scanned =
    `COLLECT { MATCH (${to}:${hub.label}) USING INDEX ${to}:${hub.label}(${indexed.join(', ')})` +
    ` WHERE ${indexed.map((property) => `${to}.${property} IS NOT NULL`).join(' AND ')}` +
    ` WITH ${to} ORDER BY ${order} LIMIT ${scanParameter}` +
    ` MATCH ${pattern}${filter} WITH ${to}, ${relationship} LIMIT ${firstParameter} RETURN ${pair} }`;
  // A read that stopped at LIST_SCAN_LIMIT short of `first`, with more nodes of the label left, ends with [null, null].
  const rows = scope.variable('rows');
  const checked =
    `[${rows} IN [${scanned}] | CASE WHEN size(${rows}) < ${firstParameter} AND COUNT { (:${hub.label}) } > ${scanParameter}` +
    ` THEN ${rows} + [[null, null]] ELSE ${rows} END][0]`;
  const parentDegree = hub.degree(from, scope);
  const byArgument = Object.entries(hub.anchors ?? {}).flatMap(([name, argumentAnchor]) => {
    const value = args[name];
    if (value === undefined || value === null) return [];
    return [
      { degree: argumentAnchor.degree(value, scope), pattern: argumentAnchor.pattern(value, to, scope) },
    ];
  });
  // The smaller side anchors: a small segment's firms in a large region are read from the segment, a large
  // segment's firms in a city from the city.
  const parentIsSmallest = byArgument
    .map((argument) => ` AND ${parentDegree} <= ${argument.degree}`)
    .join('');
  const argumentBranches = byArgument.map(
    (argument) =>
      ` WHEN ${argument.degree} <= ${anchorParameter} THEN COLLECT { MATCH ${argument.pattern}` +
      ` MATCH ${pattern}${filter} WITH DISTINCT ${to}, ${relationship} RETURN ${pair} ORDER BY ${order} LIMIT ${firstParameter} }`,
  );
  const pairs = scope.variable('pairs');
  const found = scope.variable('found');
  const marker = scope.param({
    path: scope.pathText(),
    first,
    scan,
    connection: hub.connection ?? null,
    order: indexed.join(', '),
  });
  // With an argument anchor, a parent under the limit that is not the smaller side is still read whole when the
  // argument's side is over it; without one, the first branch says it all (a region's degree is a sum over its
  // sub-regions: worth computing once).
  const parentAfterArguments =
    argumentBranches.length > 0 ? ` WHEN ${parentDegree} <= ${anchorParameter} THEN ${anchored}` : '';
  return (
    `[${pairs} IN [CASE WHEN ${parentDegree} <= ${anchorParameter}${parentIsSmallest} THEN ${anchored}` +
    `${argumentBranches.join('')}${parentAfterArguments} ELSE ${checked} END]` +
    ` | COLLECT { UNWIND ${pairs} AS ${found} WITH ${found} WHERE ${found}[0] IS NOT NULL` +
    ` WITH ${found}[0] AS ${to}, ${found}[1] AS ${relationship} RETURN ${projection} ORDER BY ${order} }` +
    ` + CASE WHEN any(${found} IN ${pairs} WHERE ${found}[0] IS NULL) THEN [{ ${key(STOPPED_PAGE_KEY)}: ${marker} }] ELSE [] END][0]`
  );
}

/** The marker a hub page ends with when its read stopped short (see `hubPage`). */
interface StoppedPage {
  readonly path: string;
  readonly first: number | { toNumber(): number };
  readonly scan: number | { toNumber(): number };
  readonly connection: string | null;
  /** The index properties the read went in the order of (`HubSpec.order`). */
  readonly order: string;
}

/**
 * Refuses a statement's result that holds a hub page read short (`hubPage`), naming the list. Only statements whose
 * text can produce the marker are walked.
 */
export function assertPagesComplete(query: { readonly cypher: string }, result: unknown): void {
  if (!query.cypher.includes(STOPPED_PAGE_KEY)) return;
  const stopped = findStoppedPage(result);
  if (stopped === null) return;
  const count = (value: StoppedPage['first']) => (typeof value === 'number' ? value : value.toNumber());
  throw new AppError(
    ErrorCode.QUERY_TOO_COMPLEX,
    `'${stopped.path}' read ${count(stopped.scan).toLocaleString('en')} nodes in ${stopped.order} order (LIST_SCAN_LIMIT) and found fewer than first (${count(stopped.first)}) that belong to it, so the nodes further on were not looked at: ${stopped.connection === null ? 'ask for fewer (first), or leave out the filters few of them pass' : `ask for fewer (first), or page them with the root connection ${stopped.connection}, which goes on from where a read stops`}`,
    { limit: 'LIST_SCAN_LIMIT', at: stopped.path },
  );
}

function findStoppedPage(value: unknown): StoppedPage | null {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findStoppedPage(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const marker = record[STOPPED_PAGE_KEY];
  if (typeof marker === 'object' && marker !== null) return marker as StoppedPage;
  for (const item of Object.values(record)) {
    const found = findStoppedPage(item);
    if (found !== null) return found;
  }
  return null;
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
    scope.count(1);
    if (selected.field === edge.nodeField) {
      entries.push(
        `${key(responseKey)}: ${scope.at(responseKey, () => projectNode(spec, relation.target, to, selected.selection, scope))}`,
      );
      continue;
    }
    const field = edgeSpec.fields[selected.field];
    if (!field) throw new TranslationError(`No graph mapping for ${edge.type}.${selected.field}`);
    // Edge fields read the relationship variable.
    const expression = scope.allows(field.requiresRole)
      ? scope.at(responseKey, () =>
          fieldExpression(spec, field, relationship, selected.args, selected.selection, scope),
        )
      : 'null';
    entries.push(`${key(responseKey)}: ${expression}`);
  }
  return `{ ${entries.join(', ')} }`;
}
