import { loadConfig } from '../src/config.js';
import { cypher } from '../src/data/cypher.js';
import { connectDriver } from '../src/data/driver.js';
import { Executor } from '../src/data/executor.js';
import { IMPORTED_ID_PREFIX, runEnterpriseImport } from './importCommand.js';

/**
 * The import measurement of bench/run.ts (measureImport) on its own, against a running Neo4j (NEO4J_URI): the same
 * CSV of new enterprises over the generated districts, the same `npm run import` command, then the rows removed
 * again (with the change records they left, so the store's aggregates stay those of the generated graph).
 * `npm run bench` measures the same thing inside a whole run; this is for comparing before and after a change to
 * the import without the operations. IMPORT_PROBE_ROWS (default 50,000), IMPORT_PROBE_ARGS (extra import options).
 */
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
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         WITH e LIMIT 10000 DETACH DELETE e RETURN count(*) AS removed`,
        { prefix: IMPORTED_ID_PREFIX },
      ),
    );
    if (Number(row?.['removed'] ?? 0) === 0) break;
  }
  // The change records the import left name only the removed firms and their homes (which are back as they were).
  await executor.write(
    'probe-cleanup',
    cypher(
      `MATCH (c:AggregateChange) WHERE any(id IN c.enterpriseIds WHERE id STARTS WITH $prefix) DELETE c`,
      { prefix: IMPORTED_ID_PREFIX },
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
  const { output, wallSeconds: wall } = await runEnterpriseImport({
    uri,
    districts,
    rows: rowsWanted,
    extraArgs,
  });
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
