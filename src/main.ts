import { existsSync } from 'node:fs';

import { exitWithFailure } from './cli/failure.js';
import { loadConfig } from './config.js';
import { createConfiguredLogger } from './logger.js';
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
const logger = createConfiguredLogger(config);

let service: Awaited<ReturnType<typeof startService>> | undefined;
/**
 * The local Neo4j died and could not be restarted: exit non-zero, so that whatever supervises this process
 * (systemd, Docker, Kubernetes) restarts the whole service, rather than answer DATABASE_UNAVAILABLE forever.
 */
const exitOnFatal = (error: Error) => {
  logger.fatal({ err: error }, `${error.message}; exiting`);
  const stopped = service?.stop() ?? Promise.resolve();
  void stopped.catch(() => undefined).then(() => process.exit(1));
};

try {
  const running = await startService(config, logger, exitOnFatal);
  service = running;
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'Shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  // Announced only once the signal handlers are in place: whoever stops the service on seeing this line (a person,
  // a supervisor, a test) gets an orderly shutdown, not the default kill.
  logger.info({ url: `${running.url}/graphql`, neo4j: running.database.uri }, 'GraphQL service ready');
} catch (error) {
  exitWithFailure(error);
}
