import { exitWithFailure } from './failure.js';
import { refreshAggregates } from '../analytics/aggregates.js';
import { loadConfig } from '../config.js';
import { createConfiguredLogger } from '../logger.js';
import { openDatabase } from '../service.js';

const USAGE = `Usage: npm run aggregates [-- --pending]

Rebuilds the analytics aggregates (the per-region, per-segment counts the gap reports read) from scratch, in one
transaction, from the graph as it is. With --pending, only folds in the writes recorded since the last refresh
(what the service does by itself). Safe to run while the service runs: refreshes queue behind each other.`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const unknown = args.filter((arg) => arg !== '--pending');
if (unknown.length > 0) {
  process.stderr.write(`Unknown argument '${unknown[0]}'\n${USAGE}\n`);
  process.exit(2);
}
try {
  const config = loadConfig();
  const logger = createConfiguredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const summary = await refreshAggregates(database.executor, {
      full: !args.includes('--pending'),
      timeoutMs: config.aggregates.refreshTimeoutMs,
      hubMinLinks: config.aggregates.hubMinLinks,
    });
    process.stdout.write(
      `${summary.full ? 'Rebuilt' : 'Refreshed'} the analytics aggregates in ${summary.seconds.toFixed(1)} s: ` +
        `${summary.homes.toLocaleString('en')} home regions counted, ${summary.regions.toLocaleString('en')} regions summed, ` +
        `${summary.changes.toLocaleString('en')} recorded changes folded in (as of ${summary.asOf ?? 'never'})\n`,
    );
  } finally {
    await database.close();
  }
} catch (error) {
  exitWithFailure(error);
}
