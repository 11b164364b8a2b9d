import { AppError, badUserInput, clip, ErrorCode } from '../../errors.js';
import type { CypherQuery } from '../cypher.js';
import type { Executor } from '../executor.js';
import { MAX_REGION_DEPTH, NodeLabel as L, RelationshipType as T } from '../model.js';
import { selectedFields, selectionKey, type Selection } from './selection.js';
import { GRAPH_SPEC, LABEL_OF_TYPE } from './spec.js';
import {
  assertPagesComplete,
  CypherScope,
  listLimitsOf,
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

/**
 * Runs a statement whose rows hold projections of a selection, refusing them when a nested page over a hub was read
 * short (see translate.ts `hubPage`).
 */
export async function readProjected(
  executor: Executor,
  operation: string,
  query: CypherQuery,
): Promise<Record<string, unknown>[]> {
  const rows = await executor.read(operation, query);
  assertPagesComplete(query, rows);
  return rows;
}

export async function readNodeById(
  executor: Executor,
  typeName: string,
  id: string,
  selection: Selection,
  limits: TranslationLimits,
): Promise<Projection | null> {
  const rows = await readProjected(executor, typeName, nodeByIdQuery(typeName, id, selection, limits));
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
  const rows = await readProjected(executor, typeName, nodeListQuery(typeName, options, selection, limits));
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
  /**
   * The node property sorted on (ties by id). It must have a range index for the label (SORTED_BY_INDEX), so that a
   * page is read in index order and the read stops with the page.
   */
  readonly property: 'name' | 'id';
  readonly direction: 'ASC' | 'DESC';
}

/**
 * The labels whose `name` has a range index (src/data/migrations.ts: enterprise_name, platform_name); every label's
 * `id` has one (its uniqueness constraint). A connection sorts only on an indexed property: sorted any other way, a
 * page of the first twenty would read every node of the label first (at a million firms, `enterprises(first: 20)`
 * read 1,005,575 firms, 3.0 million db hits, 1.3 s).
 */
const SORTED_BY_INDEX: Readonly<Record<string, readonly SortKey['property'][]>> = {
  Enterprise: ['name', 'id'],
  Platform: ['name', 'id'],
};

/** The region a connection's nodes are located in (LOCATED_IN), sub-regions included. */
export interface RegionFilter {
  readonly id: string;
  /** Only locations with one of these provenances (null or empty: any). */
  readonly sources?: readonly string[] | null;
}

export interface ConnectionRequest {
  readonly typeName: string;
  readonly where: Conditions;
  readonly region?: RegionFilter | null;
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
export function decodeCursor(value: string, sort: Pick<SortKey, 'field' | 'direction'>): Cursor {
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
 * What every statement of a page reads in: the label, the index order and the keyset conditions after the cursor. The
 * statement that finds where a short page stopped (connectionStopQuery) needs no more.
 */
function keysetOf(request: ConnectionRequest, scope: CypherScope) {
  const label = labelOf(request.typeName);
  const { sort } = request;
  if (!SORTED_BY_INDEX[request.typeName]?.includes(sort.property)) {
    throw new Error(`${request.typeName} has no index on ${sort.property} to page by`);
  }
  const key = `n.${sort.property}`;
  // Sorted by id, the id is the whole key (reading it twice cost a db hit more per node read).
  const order =
    sort.property === 'id' ? `n.id ${sort.direction}` : `${key} ${sort.direction}, n.id ${sort.direction}`;
  // After the cursor: the keyset comparison, and the same bound on the sort key alone, which the index can seek
  // (the whole comparison it cannot). Without a cursor, IS NOT NULL lets the index be scanned in order: every
  // write path requires a name (src/ingest/records.ts), so no node is left out by it.
  const cursorConditions: string[] = [];
  if (request.after) {
    const cursor = decodeCursor(request.after, sort);
    const comparison = sort.direction === 'ASC' ? '>' : '<';
    const cursorId = scope.param(cursor.id);
    if (sort.property === 'id') cursorConditions.push(`n.id ${comparison} ${cursorId}`);
    else {
      const cursorKey = scope.param(cursor.key);
      cursorConditions.push(
        `${key} ${comparison}= ${cursorKey}`,
        `(${key} ${comparison} ${cursorKey} OR n.id ${comparison} ${cursorId})`,
      );
    }
  } else cursorConditions.push(`${key} IS NOT NULL`);
  return { label, key, order, cursorConditions };
}

/** The parts every statement of a page shares, built in one scope so that their parameters line up. */
function pageParts(request: ConnectionRequest, limits: TranslationLimits) {
  const scope = new CypherScope(limits);
  const { label, key, order, cursorConditions } = keysetOf(request, scope);
  const { projections, pathOf } = connectionNodeSelections(request.selection);
  const conditions = request.where('n', scope);
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
  const row = `collect({ nodes: { ${rowProjection} }, key: ${key}, id: n.id })`;
  const wantsTotal = selectedFields(request.selection, 'totalCount').length > 0;
  const { anchor, scan } = listLimitsOf(limits);
  return { scope, label, conditions, cursorConditions, order, missing, row, wantsTotal, anchor, scan };
}

const where = (list: readonly string[]) => (list.length > 0 ? ` WHERE ${list.join(' AND ')}` : '');

/** The LOCATED_IN source condition on `located` for a region filter, or nothing. */
function locatedSources(region: RegionFilter, located: string, scope: CypherScope): string[] {
  return region.sources && region.sources.length > 0
    ? [`${located}.source IN ${scope.param(region.sources)}`]
    : [];
}

/**
 * The first statement of a page, when nothing else bounds it: with a region, the page read from the region's
 * located nodes — when the region (sub-regions included) has at most LIST_ANCHOR_LIMIT things located in it (counted
 * from relationship degrees, nothing read), sorted whole; `anchored` says whether it was, and when it was not the
 * page comes from the ordered scan (connectionScanQuery). Without a region, the ordered scan itself.
 */
export function connectionQuery(request: ConnectionRequest, limits: TranslationLimits): CypherQuery {
  if (!request.region) return connectionScanQuery(request, limits);
  const parts = pageParts(request, limits);
  const { scope, label, conditions, cursorConditions, order, missing, row, wantsTotal } = parts;
  const region = request.region;
  const located = scope.variable('located');
  const anchorLimit = scope.integer(parts.anchor);
  const guard = (variable: string) =>
    `UNWIND CASE WHEN locatedCount <= ${anchorLimit} THEN subs ELSE [] END AS ${variable}`;
  const locatedIn = (variable: string) => `MATCH (${variable})<-[${located}:${T.LOCATED_IN}]-(n:${label})`;
  const sources = locatedSources(region, located, scope);
  const cypher = [
    `CALL {
      MATCH (:${L.Region} { id: ${scope.param(region.id)} })<-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]-(sub:${L.Region})
      WITH collect(DISTINCT sub) AS subs
      RETURN subs, reduce(total = 0, sub IN subs | total + COUNT { (sub)<-[:${T.LOCATED_IN}]-() }) AS locatedCount
    }`,
    // The UNWIND is the guard: over the limit it yields no row, so nothing located is read (a WHERE on the count
    // would be tested row by row after the expansion).
    wantsTotal
      ? `CALL (subs, locatedCount) {
          ${guard('sub')} ${locatedIn('sub')}${where([...sources, ...conditions])}
          RETURN count(DISTINCT n) AS totalCount
        }`
      : '',
    `CALL (subs, locatedCount) {
      ${guard('sub')} ${locatedIn('sub')}${where([...sources, ...conditions, ...cursorConditions])}
      WITH DISTINCT n ORDER BY ${order}
      LIMIT ${scope.integer(request.first + 1)}
      RETURN ${row} AS rows
    }`,
    `RETURN locatedCount <= ${anchorLimit} AS anchored, locatedCount,
            CASE WHEN locatedCount <= ${anchorLimit} THEN null ELSE [sub IN subs | sub.id] END AS within,
            rows, ${wantsTotal ? 'totalCount' : 'null AS totalCount'}, ${missing} AS missing`,
  ]
    .filter(Boolean)
    .join('\n');
  return { cypher, params: scope.params };
}

/**
 * A page read in the order of the sort key's index, from the cursor on: at most LIST_SCAN_LIMIT nodes are read, each
 * tested against the filter (and its home against the region's sub-regions, `within`), until first + 1 pass — so a page
 * costs what it reads, whatever the number of nodes of the label. When the filter passes fewer than that among the
 * nodes read, the page is short; connectionStopQuery then says where the read stopped, and the next page starts
 * there (needed only when the label has more nodes than that: `labelCount`, from the count store). `totalCount`
 * (counting every match) is answered only when the label has at most LIST_ANCHOR_LIMIT nodes: `countable` says whether
 * it was.
 */
export function connectionScanQuery(
  request: ConnectionRequest,
  limits: TranslationLimits,
  within?: readonly string[],
): CypherQuery {
  const parts = pageParts(request, limits);
  const { scope, label, conditions, cursorConditions, order, missing, row, wantsTotal } = parts;
  const inRegion: string[] = [];
  if (request.region) {
    // The region's subtree comes from the first statement (connectionQuery's `within`): one id test per node read,
    // where walking up from each node's home to the region cost some 20 db hits a node (hebei at a million firms:
    // 65,907 db hits for a page).
    if (!within)
      throw new Error('a region page is scanned only with the ids of the region and its sub-regions');
    const located = scope.variable('located');
    inRegion.push(
      `EXISTS { MATCH (n)-[${located}:${T.LOCATED_IN}]->(home:${L.Region})${where([`home.id IN ${scope.param(within)}`, ...locatedSources(request.region, located, scope)])} }`,
    );
  }
  // With a region the count is the first statement's (connectionQuery): when the page comes from here, the region
  // was too large to count.
  const countable = request.region || !wantsTotal ? 'false' : `labelCount <= ${scope.integer(parts.anchor)}`;
  const cypher = [
    // From the count store (no node read): with no more nodes than LIST_SCAN_LIMIT a short page is the end.
    `CALL { MATCH (n:${label}) RETURN count(n) AS labelCount }`,
    wantsTotal
      ? `CALL (labelCount) {
          UNWIND CASE WHEN ${countable} THEN [true] ELSE [] END AS countable
          MATCH (n:${label})${where([...conditions, ...inRegion])}
          RETURN count(n) AS totalCount
        }`
      : '',
    `CALL {
      MATCH (n:${label}) USING INDEX n:${label}(${request.sort.property})${where(cursorConditions)}
      WITH n ORDER BY ${order} LIMIT ${scope.integer(parts.scan)}
      WITH n${where([...conditions, ...inRegion])}
      WITH n LIMIT ${scope.integer(request.first + 1)}
      RETURN ${row} AS rows
    }`,
    `RETURN rows, labelCount, ${wantsTotal ? `${countable} AS countable, totalCount` : 'true AS countable, null AS totalCount'}, ${missing} AS missing`,
  ]
    .filter(Boolean)
    .join('\n');
  return { cypher, params: scope.params };
}

/**
 * Where a short page's read stopped: the LIST_SCAN_LIMIT-th node in the sort key's order from the cursor (its key
 * and id), or no row when fewer are left — then the scan read to the end and there is no next page. Read from the
 * index again (key and id only) rather than tracked by the scan, which stops early on a full page and cannot count.
 */
export function connectionStopQuery(request: ConnectionRequest, limits: TranslationLimits): CypherQuery {
  const scope = new CypherScope(limits);
  const { label, cursorConditions, order } = keysetOf(request, scope);
  const { scan } = listLimitsOf(limits);
  const key = `n.${request.sort.property}`;
  const cypher = `MATCH (n:${label}) USING INDEX n:${label}(${request.sort.property})${where(cursorConditions)}
    WITH n ORDER BY ${order} SKIP ${scope.integer(scan - 1)} LIMIT 1
    RETURN ${key} AS key, n.id AS id`;
  return { cypher, params: scope.params };
}

/**
 * The refusal of a `totalCount` that would count matches one by one among more than LIST_ANCHOR_LIMIT candidates:
 * the things located in the filter's region (`located`), or every node of the type.
 */
function tooManyToCount(
  request: ConnectionRequest,
  located: number | null,
  limits: TranslationLimits,
): AppError {
  const { anchor } = listLimitsOf(limits);
  const among =
    located === null
      ? `every ${request.typeName} in the graph, more than ${anchor.toLocaleString('en')}`
      : `the ${located.toLocaleString('en')} things located in region '${clip(request.region?.id ?? '')}', more than ${anchor.toLocaleString('en')}`;
  return new AppError(
    ErrorCode.QUERY_TOO_COMPLEX,
    `totalCount would count the matches one by one among ${among} (LIST_ANCHOR_LIMIT): leave totalCount out and page, or narrow the filter with a smaller regionId`,
    { limit: 'LIST_ANCHOR_LIMIT', argument: 'totalCount' },
  );
}

/**
 * Reads a page and shapes it by the connection's selection (response keys). One statement for a page of a region
 * with at most LIST_ANCHOR_LIMIT things located in it; otherwise the ordered scan (one statement, a second one only
 * when its page is short, to find where the next page starts). A page may then hold fewer than `first` nodes with
 * `hasNextPage` true: the scan read LIST_SCAN_LIMIT nodes and the filter passed fewer; the next page goes on from
 * where it stopped, so paging to the end still lists every match exactly once.
 */
export async function readConnection(
  executor: Executor,
  request: ConnectionRequest,
  limits: TranslationLimits,
): Promise<Projection> {
  const operation = `${request.typeName}-page`;
  let [row = {}] = await readProjected(executor, operation, connectionQuery(request, limits));
  throwOnMissing(row['missing'], request.references);
  let stop: { key: string; id: string } | null = null;
  const anchored = request.region !== undefined && request.region !== null && row['anchored'] === true;
  if (request.region && !anchored) {
    if (selectedFields(request.selection, 'totalCount').length > 0) {
      throw tooManyToCount(request, Number(row['locatedCount']), limits);
    }
    const within = (row['within'] as string[] | null | undefined) ?? [];
    [row = {}] = await readProjected(executor, operation, connectionScanQuery(request, limits, within));
  }
  if (!anchored) {
    if (row['countable'] === false) throw tooManyToCount(request, null, limits);
    const read = (row['rows'] as unknown[] | undefined) ?? [];
    // A short page of a label with no more nodes than the scan reads was read to the end: no stop to look for (one
    // statement for the page, as for a graph the size of the plan's).
    if (read.length <= request.first && Number(row['labelCount']) > listLimitsOf(limits).scan) {
      const [found] = await executor.read(`${operation}-stop`, connectionStopQuery(request, limits));
      if (found) stop = { key: String(found['key']), id: String(found['id']) };
    }
  }
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
          // A short page whose read stopped before the end goes on from where the read stopped.
          hasNextPage: rows.length > request.first || stop !== null,
          hasPreviousPage: Boolean(request.after),
          startCursor: page[0] ? cursorOf(page[0]) : null,
          endCursor: stop ? cursorOf(stop) : page.length > 0 ? cursorOf(page[page.length - 1]!) : null,
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
