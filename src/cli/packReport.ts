import { exitWithFailure } from './failure.js';
import { seedRecords } from '../seed/flatten.js';
import { SEEDS_DIR } from '../seed/load.js';
import { packReport } from '../seed/pack/report.js';
import { readSeedDirectory } from '../seed/validate.js';

/**
 * `npm run pack:report [-- <directory>]`: the review of the public data pack with the curated seeds, from the
 * records alone (no database): enterprises by provenance, listed firms per chain, Shijiazhuang's real firms per chain
 * and the mapping table with the companies each industry brings.
 */
const directory = process.argv[2] ?? SEEDS_DIR;
try {
  const records = seedRecords(await readSeedDirectory(directory));
  process.stdout.write(`${packReport(records, { cityId: 'shijiazhuang' })}\n`);
} catch (error) {
  exitWithFailure(error);
}
