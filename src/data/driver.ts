import neo4j, { type Driver } from 'neo4j-driver';

import type { Config } from '../config.js';

export class DatabaseConnectionError extends Error {
  override readonly name = 'DatabaseConnectionError';
}

/** One driver per process. Fails fast with a one-line reason when the server cannot be reached. */
export async function connectDriver(uri: string, config: Config['neo4j']): Promise<Driver> {
  // No password means a server with authentication off (the local Neo4j by default): send no credentials.
  const auth = config.password === undefined ? undefined : neo4j.auth.basic(config.user, config.password);
  let driver: Driver;
  try {
    driver = neo4j.driver(uri, auth, {
      userAgent: 'chain-kg',
      // A refused connection fails at once; this bounds the wait for a server that does not answer at all.
      connectionTimeout: config.connectTimeoutMs,
      connectionAcquisitionTimeout: config.connectTimeoutMs * 2,
      // No maxTransactionRetryTime: the Executor runs explicit transactions and does its own retrying, so that
      // requests fail fast while Neo4j is down instead of waiting out the driver's retries (see executor.ts).
    });
  } catch (error) {
    throw new DatabaseConnectionError(`NEO4J_URI=${uri} is not usable: ${(error as Error).message}`);
  }
  try {
    await driver.getServerInfo({ database: config.database });
  } catch (error) {
    await driver.close();
    const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
    throw new DatabaseConnectionError(
      `Cannot reach Neo4j at ${uri} (database '${config.database}'): ${reason}`,
    );
  }
  return driver;
}
