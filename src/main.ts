import { existsSync } from 'node:fs';

import { ConfigError, loadConfig } from './config.js';
import { DatabaseConnectionError } from './data/driver.js';
import { createLogger } from './logger.js';
import { LocalNeo4jError } from './neo4j/localNeo4j.js';
import { SeedValidationError } from './seed/validate.js';
import { startService } from './service.js';

/** `npm start`: the GraphQL service, with the local Neo4j unless NEO4J_URI names another server. */

const EXPECTED_FAILURES = [ConfigError, DatabaseConnectionError, LocalNeo4jError, SeedValidationError];

function failAndExit(error: unknown): never {
  const expected = EXPECTED_FAILURES.some((kind) => error instanceof kind);
  // Expected failures are one readable line naming the problem; anything else keeps its stack for debugging.
  process.stderr.write(`${expected ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
}

let config;
try {
  // A local .env file, if there is one, fills in variables the environment does not set (see .env.example).
  if (existsSync('.env')) process.loadEnvFile('.env');
  config = loadConfig();
} catch (error) {
  failAndExit(error);
}
const logger = createLogger(config.logLevel);

try {
  const service = await startService(config, logger);
  logger.info({ url: `${service.url}/graphql`, neo4j: service.database.uri }, 'GraphQL service ready');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'Shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  failAndExit(error);
}
