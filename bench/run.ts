import { spawn, type ChildProcess } from 'node:child_process';
import { AggregateRefresher } from '../src/analytics/refresher.js';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import autocannon from 'autocannon';

import { loadConfig } from '../src/config.js';
import { cypher, type CypherQuery } from '../src/data/cypher.js';
import { connectDriver } from '../src/data/driver.js';
import { Executor } from '../src/data/executor.js';
import { applyMigrations } from '../src/data/migrations.js';
import { generateGraph, random } from '../src/generate/generator.js';
import { createApolloServer } from '../src/graphql/apollo.js';
import { creditCodeCheckCharacter } from '../src/import/creditCode.js';
import { importSources } from '../src/import/importer.js';
import { createLogger } from '../src/logger.js';
import { startLocalNeo4j } from '../src/neo4j/localNeo4j.js';
import { isDatabaseEmpty, loadSeeds } from '../src/seed/load.js';

/**
 * `npm run bench`: builds (or reuses) a province-sized graph in its own local Neo4j and measures, with concurrent
 * clients over HTTP on loopback, the latency and throughput of the service's main operations; the same Cypher run
 * straight through the driver (the floor); the Neo4j GraphQL Library on the operations it can express; import
 * throughput and the server's peak memory. Writes bench/results/latest.json and latest.md.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const settings = {
  enterprises: Number(process.env['BENCH_ENTERPRISES'] ?? 200_000),
  seed: Number(process.env['BENCH_SEED'] ?? 42),
  seconds: Number(process.env['BENCH_SECONDS'] ?? 8),
  connections: Number(process.env['BENCH_CONNECTIONS'] ?? 10),
  dataDir: process.env['BENCH_DATA_DIR'] ?? '.data/bench-neo4j',
  importRows: Number(process.env['BENCH_IMPORT_ROWS'] ?? 20_000),
};

const benchStarted = Date.now();
const log = (message: string) =>
  process.stderr.write(`[bench +${Math.round((Date.now() - benchStarted) / 1000)}s] ${message}\n`);

interface Latencies {
  readonly requests: number;
  readonly errors: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

function summarise(samples: number[], errors: number, seconds: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (quantile: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    requests: sorted.length,
    errors,
    throughput: round(sorted.length / seconds),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
  };
}

/** Load over HTTP: `connections` clients for `seconds`, each request with the next variables in turn. */
async function httpLoad(
  url: string,
  query: string,
  variables: readonly Record<string, unknown>[],
): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  let index = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: settings.connections,
        duration: settings.seconds,
        // Slow requests are measured, not dropped: a timeout would hide exactly what the benchmark is for.
        timeout: 120,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ query, variables: variables[index++ % variables.length] }),
            }),
          },
        ],
      },
      (error, finished) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
      else errors += 1;
    });
  });
  return summarise(samples, errors + result.errors + result.timeouts, settings.seconds);
}

