import { badUserInput, clip } from '../../errors.js';
import type { CypherQuery } from '../cypher.js';
import type { Executor } from '../executor.js';
import { selectedFields, selectionKey, type Selection } from './selection.js';
import { GRAPH_SPEC, LABEL_OF_TYPE } from './spec.js';
import {
  CypherScope,
  maxResponseRowsOf,
  projectNode,
  responseTooLarge,
  type TranslationLimits,
} from './translate.js';

/** A projected node or object: keys are the GraphQL response keys of the selection that produced it. */
export type Projection = Record<string, unknown>;

function labelOf(typeName: string): string {
  const label = LABEL_OF_TYPE[typeName];
  if (!label) throw new Error(`Type ${typeName} is not stored as a node`);
  return label;
}

/** Builds conditions on the node variable `n`, registering their values in the scope. */
export type Conditions = (node: string, scope: CypherScope) => string[];

/** An id a filter names, checked in the same statement so an unknown id is an error, not an empty result. */
export interface Reference {
  /** The argument path, for the error message, e.g. `filter.chainId`. */
  readonly argument: string;
  readonly typeName: string;
  readonly id: string;
}

function referenceChecks(references: readonly Reference[], scope: CypherScope): string {
  if (references.length === 0) return '[]';
  const checks = references.map(
    (reference) =>
      `CASE WHEN EXISTS { MATCH (:${labelOf(reference.typeName)} { id: ${scope.param(reference.id)} }) } THEN null ELSE ${scope.param(reference.argument)} END`,
  );
  return `[check IN [${checks.join(', ')}] WHERE check IS NOT NULL]`;
}

function throwOnMissing(missing: unknown, references: readonly Reference[]): void {
  if (!Array.isArray(missing) || missing.length === 0) return;
  const argument = String(missing[0]);
  const reference = references.find((candidate) => candidate.argument === argument);
  throw badUserInput(argument, `no ${reference?.typeName ?? 'node'} with id '${clip(reference?.id ?? '?')}'`);
}

/** One node by id, projected for the selection; null when there is none. */
export function nodeByIdQuery(
  typeName: string,
  id: string,
  selection: Selection,
  limits: TranslationLimits,
): CypherQuery {
  const scope = new CypherScope(limits);
  const cypher = `MATCH (n:${labelOf(typeName)} { id: ${scope.param(id)} }) RETURN ${projectNode(GRAPH_SPEC, typeName, 'n', selection, scope)} AS result`;
  scope.assertBudget();
  return { cypher, params: scope.params };
}

export async function readNodeById(
  executor: Executor,
  typeName: string,
  id: string,
  selection: Selection,
  limits: TranslationLimits,
): Promise<Projection | null> {
  const rows = await executor.read(typeName, nodeByIdQuery(typeName, id, selection, limits));
  return (rows[0]?.['result'] as Projection | undefined) ?? null;
}

export interface ListOptions {
  readonly where?: Conditions;
  /** ORDER BY over `n`; default name then id. */
  readonly orderBy?: (node: string) => string;
  readonly references?: readonly Reference[];
}

/** Every node of a type that meets the conditions, projected for the selection, in one statement. */
export function nodeListQuery(
  typeName: string,
  options: ListOptions,
  selection: Selection,
  limits: TranslationLimits,
): CypherQuery {
  const scope = new CypherScope(limits);
  const conditions = options.where?.('n', scope) ?? [];
  const missing = referenceChecks(options.references ?? [], scope);
  const projection = scope.list(1, () => projectNode(GRAPH_SPEC, typeName, 'n', selection, scope)).result;
  // The root list has no page size: its row budget is checked in the statement, from the number of nodes it
  // would return, before anything is projected.
  scope.assertBudget();
  const perNode = scope.integer(scope.values);
  const max = scope.integer(maxResponseRowsOf(limits));
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  const cypher = `CALL { MATCH (n:${labelOf(typeName)})${where} RETURN count(n) AS total }
    CALL (total) {
      MATCH (n:${labelOf(typeName)})${where}${conditions.length > 0 ? ' AND' : ' WHERE'} total * ${perNode} <= ${max}
      WITH n ORDER BY ${options.orderBy?.('n') ?? 'n.name, n.id'}
      RETURN collect(${projection}) AS results
    }
    RETURN results, total * ${perNode} AS worstCase, ${missing} AS missing`;
  return { cypher, params: scope.params };
}

