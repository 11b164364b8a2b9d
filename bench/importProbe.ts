import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { loadConfig } from '../src/config.js';
import { cypher } from '../src/data/cypher.js';
import { connectDriver } from '../src/data/driver.js';
import { Executor } from '../src/data/executor.js';
import { creditCodeCheckCharacter } from '../src/import/creditCode.js';

/**
 * The import measurement of bench/run.ts (measureImport) on its own, against a running Neo4j (NEO4J_URI): the same
 * CSV of new enterprises over the generated districts, the same `npm run import` command, then the rows removed
 * again (with the change records they left, so the store's aggregates stay those of the generated graph).
 * `npm run bench` measures the same thing inside a whole run; this is for comparing before and after a change to
 * the import without the operations. IMPORT_PROBE_ROWS (default 50,000), IMPORT_PROBE_ARGS (extra import options).
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const rowsWanted = Number(process.env['IMPORT_PROBE_ROWS'] ?? 50_000);
const extraArgs = (process.env['IMPORT_PROBE_ARGS'] ?? '').split(' ').filter(Boolean);
const config = loadConfig();
const uri = config.neo4j.uri;
if (!uri) throw new Error('set NEO4J_URI to the running Neo4j to measure');
const driver = await connectDriver(uri, config.neo4j);
const executor = new Executor(driver, { database: 'neo4j', txTimeoutMs: 600_000, appName: 'import-probe' });

async function cleanup(): Promise<void> {
  for (;;) {
    const [row] = await executor.write(
      'probe-cleanup',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH 'bench-import-'
         WITH e LIMIT 10000 DETACH DELETE e RETURN count(*) AS removed`,
      ),
    );
    if (Number(row?.['removed'] ?? 0) === 0) break;
  }
  // The change records the import left name only the removed firms and their homes (which are back as they were).
  await executor.write(
    'probe-cleanup',
    cypher(
      `MATCH (c:AggregateChange) WHERE any(id IN c.enterpriseIds WHERE id STARTS WITH 'bench-import-') DELETE c`,
    ),
  );
}

try {
  await cleanup();
  const [pools] = await executor.read(
    'probe',
    cypher(
      `MATCH (r:Region) WHERE r.id STARTS WITH 'gen-42-r-' WITH r ORDER BY r.id RETURN collect(r.id) AS districts`,
    ),
  );
  const districts = (pools?.['districts'] as string[] | undefined) ?? [];
  const runPrefix = `bench-import-${Date.now()}`;
  const sizeBands = ['LARGE', 'MEDIUM', 'SMALL', 'SMALL', 'MICRO', 'MICRO'];
  const rows = Array.from({ length: rowsWanted }, (_, index) => {
    const body = `92130100BK${String(index).padStart(7, '0')}`;
    const region = districts[index % districts.length] ?? 'shijiazhuang';
    const highTech = index % 8 === 0 ? '是' : '否';
    const leading = index % 100 === 0 ? '是' : '否';
    return `${runPrefix}-${index},导入基准企业${index},${body}${creditCodeCheckCharacter(body)!},${region},${sizeBands[index % sizeBands.length]},${highTech},${leading},ILLUSTRATIVE`;
  });
  const directory = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-probe-'));
  const file = path.join(directory, 'enterprises.csv');
  await writeFile(file, ['id,name,creditCode,regionId,sizeBand,highTech,leading,source', ...rows].join('\n'));
  const started = performance.now();
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'npm',
      ['run', '--silent', 'import', '--', '--kind', 'enterprises', ...extraArgs, file],
      {
        cwd: ROOT,
        env: { ...process.env, NEO4J_URI: uri, LOG_LEVEL: 'warn', NEO4J_TX_TIMEOUT_MS: '600000' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(text.slice(-800)))));
  });
  const wall = (performance.now() - started) / 1000;
  await rm(directory, { recursive: true, force: true });
  process.stdout.write(
    `${output
      .split('\n')
      .filter((line) => !line.startsWith('['))
      .join('\n')}\nwhole command ${wall.toFixed(1)} s\n`,
  );
  await cleanup();
} finally {
  await driver.close();
}
