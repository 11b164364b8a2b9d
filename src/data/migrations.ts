import type { CypherQuery } from './cypher.js';
import type { Executor } from './executor.js';
import { InternalLabel, NODE_LABELS, NodeLabel, RelationshipType } from './model.js';

/**
 * Schema migrations: uniqueness constraints on ids, indexes for every lookup path, and the full-text index.
 * Every statement is idempotent (IF NOT EXISTS), so they run at every startup.
 */
export function migrationStatements(): CypherQuery[] {
  const statements: string[] = [];
  for (const label of NODE_LABELS) {
    statements.push(
      `CREATE CONSTRAINT ${label.toLowerCase()}_id IF NOT EXISTS FOR (n:${label}) REQUIRE n.id IS UNIQUE`,
      // Provenance has three values, so an index on it never narrows a lookup; worse, the planner took it as an
      // entry point and enumerated every node of a label instead of expanding from the bound ones (profiled: 666 MB
      // and 260k db hits for one gap report on the seed graph). Earlier versions created these; drop them.
      `DROP INDEX ${label.toLowerCase()}_source IF EXISTS`,
    );
  }
  statements.push(
    `CREATE INDEX chainsegment_stage IF NOT EXISTS FOR (n:${NodeLabel.ChainSegment}) ON (n.stage)`,
    `CREATE INDEX chainsegment_chain IF NOT EXISTS FOR (n:${NodeLabel.ChainSegment}) ON (n.chainId)`,
    `CREATE INDEX platform_name IF NOT EXISTS FOR (n:${NodeLabel.Platform}) ON (n.name)`,
    `CREATE INDEX platform_level IF NOT EXISTS FOR (n:${NodeLabel.Platform}) ON (n.level)`,
    // The order of a chain's, a segment's or an industry's measures: their pages over a hub read it (spec.ts).
    `CREATE INDEX policymeasure_order IF NOT EXISTS FOR (n:${NodeLabel.PolicyMeasure}) ON (n.number, n.id)`,
    `CREATE INDEX target_metric IF NOT EXISTS FOR (n:${NodeLabel.Target}) ON (n.metric)`,
    // Earlier versions kept a text index on names for search's CONTAINS branch; search now reads the full-text index
    // and tests CONTAINS only on its hits, so nothing used it, while every enterprise written paid for it (about a
    // third of a bare CREATE's CPU in Neo4j, bench/importProfile.ts). Drop it.
    `DROP INDEX enterprise_name_text IF EXISTS`,
    `CREATE INDEX enterprise_name IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) ON (n.name)`,
    // One company, one record: a credit code or stock code names one enterprise (absent values are allowed); search
    // looks codes up by equality in these constraints' indexes. The credit code's constraint index replaces the plain
    // one earlier versions created, which would block it.
    `DROP INDEX enterprise_credit_code IF EXISTS`,
    `CREATE CONSTRAINT enterprise_credit_code_unique IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) REQUIRE n.creditCode IS UNIQUE`,
    `CREATE CONSTRAINT enterprise_stock_code_unique IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) REQUIRE n.stockCode IS UNIQUE`,
    // The normalised full name (src/ingest/integrity.ts nameKey): an import's duplicate-name check reads it.
    `CREATE INDEX enterprise_name_key IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) ON (n.nameKey)`,
    `CREATE INDEX platform_kind IF NOT EXISTS FOR (n:${NodeLabel.Platform}) ON (n.kind)`,
    `CREATE INDEX region_level IF NOT EXISTS FOR (n:${NodeLabel.Region}) ON (n.level)`,
    // The analytics aggregates' own nodes (src/analytics/aggregates.ts), each read by key.
    `CREATE CONSTRAINT regionaggregate_key IF NOT EXISTS FOR (n:${InternalLabel.RegionAggregate}) REQUIRE n.key IS UNIQUE`,
    `CREATE INDEX regionaggregate_region IF NOT EXISTS FOR (n:${InternalLabel.RegionAggregate}) ON (n.regionId)`,
    `CREATE INDEX aggregatecell_home IF NOT EXISTS FOR (n:${InternalLabel.AggregateCell}) ON (n.homeId)`,
    `CREATE CONSTRAINT aggregatechange_id IF NOT EXISTS FOR (n:${InternalLabel.AggregateChange}) REQUIRE n.id IS UNIQUE`,
    `CREATE CONSTRAINT hubsupply_id IF NOT EXISTS FOR (n:${InternalLabel.HubSupply}) REQUIRE n.id IS UNIQUE`,
    `CREATE INDEX hubsupply_firm IF NOT EXISTS FOR (n:${InternalLabel.HubSupply}) ON (n.firmId)`,
    `CREATE INDEX hubsupply_home IF NOT EXISTS FOR (n:${InternalLabel.HubSupply}) ON (n.homeId)`,
    `CREATE CONSTRAINT aggregatestate_id IF NOT EXISTS FOR (n:${InternalLabel.AggregateState}) REQUIRE n.id IS UNIQUE`,
    // Target-firm ranking reads a segment's firms best-first from this index, in its order (src/analytics/candidates.ts).
    `CREATE INDEX operates_in_rank IF NOT EXISTS FOR ()-[op:${RelationshipType.OPERATES_IN}]-() ON (op.rankSegmentId, op.rankKey)`,
    // The same for one provenance lane of a segment's firms, when the ranking's sources leave one out (provenanceLanes).
    `CREATE INDEX operates_in_lane IF NOT EXISTS FOR ()-[op:${RelationshipType.OPERATES_IN}]-() ON (op.rankLane, op.rankKey)`,
    // A segment's firms in a region, one seek per (segment, home region) (src/analytics/facts.ts
    // localEnterprisesOfSegmentQuery): without it, losing a segment walked every firm of the city and its operations.
    `CREATE INDEX operates_in_home IF NOT EXISTS FOR ()-[op:${RelationshipType.OPERATES_IN}]-() ON (op.rankSegmentId, op.rankHomeId)`,
  );
  for (const index of FULLTEXT_INDEXES) statements.push(createFulltextIndex(index));
  return statements.map((text) => ({ cypher: text, params: {} }));
}

