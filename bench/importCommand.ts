import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { creditCodeCheckCharacter } from '../src/import/creditCode.js';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Every enterprise the bench imports has an id starting with this, so that it can be removed again. */
export const IMPORTED_ID_PREFIX = 'bench-import-';

export interface ImportRun {
  /** What `npm run import` printed (stdout and stderr). */
  readonly output: string;
  /** The whole command, Node start-up, connection and migrations check included. */
  readonly wallSeconds: number;
  /** The command as a user would type it, the CSV named `enterprises.csv`. */
  readonly command: string;
}

/**
 * `npm run import` of a CSV of `rows` new enterprises (id, name, credit code, region, size band, high-tech, leading,
 * source) into the Neo4j at `uri`, as a user runs it. The rows are spread over `districts` (as a real register
 * would be), so the import writes to many regions, not one; their ids start with IMPORTED_ID_PREFIX and their credit
 * codes are the same from run to run, so a run must be removed before the next. bench/run.ts measures it inside a
 * whole run, bench/importProbe.ts on its own.
 */
export async function runEnterpriseImport(options: {
  readonly uri: string;
  readonly districts: readonly string[];
  readonly rows: number;
  readonly extraArgs?: readonly string[];
}): Promise<ImportRun> {
  const runPrefix = `${IMPORTED_ID_PREFIX}${Date.now()}`;
  const sizeBands = ['LARGE', 'MEDIUM', 'SMALL', 'SMALL', 'MICRO', 'MICRO'];
  const lines = Array.from({ length: options.rows }, (_, index) => {
    const body = `92130100BK${String(index).padStart(7, '0')}`;
    const region = options.districts[index % options.districts.length] ?? 'shijiazhuang';
    const highTech = index % 8 === 0 ? '是' : '否';
    const leading = index % 100 === 0 ? '是' : '否';
    return `${runPrefix}-${index},导入基准企业${index},${body}${creditCodeCheckCharacter(body)!},${region},${sizeBands[index % sizeBands.length]},${highTech},${leading},ILLUSTRATIVE`;
  });
  const directory = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-bench-'));
  const file = path.join(directory, 'enterprises.csv');
  try {
    await writeFile(
      file,
      ['id,name,creditCode,regionId,sizeBand,highTech,leading,source', ...lines].join('\n'),
    );
    const args = [
      'run',
      '--silent',
      'import',
      '--',
      '--kind',
      'enterprises',
      ...(options.extraArgs ?? []),
      file,
    ];
    const started = performance.now();
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('npm', args, {
        cwd: ROOT,
        // A generous transaction deadline: a slow batch is what this measures, not a reason to stop.
        env: { ...process.env, NEO4J_URI: options.uri, LOG_LEVEL: 'warn', NEO4J_TX_TIMEOUT_MS: '600000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolve(text)
          : reject(new Error(`npm run import exited with ${code}: ${text.slice(-500)}`)),
      );
    });
    return {
      output,
      wallSeconds: (performance.now() - started) / 1000,
      command: `npm run ${args.slice(2).join(' ').replace(file, 'enterprises.csv')}`,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
