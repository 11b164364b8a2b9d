import { existsSync } from 'node:fs';

import { exitWithFailure } from './cli/failure.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startService } from './service.js';

/** `npm start`: the GraphQL service, with the local Neo4j unless NEO4J_URI names another server. */

let config;
try {
  // A local .env file, if there is one, fills in variables the environment does not set (see .env.example).
  if (existsSync('.env')) process.loadEnvFile('.env');
  config = loadConfig();
} catch (error) {
  exitWithFailure(error);
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
  exitWithFailure(error);
}
