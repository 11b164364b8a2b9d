import { exitWithFailure } from './failure.js';
import { parseArgs } from 'node:util';

import { loadConfig } from '../config.js';
import { generateGraph } from '../generate/generator.js';
import { createConfiguredLogger } from '../logger.js';
import { isDatabaseEmpty, loadSeeds } from '../seed/load.js';
import { openDatabase } from '../service.js';

const USAGE = `Usage: npm run generate -- [--seed <n>] [--enterprises <n>]

Adds a deterministic, province-sized ILLUSTRATIVE graph on top of the plan's chains in the configured Neo4j:
synthetic districts, enterprises with power-law segment popularity and supply degrees. The same seed and size always
give the same graph; running it again changes nothing. Defaults: --seed 42 --enterprises 200000.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      seed: { type: 'string', default: '42' },
      enterprises: { type: 'string', default: '200000' },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`);
}
if (parsed.values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const seed = Number(parsed.values.seed);
const enterprises = Number(parsed.values.enterprises);
if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 31)
  fail('--seed must be a whole number from 0 to 2147483648');
if (!Number.isInteger(enterprises) || enterprises < 1 || enterprises > 5_000_000)
  fail('--enterprises must be a whole number from 1 to 5000000');

try {
  const config = loadConfig();
  const database = await openDatabase(
    config,
    createConfiguredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel),
  );
  try {
    if (await isDatabaseEmpty(database.executor)) await loadSeeds(database.executor);
    let last = 0;
    const summary = await generateGraph(database.executor, {
      seed,
      enterprises,
      onProgress: ({ phase, done, total }) => {
        if (Date.now() - last > 2000 || done === total) {
          process.stderr.write(`${phase}: ${done.toLocaleString('en')}/${total.toLocaleString('en')}\n`);
          last = Date.now();
        }
      },
    });
    process.stdout.write(
      `Generated ${summary.enterprises.toLocaleString('en')} enterprises in ${summary.regions} districts with ${summary.relationships.toLocaleString('en')} relationships ` +
        `(${summary.created.toLocaleString('en')} created, ${summary.unchanged.toLocaleString('en')} unchanged) in ${summary.seconds.toFixed(1)} s\n`,
    );
  } finally {
    await database.close();
  }
} catch (error) {
  exitWithFailure(error);
}
