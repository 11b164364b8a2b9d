import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import {
  CATEGORIES,
  HEAP_TOLERANCE,
  renderMarkdown,
  runLoadTest,
  type LoadTestResult,
} from '../../bench/load.js';
import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/**
 * The CI short form of `npm run load`: the same mix (reads, analytics, importRecords writes) at 50 concurrent
 * clients for a few seconds against the test Neo4j. It asserts correctness under load, never speed: no unexpected
 * error, every kind of request answered, every acknowledged write in the database, memory back to its baseline.
 */
describe('load (short form)', () => {
  let database: TestDatabase;
  let result: LoadTestResult;
  const prefix = uniquePrefix('load');

  beforeAll(async () => {
    database = await openTestDatabase();
    const started = Date.now();
    result = await runLoadTest({
      neo4jUri: inject('neo4jUri'),
      env: {
        NODE_ENV: 'test',
        NEO4J_USER: process.env['NEO4J_USER'],
        NEO4J_PASSWORD: process.env['NEO4J_PASSWORD'],
        NEO4J_DATABASE: process.env['NEO4J_DATABASE'],
      },
      durationSeconds: 5,
      warmupSeconds: 3,
      settleSeconds: 2,
      connections: 50,
      // Each operation once before the load; the load itself sends every variable set.
      preflight: 'first-variant',
      prefix,
      log: (message) =>
        process.stdout.write(`[load +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`),
    });
    // The figures, for the CI log (speed is printed, never asserted).
    process.stdout.write(renderMarkdown(result));
  }, 240_000);
  afterAll(async () => {
    // runLoadTest removes what it wrote; this is the safety net should it have failed half-way.
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('answers every request of the mix without an unexpected error', () => {
    expect(result.preflight.failures).toEqual([]);
    expect(result.unexpected.examples).toEqual([]);
    expect(result.unexpected.total).toBe(0);
    expect(result.warmup.unexpected).toBe(0);
    expect(result.errorCodes).toEqual({});
    expect(Object.keys(result.statusCounts)).toEqual(['200']);
    expect(result.serverLog.errors).toBe(0);
  });

  it('exercises reads, analytics and writes', () => {
    for (const category of CATEGORIES) {
      expect(result.latency.byCategory[category].responses, category).toBeGreaterThan(0);
    }
    expect(result.requests.total).toBe(
      CATEGORIES.reduce((sum, category) => sum + result.latency.byCategory[category].responses, 0),
    );
  });

  it('finds every acknowledged write in the database, then removes them all', async () => {
    expect(result.writes.acknowledged).toBeGreaterThan(0);
    expect(result.writes.rowsAcknowledged).toBe(result.writes.acknowledged * result.settings.writeBatchRows);
    expect(result.writes.rowsFound).toBe(result.writes.rowsAcknowledged);
    expect(result.writes.removedByCleanup).toBeGreaterThanOrEqual(result.writes.rowsAcknowledged);
    expect(result.writes.remainingAfterCleanup).toBe(0);
    const [left] = await database.executor.read(
      'check',
      cypher('MATCH (n) WHERE n.id STARTS WITH $prefix RETURN count(n) AS n', { prefix }),
    );
    expect(Number(left?.['n'])).toBe(0);
  });

  it('brings memory back to its baseline', () => {
    const { baseline, after, heapLimitMb } = result.memory;
    // heapUsed after the run ≤ baseline × 1.25 + 16 MB (see HEAP_TOLERANCE for why).
    expect(HEAP_TOLERANCE).toEqual({ factor: 1.25, extraMb: 16 });
    expect(heapLimitMb).toBeCloseTo(baseline.heapUsedMb * HEAP_TOLERANCE.factor + HEAP_TOLERANCE.extraMb, 0);
    expect(after.heapUsedMb).toBeLessThanOrEqual(heapLimitMb);
    expect(result.memory.backToBaseline).toBe(true);
  });

  it('passes as a whole', () => {
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(true);
  });
});
