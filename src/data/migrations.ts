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
    `CREATE INDEX target_metric IF NOT EXISTS FOR (n:${NodeLabel.Target}) ON (n.metric)`,
    // Text indexes serve the substring branch of search (CONTAINS) on the largest label.
    `CREATE TEXT INDEX enterprise_name_text IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) ON (n.name)`,
    `CREATE INDEX enterprise_name IF NOT EXISTS FOR (n:${NodeLabel.Enterprise}) ON (n.name)`,
    // One company, one record: a credit code or stock code names one enterprise (absent values are allowed). The
    // constraint's own index replaces the plain one earlier versions created, which would block it.
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
    `CREATE CONSTRAINT aggregatestate_id IF NOT EXISTS FOR (n:${InternalLabel.AggregateState}) REQUIRE n.id IS UNIQUE`,
    // Target-firm ranking reads a segment's firms best-first from this index, in its order (src/analytics/candidates.ts).
    `CREATE INDEX operates_in_rank IF NOT EXISTS FOR ()-[op:${RelationshipType.OPERATES_IN}]-() ON (op.rankSegmentId, op.rankKey)`,
    // The cjk analyzer indexes Chinese as character bigrams, so substrings of two or more characters match;
    // it also tokenises and lower-cases Latin text, which covers the English names.
    `CREATE FULLTEXT INDEX entity_search IF NOT EXISTS FOR (n:${NODE_LABELS.join('|')}) ON EACH [n.name, n.nameEn, n.description] OPTIONS { indexConfig: { \`fulltext.analyzer\`: 'cjk' } }`,
  );
  return statements.map((text) => ({ cypher: text, params: {} }));
}

/** Applies the migrations and waits until every index is online. */
export async function applyMigrations(executor: Executor): Promise<void> {
  // Schema statements cannot share a transaction with each other's data, so each runs on its own.
  for (const statement of migrationStatements()) {
    await executor.write('migration', statement);
  }
  await executor.write('migration', { cypher: 'CALL db.awaitIndexes(300)', params: {} });
}
