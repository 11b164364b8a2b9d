import type { Driver } from 'neo4j-driver';

import type { Config } from './config.js';
import { connectDriver } from './data/driver.js';
import { Executor } from './data/executor.js';
import { applyMigrations } from './data/migrations.js';
import { createHttpApp, type Readiness } from './http/app.js';
import type { Logger } from './logger.js';
import { startLocalNeo4j, type LocalNeo4jHandle } from './neo4j/localNeo4j.js';
import { isDatabaseEmpty, loadSeeds, summariseReports } from './seed/load.js';

export interface Database {
  readonly driver: Driver;
  readonly executor: Executor;
  readonly uri: string;
  /** Closes the driver, then stops the local Neo4j if we started one. */
  close(): Promise<void>;
}

/** Connects to NEO4J_URI, or starts the project's own local Neo4j when it is not set, and applies migrations. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let local: LocalNeo4jHandle | undefined;
  try {
    let uri = config.neo4j.uri;
    if (uri === undefined) {
      local = await startLocalNeo4j({ ...config.localNeo4j, logger });
      uri = local.uri;
    }
    const driver = await connectDriver(uri, config.neo4j);
    const executor = new Executor(driver, {
      database: config.neo4j.database,
      txTimeoutMs: config.neo4j.txTimeoutMs,
      appName: 'chain-kg',
      onAvailabilityChange: (available, reason) => {
        if (available) logger.info('Neo4j answers again; serving requests');
        else logger.warn({ err: reason }, 'Neo4j is unreachable; failing requests fast until it answers');
      },
    });
    await applyMigrations(executor);
    const localHandle = local;
    return {
      driver,
      executor,
      uri,
      close: async () => {
        executor.close();
        await driver.close();
        await localHandle?.stop();
      },
    };
  } catch (error) {
    await local?.stop();
    throw error;
  }
}

export interface RunningService {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

/** The whole service: database, migrations, seed data when empty, then GraphQL over HTTP. */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const database = await openDatabase(config, logger);
  try {
    const readiness: Readiness = { migrationsApplied: true };
    if (config.seedWhenEmpty && (await isDatabaseEmpty(database.executor))) {
      logger.info('The database is empty: loading the seed data');
      const reports = await loadSeeds(database.executor);
      logger.info({ summary: summariseReports(reports) }, 'Seed data loaded');
    }
    const app = await createHttpApp({ config, logger, executor: database.executor, readiness });
    const url = await app.listen();
    let stopping: Promise<void> | undefined;
    return {
      url,
      database,
      stop: () =>
        (stopping ??= (async () => {
          await app.close();
          await database.close();
        })()),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
