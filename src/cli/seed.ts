import { exitWithFailure } from './failure.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { loadSeeds, SEEDS_DIR, summariseReports } from '../seed/load.js';
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
  exitWithFailure(error);
}