/** The floor: the same statements through the driver, `connections` workers for `seconds`. */
async function directLoad(executor: Executor, statementSets: readonly CypherQuery[][]): Promise<Latencies> {
  const samples: number[] = [];
  let errors = 0;
  const deadline = Date.now() + settings.seconds * 1000;
  let index = 0;
  await Promise.all(
    Array.from({ length: settings.connections }, async () => {
      while (Date.now() < deadline) {
        const statements = statementSets[index++ % statementSets.length]!;
        const started = performance.now();
        try {
          for (const statement of statements) await executor.read('bench-direct', statement);
          samples.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarise(samples, errors, settings.seconds);
}

function startProcess(
  command: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command.join(' ')} did not start: ${lines.slice(-5).join(' | ')}`)),
      120_000,
    );
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        const match = ready.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve({ child, url: match[1]! });
        }
      });
    }
    child.once('exit', (code) =>
      reject(new Error(`${command.join(' ')} exited with ${code}: ${lines.slice(-5).join(' | ')}`)),
    );
  });
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function machine(): Record<string, string> {
  const java = (() => {
    try {
      return (
        execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split(
          '\n',
        )[0] ?? ''
      );
    } catch (error) {
      return String((error as { stderr?: string }).stderr ?? '').split('\n')[0] ?? '';
    }
  })();
  return {
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    java,
  };
}

interface Scenario {
  readonly name: string;
  readonly query: string;
  readonly variables: (next: () => number) => Record<string, unknown>;
  /** The same operation for the Neo4j GraphQL Library, where it can express it. */
  readonly library?: {
    readonly query: string;
    readonly variables: (ours: Record<string, unknown>) => Record<string, unknown>;
  };
  readonly goal?: { readonly p95?: number; readonly throughput?: number };
  /** How many different variable sets to cycle through (fewer for the heavy analytics: each is run once to check it). */
  readonly variants?: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig({ ...process.env, NEO4J_URI: '', LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');

  log(`starting the local Neo4j (APOC on) in ${settings.dataDir}`);
  const neo4jProcess = await startLocalNeo4j({
    ...config.localNeo4j,
    dataDir: settings.dataDir,
    port: 0,
    heapMb: 3072,
    pageCacheMb: 3072,
    apoc: true,
    logger,
  });
  const children: ChildProcess[] = [];
  try {
    const driver = await connectDriver(neo4jProcess.uri, config.neo4j);
    const executor = new Executor(driver, {
      database: 'neo4j',
      txTimeoutMs: 600_000,
      appName: 'chain-kg-bench',
    });
    await applyMigrations(executor);
    if (await isDatabaseEmpty(executor)) {
      log('loading the seed data');
      await loadSeeds(executor);
    }
    const prefix = `gen-${settings.seed}-e-`;
    const [existing] = await executor.read(
      'bench',
      cypher('MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix RETURN count(e) AS n', { prefix }),
    );
    let generation: { seconds: number; relationships: number; reused: boolean } = {
      seconds: 0,
      relationships: 0,
      reused: true,
    };
    if (Number(existing?.['n']) < settings.enterprises) {
      log(`generating ${settings.enterprises.toLocaleString('en')} enterprises (seed ${settings.seed})`);
      const summary = await generateGraph(executor, {
        seed: settings.seed,
        enterprises: settings.enterprises,
        batchSize: 20_000,
        onProgress: ({ phase, done, total }) => {
          if (done === total || done % 100_000 === 0)
            log(`  ${phase} ${done.toLocaleString('en')}/${total.toLocaleString('en')}`);
        },
      });
      generation = { seconds: summary.seconds, relationships: summary.relationships, reused: false };
    }
    const [size] = await executor.read(
      'bench',
      cypher(
        'CALL { MATCH (e:Enterprise) RETURN count(e) AS enterprises } CALL { MATCH ()-[r]->() RETURN count(r) AS relationships } RETURN enterprises, relationships',
      ),
    );

    // Import throughput: a CSV of new enterprises through the import pipeline (then removed, so reruns compare).
    log(`importing ${settings.importRows.toLocaleString('en')} enterprises from CSV`);
    const importPrefix = `bench-import-${Date.now()}`;
    const rows = Array.from({ length: settings.importRows }, (_, index) => {
      const body = `92130100BK${String(index).padStart(7, '0')}`;
      return `${importPrefix}-${index},导入基准企业${index},${body}${creditCodeCheckCharacter(body)!},shijiazhuang,SMALL,是,否,ILLUSTRATIVE`;
    });
    const csv = ['id,name,creditCode,regionId,sizeBand,highTech,leading,source', ...rows].join('\n');
    const importStarted = performance.now();
    const imported = await importSources(
      executor,
      [{ name: 'bench.csv', content: csv, format: 'csv', kind: 'enterprises' }],
      { acceptValid: false, batchSize: 5000 },
    );
    const importSeconds = (performance.now() - importStarted) / 1000;
    if (!imported.written) throw new Error(`bench import failed: ${imported.problems[0]?.reason}`);
    await executor.write(
      'bench-cleanup',
      cypher('MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix DETACH DELETE e', { prefix: importPrefix }),
    );

    // Ids to draw from.
    const [pools] = await executor.read(
      'bench',
      cypher(
        `CALL { MATCH (r:Region) WHERE r.id STARTS WITH $regionPrefix RETURN collect(r.id)[0..200] AS districts }
         CALL { MATCH (r:Region) WHERE r.level IN ['CITY', 'MUNICIPALITY'] RETURN collect(r.id) AS cities }
         CALL { MATCH (c:IndustrialChain) RETURN collect(c.id) AS chains }
         CALL { MATCH (s:ChainSegment) RETURN collect(s.id) AS segments }
         RETURN districts, cities, chains, segments`,
        { regionPrefix: `gen-${settings.seed}-r-` },
      ),
    );
    const pool = (key: string) => (pools?.[key] as string[] | undefined) ?? [];
    const pick = <T>(items: readonly T[], next: () => number) => items[Math.floor(next() * items.length)]!;
    const enterpriseId = (next: () => number) => `${prefix}${Math.floor(next() * settings.enterprises)}`;

    const scenarios: Scenario[] = [
      {
        name: 'lookup by id',
        query:
          'query Lookup($id: ID!) { enterprise(id: $id) { id name sizeBand flags { highTech } region { id name } } }',
        variables: (next) => ({ id: enterpriseId(next) }),
        library: {
          query:
            'query Lookup($id: ID!) { enterprises(where: { id: { eq: $id } }) { id name sizeBand highTech region { id name } } }',
          variables: (ours) => ours,
        },
        goal: { throughput: 1000 },
      },
      {
        name: 'filtered list page',
        query:
          'query List($regionId: ID!) { enterprises(filter: { regionId: $regionId, highTech: true }, first: 20) { nodes { id name sizeBand } pageInfo { hasNextPage endCursor } } }',
        variables: (next) => ({ regionId: pick(pool('districts'), next) }),
        library: {
          query:
            'query List($regionId: ID!) { enterprises(where: { highTech: { eq: true }, region: { some: { id: { eq: $regionId } } } }, sort: [{ name: ASC }], limit: 21) { id name sizeBand } }',
          variables: (ours) => ours,
        },
      },
      {
        name: 'nested relationship page',
        query:
          'query Nested($id: ID!) { enterprise(id: $id) { id name customers { enterprise { id name } } segments { segment { id name } } } }',
        variables: (next) => ({ id: enterpriseId(next) }),
        library: {
          query:
            'query Nested($id: ID!) { enterprises(where: { id: { eq: $id } }) { id name customers { id name } segments { id name } } }',
          variables: (ours) => ours,
        },
      },
      {
        name: 'search',
        query:
          'query Search($text: String!) { search(text: $text, kinds: [ENTERPRISE], first: 10) { id name score } }',
        variables: (next) => ({ text: `示例企业${Math.floor(next() * settings.enterprises)}` }),
      },
      {
        name: 'segment upstream, depth 6',
        query:
          'query SegmentUpstream($id: ID!) { segment(id: $id) { upstream(depth: 6) { segments { segment { id } distance } } } }',
        variables: (next) => ({ id: pick(pool('segments'), next) }),
      },
      {
        name: 'firm upstream, depth 3',
        query:
          'query Upstream3($id: ID!) { enterprise(id: $id) { upstream(depth: 3) { segments { segment { id } distance } enterprises(first: 50) { enterprise { id } distance } } } }',
        variables: (next) => ({ id: enterpriseId(next) }),
      },
      {
        name: 'firm upstream, depth 6',
        query:
          'query Upstream6($id: ID!) { enterprise(id: $id) { upstream(depth: 6) { segments { segment { id } distance } enterprises(first: 50) { enterprise { id } distance } } } }',
        variables: (next) => ({ id: enterpriseId(next) }),
        goal: { p95: 50 },
      },
      {
        name: 'chainGaps',
        query:
          'query Gaps($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId) { gaps { segment { id name } status score localEnterpriseCount } total { coverageRatio } } }',
        variables: (next) => ({ chainId: pick(pool('chains'), next), regionId: pick(pool('cities'), next) }),
        goal: { p95: 100 },
        variants: 6,
      },
      {
        name: 'targetFirms',
        query:
          'query Targets($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 10) { recommendations { enterprise { id name } score factors { name value } } } }',
        variables: (next) => ({ chainId: pick(pool('chains'), next), regionId: pick(pool('cities'), next) }),
        goal: { p95: 100 },
        variants: 6,
      },
    ];

    log('starting the GraphQL service and the Neo4j GraphQL Library server');
    const ours = await startProcess(
      ['--import', 'tsx', 'src/main.ts'],
      {
        NEO4J_URI: neo4jProcess.uri,
        PORT: '0',
        LOG_LEVEL: 'info',
        NEO4J_TX_TIMEOUT_MS: '60000',
        // The request deadline (default 20 s) would otherwise cut the province-sized queries short.
        REQUEST_TIMEOUT_MS: '60000',
        MAX_PAGE_SIZE: '100',
      },
      /"url":"(http:[^"]+)"/,
    );
    children.push(ours.child);
    const library = await startProcess(
      ['--import', 'tsx', 'bench/neo4jGraphqlServer.ts'],
      { NEO4J_URI: neo4jProcess.uri, PORT: '0' },
      /^READY (\S+)/,
    );
    children.push(library.child);
    const apollo = createApolloServer(config, logger);
    await apollo.start();
    const refresher = new AggregateRefresher(executor, {
      waitMs: config.aggregates.waitMs,
      pollMs: 0,
      timeoutMs: config.aggregates.refreshTimeoutMs,
    });

    const results = [];
    for (const scenario of scenarios) {
      const next = random(settings.seed + scenario.name.length);
      const variableSets = Array.from({ length: scenario.variants ?? 40 }, () => scenario.variables(next));
      // Capture the statements the service sends for each variable set (and check that every answer is clean).
      const statementSets: CypherQuery[][] = [];
      for (const variables of variableSets) {
        const statements: CypherQuery[] = [];
        const response = await apollo.executeOperation(
          { query: scenario.query, variables },
          {
            contextValue: {
              requestId: 'bench',
              executor: executor.forRequest('bench', (event) => statements.push(event.query)),
              config,
              logger,
              refresher,
              caller: null,
            },
          },
        );
        if (response.body.kind !== 'single' || response.body.singleResult.errors) {
          throw new Error(
            `${scenario.name}: ${JSON.stringify(response.body.kind === 'single' ? response.body.singleResult.errors : 'incremental')}`,
          );
        }
        statementSets.push(statements);
      }
      log(`${scenario.name}: GraphQL`);
      const graphql = await httpLoad(ours.url, scenario.query, variableSets);
      log(`${scenario.name}: direct Cypher`);
      const direct = await directLoad(executor, statementSets);
      let libraryResult: Latencies | null = null;
      if (scenario.library) {
        const libraryVariables = variableSets.map(scenario.library.variables);
        const check = await fetch(library.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: scenario.library.query, variables: libraryVariables[0] }),
        });
        const body = (await check.json()) as { errors?: unknown };
        if (body.errors) throw new Error(`@neo4j/graphql ${scenario.name}: ${JSON.stringify(body.errors)}`);
        log(`${scenario.name}: @neo4j/graphql`);
        libraryResult = await httpLoad(library.url, scenario.library.query, libraryVariables);
      }
      results.push({
        scenario: scenario.name,
        graphql,
        direct,
        library: libraryResult,
        statements: statementSets[0]!.length,
        goal: scenario.goal ?? null,
      });
    }
    await apollo.stop();

    const report = {
      date: new Date().toISOString(),
      machine: machine(),
      settings,
      graph: {
        enterprises: Number(size?.['enterprises']),
        relationships: Number(size?.['relationships']),
        generation,
      },
      import: {
        rows: settings.importRows,
        seconds: Math.round(importSeconds * 10) / 10,
        rowsPerSecond: Math.round(settings.importRows / importSeconds),
      },
      serverPeakRssMb: await peakRssMb(ours.child.pid!),
      libraryPeakRssMb: await peakRssMb(library.child.pid!),
      results,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
    await writeFile(path.join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderMarkdown(report);
    await writeFile(path.join(ROOT, 'bench/results/latest.md'), markdown);
    process.stdout.write(markdown);
    await driver.close();
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await neo4jProcess.stop();
  }
}

type Report = {
  date: string;
  machine: Record<string, string>;
  settings: typeof settings;
  graph: {
    enterprises: number;
    relationships: number;
    generation: { seconds: number; relationships: number; reused: boolean };
  };
  import: { rows: number; seconds: number; rowsPerSecond: number };
  serverPeakRssMb: number;
  libraryPeakRssMb: number;
  results: {
    scenario: string;
    graphql: Latencies;
    direct: Latencies;
    library: Latencies | null;
    statements: number;
    goal: Scenario['goal'] | null;
  }[];
  durationSeconds: number;
};

function renderMarkdown(report: Report): string {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  const lines = [
    `# Benchmark — ${report.date}`,
    '',
    `Machine: ${Object.entries(report.machine)
      .map(([key, value]) => `${key} ${value}`)
      .join('; ')}.`,
    `Graph: ${report.graph.enterprises.toLocaleString('en')} enterprises, ${report.graph.relationships.toLocaleString('en')} relationships (seed ${report.settings.seed}${report.graph.generation.reused ? ', reused' : `, generated in ${report.graph.generation.seconds.toFixed(0)} s`}).`,
    `Load: ${report.settings.connections} concurrent clients on loopback, ${report.settings.seconds} s per measurement. Latencies in ms.`,
    '',
    '| operation | GraphQL p50 | p95 | p99 | req/s | direct Cypher p50 | p95 | req/s | GraphQL / direct (p50) | @neo4j/graphql p50 | req/s | ours / theirs (req/s) | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...report.results.map((result) =>
      [
        result.scenario,
        result.graphql.p50,
        result.graphql.p95,
        result.graphql.p99,
        result.graphql.throughput,
        result.direct.p50,
        result.direct.p95,
        result.direct.throughput,
        ratio(result.graphql.p50, result.direct.p50),
        result.library?.p50 ?? '—',
        result.library?.throughput ?? '—',
        result.library ? ratio(result.graphql.throughput, result.library.throughput) : '—',
        result.graphql.errors + result.direct.errors + (result.library?.errors ?? 0),
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .concat(' |'),
    ),
    '',
    `Import: ${report.import.rows.toLocaleString('en')} enterprises from CSV in ${report.import.seconds} s = **${report.import.rowsPerSecond.toLocaleString('en')} enterprises/s**.`,
    `Peak memory (RSS): our server ${report.serverPeakRssMb} MB; the @neo4j/graphql server ${report.libraryPeakRssMb} MB.`,
    `Whole run: ${report.durationSeconds} s.`,
    '',
  ];
  return lines.join('\n');
}

await main();
