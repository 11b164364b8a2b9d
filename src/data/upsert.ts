import { AppError, ErrorCode } from '../errors.js';
import { cypher, type CypherQuery } from './cypher.js';
import {
  bumpStructureVersionQuery,
  recordChangeQuery,
  touchedHomesQuery,
  type TouchedNodes,
} from './changes.js';
import type { Executor, Row } from './executor.js';
import {
  assertLabel,
  assertRelationship,
  DERIVED_NODE_PROPERTIES,
  DERIVED_RELATIONSHIP_PROPERTIES,
  NodeLabel,
  RelationshipType,
} from './model.js';

const T_SUPPLIES = RelationshipType.SUPPLIES;

/** A property value Neo4j can store; undefined and null mean "no such property" and are dropped. */
export type PropertyValue = string | number | boolean | string[] | number[] | null | undefined;
export type Properties = Record<string, PropertyValue>;

export interface NodeBatch {
  readonly label: NodeLabel;
  /** Each row's properties, including its `id`. */
  readonly rows: readonly Properties[];
  /**
   * `replace` (the default; seeds) makes the node's properties exactly the row's. `merge` (imports) sets the row's
   * properties and keeps the others, so a file with fewer columns never erases what it does not mention.
   */
  readonly mode?: 'replace' | 'merge';
  /**
   * `merge` only: properties a node gets when it is created and keeps otherwise (flags default to false), so that
   * a column missing from a re-import never resets what is stored.
   */
  readonly defaults?: Properties;
}

export interface RelationshipBatch {
  readonly type: RelationshipType;
  readonly from: NodeLabel;
  readonly to: NodeLabel;
  readonly rows: readonly { readonly from: string; readonly to: string; readonly properties: Properties }[];
  /** A node has at most one relationship of this type (an enterprise's location): others are removed. */
  readonly exclusive?: boolean;
  /** Like NodeBatch.mode: `merge` (imports) sets the row's properties on an existing relationship and keeps others. */
  readonly mode?: 'replace' | 'merge';
  /** `merge` only: properties a relationship gets when it is created (an empty product list, say). */
  readonly defaults?: Properties;
}

