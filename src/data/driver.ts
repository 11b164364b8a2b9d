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
      connectionTimeout: config.connectTimeoutMs,
      connectionAcquisitionTimeout: config.connectTimeoutMs * 2,
      maxTransactionRetryTime: config.connectTimeoutMs * 2,
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
