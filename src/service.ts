import type { Driver } from 'neo4j-driver';

import { AggregateRefresher } from './analytics/refresher.js';
import type { Config } from './config.js';
import { connectDriver } from './data/driver.js';
import { Executor } from './data/executor.js';
import { applyMigrations } from './data/migrations.js';
import { createHttpApp, type Readiness } from './http/app.js';
import type { Logger } from './logger.js';
import { startLocalNeo4j, type LocalNeo4jHandle } from './neo4j/localNeo4j.js';
import { LocalNeo4jSupervisor } from './neo4j/supervisor.js';
import { httpPortMessage, portProblem, PortInUseError } from './ports.js';
import { isDatabaseEmpty, loadSeeds, summariseReports } from './seed/load.js';

export interface Database {
  readonly driver: Driver;
  readonly executor: Executor;
  readonly uri: string;
  /** Closes the driver, then stops the local Neo4j if we started one. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Restart the local Neo4j when it dies (see supervisor.ts), calling this when it cannot be restarted. Only the
   * long-running service asks for it; a Neo4j named by NEO4J_URI is never supervised.
   */
  readonly onLocalNeo4jLost?: (error: Error) => void;
}

/** Connects to NEO4J_URI, or starts the project's own local Neo4j when it is not set, and applies migrations. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  openOptions: OpenOptions = {},
): Promise<Database> {
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
      probeTimeoutMs: config.neo4j.connectTimeoutMs,
      appName: 'chain-kg',
      onAvailabilityChange: (available, reason) => {
        if (available) logger.info('Neo4j answers again; serving requests');
        else logger.warn({ err: reason }, 'Neo4j is unreachable; failing requests fast until it answers');
      },
    });
    await applyMigrations(executor);
    const localHandle = local;
    const onLost = openOptions.onLocalNeo4jLost;
    // Restarted on the port it got the first time (perhaps a free one chosen instead of 7687), never another:
    // the driver keeps connecting there.
    const supervisor =
      localHandle !== undefined && onLost !== undefined
        ? new LocalNeo4jSupervisor(localHandle, {
            start: () =>
              startLocalNeo4j({
                ...config.localNeo4j,
                port: Number(new URL(localHandle.uri).port),
                portFallback: false,
                logger,
              }),
            logger,
            maxAttempts: config.localNeo4j.restartAttempts ?? 5,
            onGiveUp: onLost,
          })
        : undefined;
    return {
      driver,
      executor,
      uri,
      close: async () => {
        executor.close();
        await driver.close();
        await (supervisor ?? localHandle)?.stop();
      },
    };
  } catch (error) {
    await local?.stop();
    throw error;
  }
}

/** Fails with one line naming the HTTP port when it is taken, before anything (the local Neo4j) is started. */
async function checkHttpPort(config: Config): Promise<void> {
  const { host, port } = config.http;
  if (port === 0) return;
  const problem = await portProblem(host, port);
  if (problem !== null) throw new PortInUseError(httpPortMessage(host, port, problem));
}

export interface RunningService {
  readonly url: string;
  readonly database: Database;
  stop(): Promise<void>;
}

/**
 * The whole service: database, migrations, seed data when empty, then GraphQL over HTTP. `onFatal` is called if
 * the service cannot go on (its local Neo4j died and cannot be restarted); the caller should exit non-zero.
 */
export async function startService(
  config: Config,
  logger: Logger,
  onFatal: (error: Error) => void = (error) => logger.fatal({ err: error }, error.message),
): Promise<RunningService> {
  await checkHttpPort(config);
  const database = await openDatabase(config, logger, { onLocalNeo4jLost: onFatal });
  try {
    const readiness: Readiness = { migrationsApplied: true };
    if (config.seedWhenEmpty && (await isDatabaseEmpty(database.executor))) {
      logger.info('The database is empty: loading the seed data');
      const reports = await loadSeeds(database.executor);
      logger.info({ summary: summariseReports(reports) }, 'Seed data loaded');
    }
    // Builds the aggregates of a store written by an older version or another tool, and folds in writes made by
    // other processes (npm run import) even when no report is asked for.
    const refresher = new AggregateRefresher(database.executor, {
      waitMs: config.aggregates.waitMs,
      pollMs: config.aggregates.pollMs,
      timeoutMs: config.aggregates.refreshTimeoutMs,
      structureTtlMs: config.aggregates.structureTtlMs,
      hubMinLinks: config.aggregates.hubMinLinks,
      logger,
    });
    refresher.start();
    const app = await createHttpApp({ config, logger, executor: database.executor, readiness, refresher });
    const url = await app.listen().catch((error: NodeJS.ErrnoException) => {
      // Taken between the check above and now: the same one line, not a stack trace.
      if (typeof error.code === 'string' && /^E(ADDRINUSE|ACCES|ADDRNOTAVAIL)$/.test(error.code)) {
        throw new PortInUseError(httpPortMessage(config.http.host, config.http.port, error.code));
      }
      throw error;
    });
    let stopping: Promise<void> | undefined;
    return {
      url,
      database,
      stop: () =>
        (stopping ??= (async () => {
          await app.close();
          refresher.stop();
          await database.close();
        })()),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
