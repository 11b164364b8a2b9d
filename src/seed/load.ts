import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { cypher } from '../data/cypher.js';
import type { Executor } from '../data/executor.js';
import { upsertAll, type UpsertReport } from '../data/upsert.js';
import { toBatches } from '../ingest/batches.js';
import { seedRecords } from './flatten.js';
import { readSeedDirectory } from './validate.js';

export const SEEDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../seeds');

/**
 * Validates every seed file, then writes all of them in one transaction. A bad file throws SeedValidationError
 * before anything is written; a second run reports every row as unchanged.
 */
export async function loadSeeds(executor: Executor, directory: string = SEEDS_DIR): Promise<UpsertReport[]> {
  const data = await readSeedDirectory(directory);
  const { nodes, relationships } = toBatches(seedRecords(data));
  // The whole plan in one transaction: on a cold Neo4j sharing two cores it has taken over a minute, so it is
  // not held to the request-sized NEO4J_TX_TIMEOUT_MS.
  return upsertAll(executor, 'seed', nodes, relationships, { timeoutMs: SEED_TIMEOUT_MS });
}

/** Transaction timeout of a seed load. */
const SEED_TIMEOUT_MS = 300_000;

export async function isDatabaseEmpty(executor: Executor): Promise<boolean> {
  const rows = await executor.read('is-empty', cypher('MATCH (n) RETURN count(n) = 0 AS empty LIMIT 1'));
  return rows[0]?.['empty'] === true;
}

/** One row per kind written, for a log field (a table in pretty logs, a list of objects in JSON ones). */
export interface SeedSummaryRow {
  readonly kind: string;
  readonly total: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
}

export function summariseReports(reports: readonly UpsertReport[]): SeedSummaryRow[] {
  return reports.map((report) => ({
    kind: report.kind,
    total: report.total,
    created: report.counts.created,
    updated: report.counts.updated,
    unchanged: report.counts.unchanged,
  }));
}
