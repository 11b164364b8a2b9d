import { exitWithFailure } from './failure.js';
import { loadConfig } from '../config.js';
import { createLogger, logOutputFor } from '../logger.js';
import { loadSeeds, SEEDS_DIR, summariseReports } from '../seed/load.js';
import { openDatabase } from '../service.js';

/**
 * `npm run seed [-- <directory>]`: validates the seed files and loads them into the configured Neo4j (NEO4J_URI,
 * or the local one). Safe to run again: unchanged rows are reported as unchanged.
 */
const directory = process.argv[2] ?? SEEDS_DIR;
try {
  const config = loadConfig();
  const output = logOutputFor(config);
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, undefined, output);
  const database = await openDatabase(config, logger);
  try {
    const reports = await loadSeeds(database.executor, directory);
    // The command's result, shown even when LOG_LEVEL quietens the rest: a table on a terminal, a JSON line with
    // the summary as a list of records when piped.
    createLogger('info', undefined, output).info(
      { directory, uri: database.uri, summary: summariseReports(reports) },
      'Seed data loaded',
    );
  } finally {
    await database.close();
  }
} catch (error) {
  exitWithFailure(error);
}
