import { randomBytes } from 'node:crypto';

import type { Driver, Record as Neo4jRecord } from 'neo4j-driver';
import { inject } from 'vitest';

import { loadConfig, type Config } from '../../src/config.js';
import { cypher, type CypherQuery } from '../../src/data/cypher.js';
import { connectDriver } from '../../src/data/driver.js';
import { Executor } from '../../src/data/executor.js';

export interface TestDatabase {
  readonly driver: Driver;
  readonly executor: Executor;
  readonly config: Config;
  close(): Promise<void>;
}

/** The typed config the tests run with: the test Neo4j, a free HTTP port, quiet logs. */
export function testConfig(overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    NEO4J_URI: inject('neo4jUri'),
    NEO4J_USER: process.env['NEO4J_USER'],
    NEO4J_PASSWORD: process.env['NEO4J_PASSWORD'],
    NEO4J_DATABASE: process.env['NEO4J_DATABASE'],
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Tests compare exact answers right after their writes: on a loaded 2-core machine a refresh may take seconds,
    // and a stale answer would be a false failure.
    AGGREGATE_WAIT_MS: '120000',
    ...overrides,
  });
}

/** A driver and executor on the test Neo4j started by the global setup. Close it in afterAll. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const config = testConfig();
  const driver = await connectDriver(inject('neo4jUri'), config.neo4j);
  const executor = new Executor(driver, {
    database: config.neo4j.database,
    txTimeoutMs: 30_000,
    appName: 'chain-kg-test',
  });
  return {
    driver,
    executor,
    config,
    close: () => {
      executor.close();
      return driver.close();
    },
  };
}

/**
 * A unique id prefix for the data one test file creates, so files never see each other's rows and cleanup
 * removes exactly what the file wrote.
 */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(3).toString('hex')}`;
}

/** Deletes every node (and its relationships) whose id starts with the prefix. */
export async function deleteByPrefix(executor: Executor, prefix: string): Promise<void> {
  await executor.write(
    'test-cleanup',
    cypher('MATCH (n) WHERE n.id STARTS WITH $prefix DETACH DELETE n', { prefix }),
  );
}

/**
 * `base`, except that `before` runs just before its `batch`-th transaction named `operation` starts (1 for the
 * first): another writer stepping in between an import's validation and one of its batches.
 */
export function withWriteBefore(
  base: Executor,
  operation: string,
  batch: number,
  before: () => Promise<unknown>,
): Executor {
  let seen = 0;
  const executor = Object.create(base) as Executor;
  executor.transaction = async (name, work, options) => {
    if (name === operation && ++seen === batch) await before();
    return base.transaction(name, work, options);
  };
  return executor;
}

/** An operator of a PROFILEd plan, as the driver returns it. */
export interface PlanOperator {
  readonly operatorType: string;
  readonly dbHits: number;
  readonly rows: number;
  readonly arguments: Record<string, unknown>;
  readonly children: readonly PlanOperator[];
}

/** Runs the statement under PROFILE: its records, and its plan's operators, each parent before its children. */
export async function profiled(
  database: TestDatabase,
  query: CypherQuery,
): Promise<{ records: Neo4jRecord[]; operators: PlanOperator[] }> {
  const session = database.driver.session({ database: database.config.neo4j.database });
  try {
    const result = await session.run(`PROFILE ${query.cypher}`, query.params);
    const operators: PlanOperator[] = [];
    const visit = (plan: PlanOperator) => {
      operators.push(plan);
      plan.children.forEach(visit);
    };
    visit(result.summary.profile as unknown as PlanOperator);
    return { records: result.records, operators };
  } finally {
    await session.close();
  }
}
