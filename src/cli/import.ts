import { exitWithFailure } from './failure.js';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { stringify } from 'csv-stringify/sync';

import { loadConfig } from '../config.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_WRITERS,
  describeImportProblem,
  importSources,
  kindFromFileName,
  type ImportFormat,
  type ImportSource,
  type RejectedRow,
} from '../import/importer.js';
import { KIND_NAMES, type KindName } from '../import/kinds.js';
import { formatTable } from '../logFormat.js';
import { createConfiguredLogger } from '../logger.js';
import { openDatabase } from '../service.js';

const USAGE = `Usage: npm run import -- [options] <file> [<file> ...]

Loads enterprises, enterprise–segment links, supply relations, platforms and policy measures from CSV or JSON
(UTF-8, English or Chinese column headers) into the configured Neo4j (NEO4J_URI, or the local one).
Every file is validated first; if any row is bad, nothing is written (unless --accept-valid).

Options:
  --kind <kind>         ${KIND_NAMES.join(' | ')} (default: from the file name)
  --source <source>     provenance for files without a source column: PLAN | PUBLIC | ILLUSTRATIVE
  --accept-valid        write the valid rows; rejected rows go to <file>.rejected.csv with their reasons
  --batch-size <n>      rows per transaction (default 5000)
  --writers <n>         enterprise batches written at once, 1 to 8 (default 2; 1 writes one batch after another)
  --help                this text`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        source: { type: 'string' },
        'accept-valid': { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        writers: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (positionals.length === 0) fail(`No file given.\n\n${USAGE}`);
if (values.kind !== undefined && !(KIND_NAMES as readonly string[]).includes(values.kind)) {
  fail(`--kind must be one of ${KIND_NAMES.join(', ')}, not '${values.kind}'`);
}
if (values.source !== undefined && !['PLAN', 'PUBLIC', 'ILLUSTRATIVE'].includes(values.source)) {
  fail(`--source must be PLAN, PUBLIC or ILLUSTRATIVE, not '${values.source}'`);
}
const batchSize = values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : Number(values['batch-size']);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)
  fail('--batch-size must be a whole number from 1 to 100000');
const writers = values.writers === undefined ? DEFAULT_WRITERS : Number(values.writers);
if (!Number.isInteger(writers) || writers < 1 || writers > 8)
  fail('--writers must be a whole number from 1 to 8');

const sources: ImportSource[] = [];
for (const file of positionals) {
  const extension = path.extname(file).toLowerCase();
  const format: ImportFormat | null = extension === '.csv' ? 'csv' : extension === '.json' ? 'json' : null;
  if (format === null) fail(`${file}: only .csv and .json files can be imported`);
  const kind = (values.kind as KindName | undefined) ?? kindFromFileName(path.basename(file));
  if (kind === null)
    fail(`${file}: cannot tell what the file holds from its name; pass --kind (${KIND_NAMES.join(', ')})`);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    fail(
      `${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  if (content.includes('\uFFFD'))
    fail(`${file}: not valid UTF-8 (save it as UTF-8; GBK exports need converting first)`);
  sources.push({ name: file, content, format, kind });
}

/** A progress bar on a terminal, a line every few seconds otherwise. */
function progressReporter() {
  const started = Date.now();
  let lastLine = 0;
  const tty = process.stderr.isTTY;
  return {
    update({ kind, done, total }: { kind: KindName; done: number; total: number }) {
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const rate = Math.round(done / seconds);
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${kind} ${done.toLocaleString('en')}/${total.toLocaleString('en')} rows, ${rate.toLocaleString('en')} rows/s`;
      if (tty) process.stderr.write(`\r${line}`);
      else if (Date.now() - lastLine > 2000 || done === total) {
        process.stderr.write(`${line}\n`);
        lastLine = Date.now();
      }
      if (tty && done === total) process.stderr.write('\n');
    },
    elapsedSeconds: () => (Date.now() - started) / 1000,
  };
}

async function writeRejects(rejected: readonly RejectedRow[]): Promise<string[]> {
  const byFile = new Map<string, RejectedRow[]>();
  for (const row of rejected) byFile.set(row.file, [...(byFile.get(row.file) ?? []), row]);
  const written: string[] = [];
  for (const [file, rows] of byFile) {
    const headers = [...new Set(rows.flatMap((row) => Object.keys(row.raw)))];
    const target = `${file}.rejected.csv`;
    await writeFile(
      target,
      stringify([
        ['line', ...headers, 'error'],
        ...rows.map((row) => [
          String(row.line),
          ...headers.map((header) => row.raw[header] ?? ''),
          row.reasons.join('; '),
        ]),
      ]),
    );
    written.push(`${target} (${rows.length} rows)`);
  }
  return written;
}

try {
  const config = loadConfig();
  const database = await openDatabase(
    config,
    createConfiguredLogger(config, config.logLevel === 'info' ? 'warn' : config.logLevel),
  );
  try {
    const progress = progressReporter();
    const result = await importSources(database.executor, sources, {
      acceptValid: values['accept-valid'] ?? false,
      defaultSource: values.source as 'PLAN' | 'PUBLIC' | 'ILLUSTRATIVE' | undefined,
      batchSize,
      writers,
      onProgress: (update) => progress.update(update),
    });
    for (const problem of result.problems.slice(0, 200))
      process.stderr.write(`${describeImportProblem(problem)}\n`);
    if (result.problems.length > 200)
      process.stderr.write(`… and ${result.problems.length - 200} more problems\n`);
    const rows = result.summaries.reduce((sum, summary) => sum + summary.rows - summary.rejected, 0);
    const seconds = progress.elapsedSeconds();
    // Columns sized to their contents (terminal columns, so wide characters line up); plain numbers, which
    // scripts (bench/run.ts) read back.
    const table = formatTable(
      result.summaries.map(({ kind, rows, created, updated, unchanged, rejected }) => ({
        kind,
        rows,
        created,
        updated,
        unchanged,
        rejected,
      })),
    );
    process.stdout.write(`\n${table.join('\n')}\n`);
    if (!result.written) {
      fail(
        `\nNothing was written: ${result.problems.length} problem(s) above. Fix them, or pass --accept-valid to import the valid rows.`,
      );
    }
    if (result.rejected.length > 0) {
      const files = await writeRejects(result.rejected);
      process.stdout.write(`Rejected rows written to ${files.join(', ')}\n`);
    }
    const { parseMs, referencesMs, validateMs, writeMs } = result.phases;
    const phase = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    process.stdout.write(
      `Phases: parse ${phase(parseMs)}, reference look-ups ${phase(referencesMs)}, validation ${phase(validateMs)}, writing ${phase(writeMs)}\n`,
    );
    process.stdout.write(
      `Imported ${rows.toLocaleString('en')} rows into ${database.uri} in ${seconds.toFixed(1)} s (${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en')} rows/s)\n`,
    );
  } finally {
    await database.close();
  }
} catch (error) {
  exitWithFailure(error);
}