export async function readNodeList(
  executor: Executor,
  typeName: string,
  options: ListOptions,
  selection: Selection,
  limits: TranslationLimits,
): Promise<Projection[]> {
  const rows = await executor.read(typeName, nodeListQuery(typeName, options, selection, limits));
  throwOnMissing(rows[0]?.['missing'], options.references ?? []);
  const worstCase = Number(rows[0]?.['worstCase'] ?? 0);
  if (worstCase > maxResponseRowsOf(limits)) throw responseTooLarge(worstCase, maxResponseRowsOf(limits), '');
  return (rows[0]?.['results'] as Projection[] | undefined) ?? [];
}

// ---------------------------------------------------------------------------------------------------------------
// Connections: keyset pagination.

export interface SortKey {
  /** Name of the sort field as the API knows it (recorded in cursors). */
  readonly field: string;
  /** Cypher expression of the sort value over `n`; must never be null. */
  readonly expression: (node: string) => string;
  readonly direction: 'ASC' | 'DESC';
}

export interface ConnectionRequest {
  readonly typeName: string;
  readonly where: Conditions;
  /**
   * An optional starting pattern that binds `n` from something selective (the region subtree), so the page is not
   * found by scanning every node of the label and testing each one.
   */
  readonly anchor?: (node: string, scope: CypherScope) => string;
  readonly references: readonly Reference[];
  readonly sort: SortKey;
  readonly first: number;
  readonly after: string | null | undefined;
  /** The selection of the connection object (totalCount, edges, nodes, pageInfo). */
  readonly selection: Selection;
}

interface Cursor {
  readonly field: string;
  readonly direction: 'ASC' | 'DESC';
  readonly key: string;
  readonly id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.field, cursor.direction, cursor.key, cursor.id])).toString(
    'base64url',
  );
}

/** Decodes an `after` cursor, refusing anything that is not one of ours or was made for another sort order. */
export function decodeCursor(value: string, sort: SortKey): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw badUserInput('after', 'not a cursor returned by this API');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((part) => typeof part === 'string')) {
    throw badUserInput('after', 'not a cursor returned by this API');
  }
  const [field, direction, key, id] = parsed as [string, string, string, string];
  if (field !== sort.field || direction !== sort.direction) {
    throw badUserInput(
      'after',
      `the cursor was made for order ${field} ${direction}, not ${sort.field} ${sort.direction}`,
    );
  }
  return { field, direction: sort.direction, key, id };
}

/**
 * The node selections of a connection, one per path (`nodes`, `edges.node`, and each of their aliases): identical
 * selections share one projection, different ones never do. `slots[i]` is the projection index of the path `i`.
 */
export function connectionNodeSelections(selection: Selection): {
  readonly projections: readonly Selection[];
  /** The first path of each projection, for error messages. */
  readonly pathOf: readonly string[];
  readonly slotOf: ReadonlyMap<string, number>;
} {
  const projections: Selection[] = [];
  const pathOf: string[] = [];
  const byKey = new Map<string, number>();
  const slotOf = new Map<string, number>();
  const add = (path: string, nodeSelection: Selection) => {
    const canonical = selectionKey(nodeSelection);
    let index = byKey.get(canonical);
    if (index === undefined) {
      index = projections.length;
      projections.push(nodeSelection);
      pathOf.push(path);
      byKey.set(canonical, index);
    }
    slotOf.set(path, index);
  };
  for (const [key, nodes] of selectedFields(selection, 'nodes')) add(key, nodes.selection);
  for (const [edgesKey, edges] of selectedFields(selection, 'edges')) {
    for (const [nodeKey, node] of selectedFields(edges.selection, 'node')) {
      add(`${edgesKey}.${nodeKey}`, node.selection);
    }
  }
  return { projections, pathOf, slotOf };
}

/**
 * One statement for a page: the rows after the cursor in (sort key, id) order — one more than asked, to know
 * whether a next page exists — and, only when selected, the total count.
 */