/** A full-text index as SHOW FULLTEXT INDEXES describes it: what a migration compares with the stored one. */
export interface FulltextIndexDefinition {
  readonly name: string;
  readonly entityType: 'NODE' | 'RELATIONSHIP';
  readonly labelsOrTypes: readonly string[];
  readonly properties: readonly string[];
  readonly analyzer: string;
}

/**
 * The analyzer of search's indexes. `standard-no-stop-words` makes every Chinese character a term of its own and each
 * run of Latin letters or digits one lower-cased term, so a quoted phrase matches any Chinese substring (one
 * character too, from the index, not a scan), a Latin word matches as a whole word (SiC is not Sichuan), and a number
 * only as a whole number (13所 never matches 1300). The earlier `cjk` analyzer indexed Chinese as character bigrams:
 * a single character or a character next to digits (所 in 13所) was not a term at all, so search fell back to a label
 * scan with CONTAINS and to splitting 13所 into the prefix 13* (which matched 1300). No stop words: "in", "a" and
 * "the" are parts of names.
 */
export const SEARCH_ANALYZER = 'standard-no-stop-words';

export const FULLTEXT_INDEXES: readonly FulltextIndexDefinition[] = [
  {
    name: 'entity_search',
    entityType: 'NODE',
    labelsOrTypes: NODE_LABELS,
    // List properties are indexed element by element: other names of firms (简称, 曾用名, aliases) and of segments.
    properties: ['name', 'nameEn', 'description', 'shortName', 'aliases', 'formerNames', 'synonyms'],
    analyzer: SEARCH_ANALYZER,
  },
  {
    // Products are facts of a firm's link to a segment (OPERATES_IN.mainProducts), so they are indexed where they
    // live. A copy on the firm written by toBatches would go stale: a merge import or a replace of one segment link
    // does not see the firm's other links, so it could not rebuild the list. The index is always what is stored.
    name: 'product_search',
    entityType: 'RELATIONSHIP',
    labelsOrTypes: [RelationshipType.OPERATES_IN],
    properties: ['mainProducts'],
    analyzer: SEARCH_ANALYZER,
  },
];

function createFulltextIndex(index: FulltextIndexDefinition): string {
  const target =
    index.entityType === 'NODE'
      ? `(n:${index.labelsOrTypes.join('|')})`
      : `()-[n:${index.labelsOrTypes.join('|')}]-()`;
  const properties = index.properties.map((property) => `n.${property}`).join(', ');
  return `CREATE FULLTEXT INDEX ${index.name} IF NOT EXISTS FOR ${target} ON EACH [${properties}] OPTIONS { indexConfig: { \`fulltext.analyzer\`: '${index.analyzer}' } }`;
}

/** Whether a stored full-text index (a SHOW FULLTEXT INDEXES row) is the wanted one; labels in any order. */
export function sameFulltextIndex(wanted: FulltextIndexDefinition, stored: Record<string, unknown>): boolean {
  const sorted = (value: unknown) => (Array.isArray(value) ? value.map(String).sort().join('|') : '');
  const options = stored['options'] as { indexConfig?: Record<string, unknown> } | undefined;
  return (
    stored['entityType'] === wanted.entityType &&
    sorted(stored['labelsOrTypes']) === sorted(wanted.labelsOrTypes) &&
    // Property order matters to nobody, but an index on other properties is another index.
    sorted(stored['properties']) === sorted(wanted.properties) &&
    options?.indexConfig?.['fulltext.analyzer'] === wanted.analyzer
  );
}

/**
 * `CREATE … IF NOT EXISTS` keeps an index of the same name whatever its definition, so a database made by an earlier
 * version would keep the old full-text index. Drops each full-text index whose stored definition differs from the
 * wanted one, so that the migration's CREATE makes it anew (the index is rebuilt from the stored data).
 */
export async function dropChangedFulltextIndexes(
  executor: Executor,
  indexes: readonly FulltextIndexDefinition[] = FULLTEXT_INDEXES,
): Promise<string[]> {
  const dropped: string[] = [];
  for (const index of indexes) {
    const rows = await executor.read('migration', {
      cypher:
        'SHOW FULLTEXT INDEXES YIELD name, entityType, labelsOrTypes, properties, options WHERE name = $name RETURN *',
      params: { name: index.name },
    });
    const stored = rows[0];
    if (stored && !sameFulltextIndex(index, stored)) {
      // The name comes from the closed list above, never from input.
      await executor.write('migration', { cypher: `DROP INDEX ${index.name} IF EXISTS`, params: {} });
      dropped.push(index.name);
    }
  }
  return dropped;
}

/** The statement that creates one full-text index (for tests of the migration on an index of their own). */
export function fulltextIndexStatement(index: FulltextIndexDefinition): CypherQuery {
  return { cypher: createFulltextIndex(index), params: {} };
}

/** Applies the migrations and waits until every index is online. */
export async function applyMigrations(executor: Executor): Promise<void> {
  await dropChangedFulltextIndexes(executor);
  // Schema statements cannot share a transaction with each other's data, so each runs on its own.
  for (const statement of migrationStatements()) {
    await executor.write('migration', statement);
  }
  await executor.write('migration', { cypher: 'CALL db.awaitIndexes(300)', params: {} });
}