export interface UpsertCounts {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

/** Drops null and undefined, so that a stored node's properties() compare equal to what we would write. */
export function storedProperties(
  properties: Properties,
): Record<string, string | number | boolean | string[] | number[]> {
  // A plain loop: this runs for every row of every write (twice per imported enterprise), and entries/filter/
  // fromEntries cost ten times as much (about 0.1 s of CPU per 20,000 rows).
  const stored: Record<string, string | number | boolean | string[] | number[]> = {};
  for (const key in properties) {
    const value = properties[key];
    if (value !== null && value !== undefined) stored[key] = value;
  }
  return stored;
}

/**
 * Rows are written in id order (relationships in source-id order), so that concurrent writers take the locks they
 * share in the same order and queue instead of deadlocking.
 */
function byText(a: unknown, b: unknown): number {
  const left = String(a);
  const right = String(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Cypher: whether the stored `existing` differs from the properties `row` would give it, over the row's keys (a merge
 * keeps the others), or — replacing, with `derived` properties the service keeps itself — over every key but those
 * (`$derived`): a replace erases what the row lacks, but never the derived ones, so neither do they count as a change.
 */
function differsQuery(row: string, mode: 'merge' | 'replace', derived: readonly string[]): string {
  const rowKeys = `any(key IN keys(${row}) WHERE existing[key] IS NULL OR existing[key] <> ${row}[key])`;
  if (mode === 'merge') return rowKeys;
  if (derived.length === 0) return `properties(existing) <> ${row}`;
  return `(${rowKeys}
         OR any(key IN keys(existing) WHERE NOT key IN $derived AND ${row}[key] IS NULL))`;
}

/** Cypher (after a comma in a WITH): `kept`, the derived properties of `existing`, which a replace puts back. */
const keptOf = (derived: readonly string[]) =>
  derived.length === 0 ? '' : `, existing { ${derived.map((key) => `.${key}`).join(', ')} } AS kept`;

const COUNTS = `RETURN count(*) AS total,
       sum(CASE WHEN isNew THEN 1 ELSE 0 END) AS created,
       sum(CASE WHEN isChanged THEN 1 ELSE 0 END) AS updated`;

/**
 * MERGE by id and replace the properties, reporting how many rows were created, changed or already identical, so
 * that re-running a load is visibly a no-op.
 */
export function upsertNodesQuery(batch: NodeBatch): CypherQuery {
  const label = assertLabel(batch.label);
  const merge = batch.mode === 'merge';
  // Replacing the properties keeps the derived ones (recomputed from the graph, not given by a row), and they are
  // not compared: re-loading the same rows still changes nothing.
  const derived = merge ? [] : (DERIVED_NODE_PROPERTIES[label] ?? []);
  return cypher(
    `UNWIND $rows AS row
     OPTIONAL MATCH (existing:${label} { id: row.id })
     WITH row${keptOf(derived)}, existing IS NULL AS isNew,
          existing IS NOT NULL AND ${differsQuery('row', merge ? 'merge' : 'replace', derived)} AS isChanged
     MERGE (n:${label} { id: row.id })
     ${merge ? 'ON CREATE SET n += $defaults SET n += row' : `SET n = row${derived.length === 0 ? '' : ' SET n += coalesce(kept, {})'}`}
     ${COUNTS},
       collect(CASE WHEN NOT isNew THEN row.id END) AS existingIds`,
    {
      rows: [...batch.rows].sort((a, b) => byText(a['id'], b['id'])).map(storedProperties),
      ...(merge ? { defaults: storedProperties(batch.defaults ?? {}) } : {}),
      ...(derived.length > 0 ? { derived } : {}),
    },
  );
}

/**
 * One relationship of the type between each pair of existing nodes, with its properties replaced.
 *
 * Not MERGE: MERGE on a relationship locks both of its nodes exclusively, and the target is usually a shared, dense
 * node (a region, a segment), so every concurrent import into one region would queue behind the others and a busy
 * one would run into the transaction timeout. Instead the source node is locked (a no-op SET takes its write lock),
 * which is enough to make check-then-create safe — every writer of a pair locks the same source first — while the
 * target is only read. Pairs are unique within a batch (the last row wins), since rows of one statement do not see
 * each other's CREATEs.
 *
 * `sourcesLocked`: every source node was already written (so write-locked) earlier in the same transaction — an
 * import's enterprise batch before its locations — and the locking no-op SET is left out: it would write one more
 * property per row for a lock the transaction holds.
 *
 * An exclusive type also returns `formerIds`: the targets whose relationship was replaced (a firm's old home), which
 * the aggregates' change record needs and which no later statement of the transaction can read again.
 */
export function upsertRelationshipsQuery(
  batch: RelationshipBatch,
  options: { readonly sourcesLocked?: boolean } = {},
): CypherQuery {
  const type = assertRelationship(batch.type);
  const from = assertLabel(batch.from);
  const to = assertLabel(batch.to);
  // For an exclusive type, a relationship to another node counts as a change and is removed.
  const exclusive = batch.exclusive
    ? `CALL (a, b) {
         OPTIONAL MATCH (a)-[other:${type}]->(elsewhere:${to}) WHERE elsewhere <> b
         WITH other, elsewhere.id AS formerId
         DELETE other
         RETURN count(other) AS moved, collect(formerId) AS formerIds
       }`
    : 'WITH a, b, row, 0 AS moved, [] AS formerIds';
  const merge = batch.mode === 'merge';
  const derived = DERIVED_RELATIONSHIP_PROPERTIES[type] ?? [];
  const differs = differsQuery('row.properties', merge ? 'merge' : 'replace', derived);
  // Replacing the properties keeps the derived ones (they are recomputed from the graph, not given by a row).
  const kept = keptOf(derived);
  const restore = !merge && derived.length > 0 ? ' SET existing += kept' : '';
  const pairs = new Map(batch.rows.map((row) => [JSON.stringify([row.from, row.to]), row]));
  return cypher(
    `UNWIND $rows AS row
     MATCH (a:${from} { id: row.from })
     MATCH (b:${to} { id: row.to })
     ${options.sourcesLocked === true ? '' : 'SET a.id = a.id'}
     WITH a, b, row
     ${exclusive}
     OPTIONAL MATCH (a)-[existing:${type}]->(b)
     WITH a, b, row, formerIds, existing${kept}, existing IS NULL AND moved = 0 AS isNew,
          (existing IS NULL AND moved > 0) OR (existing IS NOT NULL AND ${differs}) AS isChanged
     FOREACH (_ IN CASE WHEN existing IS NULL THEN [1] ELSE [] END |
       CREATE (a)-[created:${type}]->(b) SET created = ${merge ? '$defaults SET created += ' : ''}row.properties)
     FOREACH (_ IN CASE WHEN existing IS NULL THEN [] ELSE [1] END | SET existing ${merge ? '+=' : '='} row.properties${restore})
     ${COUNTS}${batch.exclusive ? ',\n       collect(CASE WHEN size(formerIds) > 0 THEN formerIds END) AS formerIds' : ''}`,
    {
      ...(merge ? { defaults: storedProperties(batch.defaults ?? {}) } : {}),
      ...(!merge && derived.length > 0 ? { derived } : {}),
      rows: [...pairs.values()]
        .sort((a, b) => byText(a.from, b.from) || byText(a.to, b.to))
        .map((row) => ({ from: row.from, to: row.to, properties: storedProperties(row.properties) })),
    },
  );
}

/**
 * The writes of an import's enterprise batch in one statement: the enterprises (merge) and their single location.
 * Apart, they cost a statement each, a second index seek of every firm, a re-read of every node for its location, and
 * for a batch with firms that existed, a third statement for the homes they count in. Here each row is looked up
 * once, and a firm the batch creates skips the checks only an existing firm needs (a location to replace, a link to
 * update, the firms it supplies). The counts are those of upsertNodesQuery and upsertRelationshipsQuery on the same
 * rows, and a missing region still skips only the location.
 *
 * Each row: `id`, `props` (the node's properties, id included), `region` (the location's target), `rel` (its
 * properties). Besides the counts it returns `extraHomes`: the homes only the graph knows that the write touched — a
 * moved firm's former home and, for a firm that existed, the homes of the firms it supplies (what touchedHomesQuery
 * reads). Every firm of the batch counts in its row's region afterwards; the caller adds those.
 */
export function upsertLocatedEnterprisesQuery(nodes: NodeBatch, locations: RelationshipBatch): CypherQuery {
  const { label, type, to } = locatedEnterpriseNames(nodes, locations);
  return cypher(
    `UNWIND $rows AS row
     OPTIONAL MATCH (existing:${label} { id: row.id })
     WITH row, existing IS NULL AS isNew,
          existing IS NOT NULL AND any(key IN keys(row.props) WHERE existing[key] IS NULL OR existing[key] <> row.props[key]) AS isChanged
     MERGE (a:${label} { id: row.id })
     ON CREATE SET a += $defaults
     SET a += row.props
     WITH a, row, isNew, isChanged
     OPTIONAL MATCH (b:${to} { id: row.region })
     CALL (a, b, isNew) {
       OPTIONAL MATCH (a)-[other:${type}]->(elsewhere:${to}) WHERE NOT isNew AND b IS NOT NULL AND elsewhere <> b
       WITH other, elsewhere.id AS formerId
       DELETE other
       RETURN count(other) AS moved, collect(formerId) AS formerIds
     }
     CALL (a, isNew) {
       OPTIONAL MATCH (a)-[:${T_SUPPLIES}]->(:${label})-[:${type}]->(h:${to}) WHERE NOT isNew
       RETURN collect(DISTINCT h.id) AS buyerHomes
     }
     OPTIONAL MATCH (a)-[existing:${type}]->(b) WHERE NOT isNew
     WITH a, b, row, isNew, isChanged, moved, formerIds + buyerHomes AS extraHomes, existing,
          b IS NOT NULL AND existing IS NULL AND moved = 0 AS relNew,
          b IS NOT NULL AND ((existing IS NULL AND moved > 0)
            OR (existing IS NOT NULL AND any(key IN keys(row.rel) WHERE existing[key] IS NULL OR existing[key] <> row.rel[key]))) AS relChanged
     FOREACH (_ IN CASE WHEN b IS NOT NULL AND existing IS NULL THEN [1] ELSE [] END |
       CREATE (a)-[created:${type}]->(b) SET created = $relDefaults SET created += row.rel)
     FOREACH (_ IN CASE WHEN existing IS NULL THEN [] ELSE [1] END | SET existing += row.rel)
     WITH count(*) AS total,
          sum(CASE WHEN isNew THEN 1 ELSE 0 END) AS created,
          sum(CASE WHEN isChanged THEN 1 ELSE 0 END) AS updated,
          sum(CASE WHEN b IS NOT NULL THEN 1 ELSE 0 END) AS relTotal,
          sum(CASE WHEN relNew THEN 1 ELSE 0 END) AS relCreated,
          sum(CASE WHEN relChanged THEN 1 ELSE 0 END) AS relUpdated,
          collect(CASE WHEN size(extraHomes) > 0 THEN extraHomes END) AS extraHomeLists
     RETURN total, created, updated, relTotal, relCreated, relUpdated,
            COLLECT { UNWIND extraHomeLists AS homes UNWIND homes AS homeId RETURN DISTINCT homeId } AS extraHomes`,
    locatedEnterpriseParams(nodes, locations),
  );
}

/**
 * upsertLocatedEnterprisesQuery for a batch whose firms were all absent when the caller looked them up (an import of
 * new firms, the bulk of any large one): each firm is created outright with its location, with none of the look-ups
 * and checks only an existing firm needs — no MERGE, no location to replace, no link to compare, no buyer homes. The
 * same rows, properties and counts as upsertLocatedEnterprisesQuery on firms that are indeed new (every row created,
 * `extraHomes` empty, a missing region skips only the location). Should another writer have created one of the ids
 * since, the id's uniqueness constraint fails the statement and the whole transaction rolls back: upsertAll then writes
 * the batch again with upsertLocatedEnterprisesQuery. At 200,000 firms a batch of 5,000 ran in about 140 ms instead
 * of 205 (commit about 150 ms either way). The rows go in their given order: the firms are new, so no other writer
 * waits on their locks, and sorting them by id would not order the regions' (see byText).
 */
export function createLocatedEnterprisesQuery(nodes: NodeBatch, locations: RelationshipBatch): CypherQuery {
  const { label, type, to } = locatedEnterpriseNames(nodes, locations);
  const { firms, regions, links } = createdColumns(nodes, locations);
  const assign = (variable: string, prefix: string, keys: readonly string[]) =>
    keys.map((key, index) => `${variable}.\`${key}\` = $${prefix}${index}[i]`).join(', ');
  return cypher(
    `UNWIND range(0, size($regions) - 1) AS i
     CREATE (a:${label})
     SET ${assign('a', 'firm', firms.keys)}
     WITH a, i
     OPTIONAL MATCH (b:${to} { id: $regions[i] })
     FOREACH (_ IN CASE WHEN b IS NULL THEN [] ELSE [1] END |
       CREATE (a)-[created:${type}]->(b)${links.keys.length === 0 ? '' : ` SET ${assign('created', 'link', links.keys)}`})
     WITH count(*) AS total, count(b) AS located
     RETURN total, total AS created, 0 AS updated, located AS relTotal, located AS relCreated, 0 AS relUpdated,
            [] AS extraHomes`,
    {
      regions,
      ...Object.fromEntries(firms.values.map((column, index) => [`firm${index}`, column])),
      ...Object.fromEntries(links.values.map((column, index) => [`link${index}`, column])),
    },
  );
}

/** A property name the statements may spell out: a plain identifier, as every property of the record model is. */
const PROPERTY_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * Rows as columns: the keys any row has, and per key the rows' values (null where a row has none). A new node or
 * relationship starts from `defaults`, overlaid with its row — what \`SET x += $defaults SET x += row\` gives.
 */
function columnsOf(
  rows: readonly Properties[],
  defaults: Properties | undefined,
): { keys: string[]; values: unknown[][] } {
  const keys = new Set<string>(Object.keys(storedProperties(defaults ?? {})));
  for (const row of rows)
    for (const key in row) if (row[key] !== null && row[key] !== undefined) keys.add(key);
  const ordered = [...keys];
  for (const key of ordered)
    if (!PROPERTY_KEY.test(key)) throw new Error(`Property name '${key}' is not a plain identifier`);
  const values = ordered.map((key) => rows.map((row) => row[key] ?? defaults?.[key] ?? null));
  return { keys: ordered, values };
}

/** Each firm's LOCATED_IN row, by the firm's id (a firm has at most one: src/ingest/batches.ts SINGLE). */
function locationByFirm(locations: RelationshipBatch): Map<string, RelationshipBatch['rows'][number]> {
  return new Map(locations.rows.map((row) => [row.from, row]));
}

/**
 * The parameters of createLocatedEnterprisesQuery, one list per property rather than one map per firm: the keys of a
 * map are sent, and decoded by Neo4j, once per row, and packing the rows took a third of a 50,000-firm import's Node
 * time while Node and Neo4j shared two cores.
 */
function createdColumns(nodes: NodeBatch, locations: RelationshipBatch) {
  const locationOf = locationByFirm(locations);
  const located = nodes.rows.map((row) => locationOf.get(String(row['id']))!);
  return {
    firms: columnsOf(nodes.rows, nodes.defaults),
    regions: located.map((location) => location.to),
    links: columnsOf(
      located.map((location) => location.properties),
      locations.defaults,
    ),
  };
}

/** The label, location type and region label of both located-enterprise statements, from the closed lists. */
function locatedEnterpriseNames(nodes: NodeBatch, locations: RelationshipBatch) {
  return {
    label: assertLabel(nodes.label),
    type: assertRelationship(locations.type),
    to: assertLabel(locations.to),
  };
}

/** The parameters of upsertLocatedEnterprisesQuery: rows in id order (see byText), defaults. */
function locatedEnterpriseParams(nodes: NodeBatch, locations: RelationshipBatch): Record<string, unknown> {
  const locationOf = locationByFirm(locations);
  const rows = [...nodes.rows]
    .sort((a, b) => byText(a['id'], b['id']))
    .map((row) => {
      const location = locationOf.get(String(row['id']))!;
      return {
        id: row['id'],
        props: storedProperties(row),
        region: location.to,
        rel: storedProperties(location.properties),
      };
    });
  return {
    rows,
    defaults: storedProperties(nodes.defaults ?? {}),
    relDefaults: storedProperties(locations.defaults ?? {}),
  };
}

/**
 * Whether the batches are an import's enterprises with their locations and nothing else, each firm with exactly one
 * location row: what upsertLocatedEnterprisesQuery writes in one statement. Anything else (seeds and the generator
 * replace, a file with parent companies, platforms) goes the general way.
 */
function locatedEnterprises(
  nodes: readonly NodeBatch[],
  relationships: readonly RelationshipBatch[],
): { nodes: NodeBatch; locations: RelationshipBatch } | null {
  const [batch, more] = nodes;
  const [locations, moreLinks] = relationships;
  if (!batch || more || !locations || moreLinks) return null;
  if (batch.label !== NodeLabel.Enterprise || batch.mode !== 'merge') return null;
  if (
    locations.type !== RelationshipType.LOCATED_IN ||
    locations.from !== NodeLabel.Enterprise ||
    locations.to !== NodeLabel.Region ||
    locations.exclusive !== true ||
    locations.mode !== 'merge' ||
    locations.rows.length !== batch.rows.length
  )
    return null;
  const ids = new Set(batch.rows.map((row) => row['id']));
  if (ids.size !== batch.rows.length) return null;
  const located = new Set<unknown>();
  for (const row of locations.rows) {
    if (!ids.has(row.from) || located.has(row.from)) return null;
    located.add(row.from);
  }
  return { nodes: batch, locations };
}

export interface UpsertOptions {
  /** Replaces the transaction timeout (seed loads). */
  readonly timeoutMs?: number;
  /**
   * The caller looked up every node id of the batches just before and found none (an import's batch of new
   * firms). An import's enterprises with their locations are then created outright (createLocatedEnterprisesQuery),
   * falling back to the general statement should one have been created since. Other batches ignore it.
   */
  readonly expectNew?: boolean;
}

export interface UpsertReport {
  readonly kind: string;
  readonly total: number;
  readonly counts: UpsertCounts;
}

/** Node labels and relationship types whose writes change what the analytics aggregates count. */
const STRUCTURAL_LABELS: readonly string[] = [NodeLabel.ChainSegment];
const STRUCTURAL_TYPES: readonly string[] = [
  RelationshipType.PART_OF,
  RelationshipType.SUBSEGMENT_OF,
  RelationshipType.FEEDS,
];
/** Node labels and relationship types whose writes change the structure the analytics cache per process. */
const SHAPE_LABELS: readonly string[] = [NodeLabel.ChainSegment, NodeLabel.IndustrialChain, NodeLabel.Region];
const SHAPE_TYPES: readonly string[] = [...STRUCTURAL_TYPES, RelationshipType.IN_CHAIN];

/** The firms and platforms a set of batches writes to, for the aggregates' change record. */
export function touchedBy(
  nodes: readonly NodeBatch[],
  relationships: readonly RelationshipBatch[],
): TouchedNodes {
  const enterpriseIds = new Set<string>();
  const platformIds = new Set<string>();
  let structural = false;
  let shape = false;
  const note = (label: string, id: unknown) => {
    if (label === NodeLabel.Enterprise) enterpriseIds.add(String(id));
    else if (label === NodeLabel.Platform) platformIds.add(String(id));
  };
  for (const batch of nodes) {
    if (STRUCTURAL_LABELS.includes(batch.label)) structural = true;
    if (SHAPE_LABELS.includes(batch.label)) shape = true;
    for (const row of batch.rows) note(batch.label, row['id']);
  }
  for (const batch of relationships) {
    if (STRUCTURAL_TYPES.includes(batch.type)) structural = true;
    if (SHAPE_TYPES.includes(batch.type)) shape = true;
    for (const row of batch.rows) {
      note(batch.from, row.from);
      // A supply link counts at its buyer's home; a hosted platform changes its host's target-ranking fields.
      if (batch.type === RelationshipType.SUPPLIES || batch.type === RelationshipType.HOSTED_BY)
        note(batch.to, row.to);
    }
  }
  return { enterpriseIds: [...enterpriseIds], platformIds: [...platformIds], structural, shape };
}

/**
 * The homes the touched firms and platforms count in after the writes of this transaction. A node the transaction
 * created has no link it did not write: its home is the region its location row names, and the firms it supplies
 * are touched themselves. Only the nodes that existed before are looked up (a large import of new firms reads
 * nothing).
 */
async function homesAfter(
  run: (query: CypherQuery) => Promise<Row[]>,
  touched: TouchedNodes,
  nodes: readonly NodeBatch[],
  relationships: readonly RelationshipBatch[],
  rowsOf: readonly Row[][],
): Promise<string[]> {
  const created = new Map<string, Set<unknown>>();
  nodes.forEach((batch, index) => {
    const existing = new Set((rowsOf[index]?.[0]?.['existingIds'] as unknown[] | undefined) ?? []);
    const set = created.get(batch.label) ?? new Set<unknown>();
    for (const row of batch.rows) if (!existing.has(row['id'])) set.add(row['id']);
    created.set(batch.label, set);
  });
  const isNew = (label: string, id: unknown) => created.get(label)?.has(id) === true;
  const homes: string[] = [];
  for (const batch of relationships) {
    if (
      batch.type !== RelationshipType.LOCATED_IN ||
      batch.to !== NodeLabel.Region ||
      (batch.from !== NodeLabel.Enterprise && batch.from !== NodeLabel.Platform)
    )
      continue;
    for (const row of batch.rows) if (isNew(batch.from, row.from)) homes.push(row.to);
  }
  const earlier: TouchedNodes = {
    ...touched,
    enterpriseIds: touched.enterpriseIds.filter((id) => !isNew(NodeLabel.Enterprise, id)),
    platformIds: touched.platformIds.filter((id) => !isNew(NodeLabel.Platform, id)),
  };
  if (earlier.enterpriseIds.length > 0 || earlier.platformIds.length > 0) {
    const [row] = await run(touchedHomesQuery(earlier));
    homes.push(...((row?.['homeIds'] as string[] | undefined) ?? []));
  }
  return homes;
}

/** The ids of the nodes of each label that the node batches write. */
function writtenIds(nodes: readonly NodeBatch[]): Map<string, Set<unknown>> {
  const ids = new Map<string, Set<unknown>>();
  for (const batch of nodes) {
    const set = ids.get(batch.label) ?? new Set<unknown>();
    for (const row of batch.rows) set.add(row['id']);
    ids.set(batch.label, set);
  }
  return ids;
}

/**
 * Writes node batches then relationship batches in one transaction: everything applies or nothing does. When
 * anything was created or changed, the same transaction records an AggregateChange naming the home regions the
 * write touched, before and after it (see src/analytics/aggregates.ts), so the analytics never miss a write.
 *
 * The homes are read once, after the writes: an upsert never removes a supply link nor a node, so the homes a
 * touched firm or platform counts in afterwards include all it counted in before, except the home it moved away from
 * — and those are returned by the statement that replaced the location (`formerIds`).
 */
export async function upsertAll(
  executor: Executor,
  operation: string,
  nodes: readonly NodeBatch[],
  relationships: readonly RelationshipBatch[],
  options: UpsertOptions = {},
): Promise<UpsertReport[]> {
  const nonEmptyNodes = nodes.filter((batch) => batch.rows.length > 0);
  const nonEmptyRelationships = relationships.filter((batch) => batch.rows.length > 0);
  const combined = locatedEnterprises(nonEmptyNodes, nonEmptyRelationships);
  if (combined) {
    // Two statements in one transaction: the writes, then (when anything changed) the change record, whose homes
    // are the rows' regions and those the writes returned. A failing batch rolls back both.
    const { nodes: batch, locations } = combined;
    const write = (writes: CypherQuery) =>
      executor.transaction(
        operation,
        async (run) => {
          const [result = {}] = await run(writes);
          const changes = ['created', 'updated', 'relCreated', 'relUpdated'].reduce(
            (sum, key) => sum + Number(result[key] ?? 0),
            0,
          );
          if (changes > 0) {
            await run(
              recordChangeQuery(touchedBy([batch], [locations]), [
                ...locations.rows.map((location) => location.to),
                ...((result['extraHomes'] as string[] | undefined) ?? []),
              ]),
            );
          }
          return result;
        },
        { timeoutMs: options.timeoutMs },
      );
    const row = await (options.expectNew === true
      ? write(createLocatedEnterprisesQuery(batch, locations)).catch((error: unknown) => {
          // An id taken since the caller's look-up (or a credit code taken by another firm, which the general
          // statement refuses alike): the batch rolled back whole, and is written the general way.
          if (error instanceof AppError && error.code === ErrorCode.CONFLICT)
            return write(upsertLocatedEnterprisesQuery(batch, locations));
          throw error;
        })
      : write(upsertLocatedEnterprisesQuery(batch, locations)));
    const report = (kind: string, prefix: '' | 'rel'): UpsertReport => {
      const key = (name: string) => (prefix === '' ? name : `rel${name[0]!.toUpperCase()}${name.slice(1)}`);
      const total = Number(row[key('total')] ?? 0);
      const created = Number(row[key('created')] ?? 0);
      const updated = Number(row[key('updated')] ?? 0);
      return { kind, total, counts: { created, updated, unchanged: total - created - updated } };
    };
    return [
      report(batch.label, ''),
      report(`(:${locations.from})-[:${locations.type}]->(:${locations.to})`, 'rel'),
    ];
  }
  const written = writtenIds(nonEmptyNodes);
  const queries = [
    ...nonEmptyNodes.map((batch) => upsertNodesQuery(batch)),
    ...nonEmptyRelationships.map((batch) =>
      upsertRelationshipsQuery(batch, {
        // The node statements run first in this transaction and SET every row's node, which write-locks it.
        sourcesLocked: batch.rows.every((row) => written.get(batch.from)?.has(row.from) === true),
      }),
    ),
  ];
  const kinds = [
    ...nonEmptyNodes.map((batch) => batch.label as string),
    ...nonEmptyRelationships.map((batch) => `(:${batch.from})-[:${batch.type}]->(:${batch.to})`),
  ];
  // The relationship statements whose replaced targets are former homes (a firm's or a platform's old region).
  const homeMoves = new Set(
    nonEmptyRelationships.flatMap((batch, index) =>
      batch.type === RelationshipType.LOCATED_IN &&
      batch.exclusive === true &&
      batch.to === NodeLabel.Region &&
      (batch.from === NodeLabel.Enterprise || batch.from === NodeLabel.Platform)
        ? [nonEmptyNodes.length + index]
        : [],
    ),
  );
  const touched = touchedBy(nonEmptyNodes, nonEmptyRelationships);
  const tracked = touched.structural || touched.enterpriseIds.length > 0 || touched.platformIds.length > 0;
  const results = await executor.transaction(
    operation,
    async (run) => {
      const rowsOf: Row[][] = [];
      for (const query of queries) rowsOf.push(await run(query));
      const changed = rowsOf.some(
        (rows) => Number(rows[0]?.['created'] ?? 0) + Number(rows[0]?.['updated'] ?? 0) > 0,
      );
      if (tracked && changed) {
        const homes = await homesAfter(run, touched, nonEmptyNodes, nonEmptyRelationships, rowsOf);
        const former = [...homeMoves].flatMap((index) =>
          ((rowsOf[index]?.[0]?.['formerIds'] as string[][] | undefined) ?? []).flat(),
        );
        await run(recordChangeQuery(touched, [...homes, ...former]));
      }
      if (touched.shape && changed) await run(bumpStructureVersionQuery());
      return rowsOf;
    },
    { timeoutMs: options.timeoutMs },
  );
  return results.map((rows, index) => {
    const row = rows[0] ?? {};
    const total = Number(row['total'] ?? 0);
    const created = Number(row['created'] ?? 0);
    const updated = Number(row['updated'] ?? 0);
    return {
      kind: kinds[index] ?? '?',
      total,
      counts: { created, updated, unchanged: total - created - updated },
    };
  });
}
