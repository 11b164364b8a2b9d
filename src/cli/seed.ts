import { ConfigError, loadConfig } from '../config.js';
import { DatabaseConnectionError } from '../data/driver.js';
import { createLogger } from '../logger.js';
import { LocalNeo4jError } from '../neo4j/localNeo4j.js';
import { loadSeeds, SEEDS_DIR, summariseReports } from '../seed/load.js';
import { SeedValidationError } from '../seed/validate.js';
import { openDatabase } from '../service.js';

/**
 * `npm run seed [-- <directory>]`: validates the seed files and loads them into the configured Neo4j (NEO4J_URI,
 * or the local one). Safe to run again: unchanged rows are reported as unchanged.
 */
const directory = process.argv[2] ?? SEEDS_DIR;
try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const reports = await loadSeeds(database.executor, directory);
    process.stdout.write(`Loaded ${directory} into ${database.uri}\n${summariseReports(reports)}\n`);
  } finally {
    await database.close();
  }
} catch (error) {
  const expected = [ConfigError, DatabaseConnectionError, LocalNeo4jError, SeedValidationError].some(
    (kind) => error instanceof kind,
  );
  process.stderr.write(`${expected ? (error as Error).message : String((error as Error).stack)}\n`);
  process.exitCode = 1;
}
