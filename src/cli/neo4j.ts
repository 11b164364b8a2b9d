import { exitWithFailure } from './failure.js';
import { loadConfig } from '../config.js';
import { createConfiguredLogger } from '../logger.js';
import { startLocalNeo4j } from '../neo4j/localNeo4j.js';

/**
 * `npm run neo4j`: runs only the project's local Neo4j (same store as `npm start`), for cypher-shell, Neo4j
 * Browser-less exploration or `npm run seed`. Ctrl-C stops it.
 */
try {
  const config = loadConfig();
  const logger = createConfiguredLogger(config);
  const local = await startLocalNeo4j({ ...config.localNeo4j, logger });
  process.stdout.write(
    `Local Neo4j running at ${local.uri} (store ${config.localNeo4j.dataDir}); Ctrl-C stops it\n`,
  );
  const stop = () => void local.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  exitWithFailure(error);
}
