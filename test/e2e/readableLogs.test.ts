import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { displayWidth } from '../../src/logFormat.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/**
 * Logs as a person sees them: the real service and the real seed command run under a pseudo-terminal (util-linux
 * `script`), where LOG_FORMAT=auto must give readable lines and tables, and piped, where it must stay JSON.
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = '/usr/bin/script';
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g');

/** What a terminal shows: colours and carriage returns taken out, one entry per line. */
const screenLines = (text: string) =>
  text
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.replace(/\r/g, ''))
    .filter((line) => line.trim() !== '');

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

interface Run {
  readonly output: string;
  readonly code: number | null;
}

/**
 * Runs a Node script under a pseudo-terminal (or piped) until it exits, or until `until` shows up, at which point
 * it is sent Ctrl-C through the terminal (SIGINT, as a person would stop it).
 */
function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { terminal: boolean; until?: RegExp },
): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('NEO4J_') && !['PORT', 'HOST', 'NO_COLOR', 'LOG_FORMAT'].includes(key),
    ),
  );
  const command = [process.execPath, '--import', 'tsx', ...args];
  const child = options.terminal
    ? // `exec`: script(1) runs the command through $SHELL, or /bin/sh when SHELL is unset (as under CI). dash does
      // not exec a lone command, and on Ctrl-C it kills itself once its child exits, so script reported 130 even
      // though the service itself stopped cleanly with 0. With exec the shell becomes the service.
      spawn(SCRIPT, ['-qfec', `exec ${command.map(quote).join(' ')}`, '/dev/null'], {
        cwd: PROJECT_ROOT,
        env: { ...inherited, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(command[0]!, command.slice(1), {
        cwd: PROJECT_ROOT,
        env: { ...inherited, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
  let output = '';
  let interrupted = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.until && !interrupted && options.until.test(output.replace(ANSI, ''))) {
      interrupted = true;
      if (options.terminal) child.stdin.write('\u0003');
      else child.kill('SIGINT');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, code });
    });
  });
}

describe.skipIf(!existsSync(SCRIPT))('logs a person can read', () => {
  let database: TestDatabase;
  let seedDir: string;
  const prefix = uniquePrefix('logs');

  beforeAll(async () => {
    database = await openTestDatabase();
    // A seed directory of its own (two regions under this file's prefix): quick to load, and the run writes
    // nothing another test reads.
    seedDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-logs-'));
    const provenance = { source: 'ILLUSTRATIVE', note: 'readableLogs test' };
    await writeFile(
      path.join(seedDir, 'regions.json'),
      JSON.stringify([
        {
          id: `${prefix}-city`,
          name: '测试市',
          nameEn: 'Test City',
          level: 'CITY',
          completeness: 'PARTIAL',
          provenance,
        },
        {
          id: `${prefix}-district`,
          name: '测试区',
          nameEn: 'Test District',
          level: 'DISTRICT',
          parentId: `${prefix}-city`,
          completeness: 'PARTIAL',
          provenance,
        },
      ]),
    );
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database?.close();
    await rm(seedDir, { recursive: true, force: true });
  });

  it('npm start on a terminal prints readable, coloured lines, then stops on Ctrl-C', async () => {
    const started = await run(
      ['src/main.ts'],
      { NEO4J_URI: database.config.neo4j.uri, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      { terminal: true, until: /GraphQL service ready/ },
    );
    const lines = screenLines(started.output);
    expect(lines.length, started.output).toBeGreaterThan(0);
    for (const line of lines) expect(line.trimStart().startsWith('{"'), line).toBe(false);
    expect(lines.find((line) => line.includes('GraphQL service ready'))).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}GraphQL service ready {2}url=http:\/\/127\.0\.0\.1:\d+\/graphql neo4j=bolt:\/\//,
    );
    expect(lines.some((line) => /INFO {2}Shutting down {2}signal=SIGINT/.test(line))).toBe(true);
    expect(started.output).toContain(`${ESC}[32mINFO`);
    expect(started.code).toBe(0);
  }, 180_000);

  it('npm run seed on a terminal prints the summary as an aligned table; NO_COLOR leaves colours out', async () => {
    const seeded = await run(
      ['src/cli/seed.ts', seedDir],
      { NEO4J_URI: database.config.neo4j.uri, NO_COLOR: '1' },
      { terminal: true },
    );
    expect(seeded.code, seeded.output).toBe(0);
    expect(seeded.output).not.toContain(ESC);
    const lines = screenLines(seeded.output);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}Seed data loaded {2}directory=\S+ uri=bolt:\/\//,
    );
    const table = lines.slice(1);
    expect(table[0]!.trim().split(/\s+/)).toEqual(['kind', 'total', 'created', 'updated', 'unchanged']);
    const region = table.find((line) => line.trim().startsWith('Region '));
    expect(region?.trim().split(/\s+/)).toEqual(['Region', '2', '2', '0', '0']);
    // Every row is as wide as the header: the numbers end in the same column.
    for (const line of table) expect(displayWidth(line)).toBe(displayWidth(table[0]!));
  }, 180_000);

  it('piped, the same commands write JSON lines, the seed summary as a list of records', async () => {
    const seeded = await run(
      ['src/cli/seed.ts', seedDir],
      { NEO4J_URI: database.config.neo4j.uri },
      {
        terminal: false,
      },
    );
    expect(seeded.code, seeded.output).toBe(0);
    const records = seeded.output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const loaded = records.find((record) => record['msg'] === 'Seed data loaded');
    expect(loaded).toMatchObject({ level: 30, service: 'chain-kg', directory: seedDir });
    expect(loaded?.['summary']).toContainEqual(expect.objectContaining({ kind: 'Region', total: 2 }));
    expect(loaded?.['summary']).toContainEqual(
      expect.objectContaining({ kind: '(:Region)-[:PART_OF]->(:Region)', total: 1 }),
    );
  }, 180_000);
});