export function connectionQuery(request: ConnectionRequest, limits: TranslationLimits): CypherQuery {
  const scope = new CypherScope(limits);
  const label = labelOf(request.typeName);
  const { sort } = request;
  const { projections, pathOf } = connectionNodeSelections(request.selection);
  const match = request.anchor ? request.anchor('n', scope) : `(n:${label})`;
  const conditions = request.where('n', scope);
  const pageConditions = [...conditions];
  if (request.after) {
    const cursor = decodeCursor(request.after, sort);
    const comparison = sort.direction === 'ASC' ? '>' : '<';
    const key = scope.param(cursor.key);
    const id = scope.param(cursor.id);
    pageConditions.push(
      `(${sort.expression('n')} ${comparison} ${key} OR (${sort.expression('n')} = ${key} AND n.id ${comparison} ${id}))`,
    );
  }
  const where = (list: string[]) => (list.length > 0 ? ` WHERE ${list.join(' AND ')}` : '');
  const wantsTotal = selectedFields(request.selection, 'totalCount').length > 0;
  const missing = referenceChecks(request.references, scope);
  // The page is a list of first + 1 rows: each row holds one projection per distinct node selection, plus its
  // sort key and id.
  const rowProjection = scope.list(request.first + 1, () => {
    scope.count(2);
    return projections
      .map(
        (selection, index) =>
          `p${index}: ${scope.at(pathOf[index]!, () => projectNode(GRAPH_SPEC, request.typeName, 'n', selection, scope))}`,
      )
      .join(', ');
  }).result;
  scope.assertBudget();
  const cypher = [
    wantsTotal ? `CALL { MATCH ${match}${where(conditions)} RETURN count(DISTINCT n) AS totalCount }` : '',
    `CALL {
      MATCH ${match}${where(pageConditions)}
      WITH DISTINCT n ORDER BY ${sort.expression('n')} ${sort.direction}, n.id ${sort.direction}
      LIMIT ${scope.integer(request.first + 1)}
      RETURN collect({ nodes: { ${rowProjection} }, key: ${sort.expression('n')}, id: n.id }) AS rows
    }`,
    `RETURN rows, ${wantsTotal ? 'totalCount' : 'null AS totalCount'}, ${missing} AS missing`,
  ]
    .filter(Boolean)
    .join('\n');
  return { cypher, params: scope.params };
}

/** Runs a connection query and shapes the result by the connection's selection (response keys). */
export async function readConnection(
  executor: Executor,
  request: ConnectionRequest,
  limits: TranslationLimits,
): Promise<Projection> {
  const result = await executor.read(`${request.typeName}-page`, connectionQuery(request, limits));
  const row = result[0] ?? {};
  throwOnMissing(row['missing'], request.references);
  const rows =
    (row['rows'] as { nodes: Record<string, Projection>; key: string; id: string }[] | undefined) ?? [];
  const { slotOf } = connectionNodeSelections(request.selection);
  // The projection made for the selection at this path of the connection.
  const nodeAt = (entry: (typeof rows)[number], path: string) => entry.nodes[`p${slotOf.get(path) ?? 0}`];
  const page = rows.slice(0, request.first);
  const cursorOf = (entry: { key: string; id: string }) =>
    encodeCursor({
      field: request.sort.field,
      direction: request.sort.direction,
      key: String(entry.key),
      id: entry.id,
    });
  const connection: Projection = {};
  for (const [responseKey, selected] of request.selection) {
    switch (selected.field) {
      case 'totalCount':
        connection[responseKey] = row['totalCount'];
        break;
      case 'nodes':
        connection[responseKey] = page.map((entry) => nodeAt(entry, responseKey));
        break;
      case 'edges':
        connection[responseKey] = page.map((entry) => {
          const edge: Projection = {};
          for (const [edgeKey, edgeField] of selected.selection) {
            edge[edgeKey] =
              edgeField.field === 'cursor' ? cursorOf(entry) : nodeAt(entry, `${responseKey}.${edgeKey}`);
          }
          return edge;
        });
        break;
      case 'pageInfo': {
        const info: Record<string, unknown> = {
          hasNextPage: rows.length > request.first,
          hasPreviousPage: Boolean(request.after),
          startCursor: page[0] ? cursorOf(page[0]) : null,
          endCursor: page.length > 0 ? cursorOf(page[page.length - 1]!) : null,
        };
        connection[responseKey] = Object.fromEntries(
          [...selected.selection].map(([infoKey, infoField]) => [infoKey, info[infoField.field]]),
        );
        break;
      }
    }
  }
  return connection;
}
