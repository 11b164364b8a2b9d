import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';

import autocannon from 'autocannon';
import { pino } from 'pino';

import { hashKey } from '../src/auth.js';
import { loadConfig, type Config } from '../src/config.js';
import { cypher } from '../src/data/cypher.js';
import { Executor } from '../src/data/executor.js';
import { createHttpApp, type HttpApp } from '../src/http/app.js';
import { QUERIES_DIR } from '../src/http/explorer.js';
import type { Logger } from '../src/logger.js';
import { SEEDS_DIR, isDatabaseEmpty, loadSeeds } from '../src/seed/load.js';
import { openDatabase, type Database } from '../src/service.js';
import { renderHostileMarkdown, runHostileLoad } from './hostile.js';
import { ascending, percentile, round1 } from './stats.js';

/**
 * `npm run load [-- --duration 30]`: a bounded load test of the real service on loopback. It starts (or, with
 * NEO4J_URI, reuses) a Neo4j, starts the service's HTTP app in this process with an editor and a viewer API key,
 * and runs autocannon with 50 concurrent clients for at most 60 s, mixing plain reads (the saved operations in
 * queries/ with realistic variables), analytics (chainGaps, targetFirms) and writes (importRecords of small batches
 * of ILLUSTRATIVE enterprises under a unique id prefix). Every response body is parsed: an unexpected error is any
 * non-2xx status, any `errors` in a body, an import that wrote nothing, a timeout or a socket error. Memory is
 * measured after a warm-up and after the run (each after garbage collection). Prints the figures, writes
 * bench/results/load-latest.md and .json, removes what it wrote and exits non-zero when anything failed.
 *
 * The CI short form is test/load/load.test.ts, which calls `runLoadTest` for a few seconds against the test Neo4j.
 */

/** The hard cap on the measured duration: the load test must stay bounded. */
export const MAX_DURATION_SECONDS = 60;

/**
 * Memory is "back to baseline" when heapUsed after the run (after gc) ≤ baseline × 1.25 + 16 MB. The relative
 * part absorbs caches that legitimately grow with use (compiled code, Apollo's document cache, the driver's
 * connection pool — all warmed by the warm-up first), the absolute part the noise of a small heap. A leak that grows
 * with every request crosses it over a full run: at the ~1,000 requests a 30 s run serves on a 2-core machine, from
 * roughly 30 KB per request, and proportionally less on a faster one. RSS is reported but not judged: V8 and glibc
 * seldom give pages back to the OS, so RSS after a peak says little about leaks.
 */
export const HEAP_TOLERANCE = { factor: 1.25, extraMb: 16 } as const;

export type Category = 'read' | 'analytics' | 'write';
export const CATEGORIES: readonly Category[] = ['read', 'analytics', 'write'];

/** Share of the requests of each category (in percent). */
export const MIX: Readonly<Record<Category, number>> = { read: 60, analytics: 25, write: 15 };

/** Enterprises per importRecords request. */
const WRITE_BATCH_ROWS = 5;

export interface LoadTestOptions {
  /** Measured seconds (default 30, at most 60). */
  readonly durationSeconds?: number;
  /** Concurrent clients (default 50). */
  readonly connections?: number;
  /** Seconds of the same load before the memory baseline (default 5); not counted in the figures. */
  readonly warmupSeconds?: number;
  /** Seconds to let the process settle after the run before measuring memory again (default 3). */
  readonly settleSeconds?: number;
  /** A Neo4j to use. Default: NEO4J_URI from `env`, else a throwaway local Neo4j in a temporary folder. */
  readonly neo4jUri?: string;
  /** The environment the service's configuration is read from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** The id prefix of everything the load test writes (default: load-<random>). Lowercase letters, digits, hyphens. */
  readonly prefix?: string;
  /**
   * Before the load, each operation is sent once and must answer without errors: with every one of its variable
   * sets (the default), or only with its first (quicker, for CI: the load itself still sends all of them).
   */
  readonly preflight?: 'every-variant' | 'first-variant';
  /** Where to write load-latest.md and load-latest.json; nothing is written when undefined. */
  readonly resultsDir?: string;
  /** Progress messages (default: none). */
  readonly log?: (message: string) => void;
}

export interface LatencySummary {
  readonly responses: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p97_5: number;
  readonly p99: number;
  readonly max: number;
}

export interface OperationFigures extends LatencySummary {
  readonly operation: string;
  readonly category: Category;
  readonly unexpected: number;
}

export interface MemorySample {
  readonly heapUsedMb: number;
  readonly rssMb: number;
}

export interface UnexpectedErrors {
  /** Responses with at least one of the problems below, plus timeouts and socket errors. */
  readonly total: number;
  /** Each count below is of responses; one response can have several problems (a 400 with `errors`). */
  readonly nonSuccessStatus: number;
  readonly graphqlErrors: number;
  readonly unreadableBodies: number;
  readonly importsNotWritten: number;
  readonly timeouts: number;
  readonly socketErrors: number;
  /** The distinct problems (operation, code and message) with how often each occurred; at most 20. */
  readonly examples: readonly { readonly problem: string; readonly count: number }[];
}

export interface LoadTestResult {
  readonly date: string;
  readonly settings: {
    readonly connections: number;
    readonly durationSeconds: number;
    readonly warmupSeconds: number;
    readonly settleSeconds: number;
    readonly mix: Readonly<Record<Category, number>>;
    readonly writeBatchRows: number;
    readonly neo4j: string;
    readonly prefix: string;
    readonly machine: string;
    /** The 1-minute load average before and after the measured run: on a shared machine, the figures depend on it. */
    readonly loadAverage: { readonly before: number; readonly after: number };
  };
  /** Each distinct (operation, variables) checked once before the load; failures are unexpected errors too. */
  readonly preflight: {
    readonly mode: 'every-variant' | 'first-variant';
    readonly requests: number;
    readonly failures: readonly string[];
  };
  readonly warmup: { readonly responses: number; readonly unexpected: number };
  readonly requests: { readonly total: number; readonly perSecond: number; readonly seconds: number };
  readonly latency: {
    readonly overall: LatencySummary;
    readonly byCategory: Readonly<Record<Category, LatencySummary & { readonly unexpected: number }>>;
    readonly byOperation: readonly OperationFigures[];
  };
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly errorCodes: Readonly<Record<string, number>>;
  readonly unexpected: UnexpectedErrors;
  /** Errors and warnings the service logged during the whole test. */
  readonly serverLog: {
    readonly errors: number;
    readonly warnings: number;
    readonly examples: readonly string[];
  };
  readonly server: {
    /** Requests the server was still handling when the clients stopped (they finish before memory is measured). */
    readonly inFlightAtStop: number;
    readonly drainMs: number;
  };
  readonly writes: {
    /** importRecords requests issued; the last ones are cut off when the clients stop. */
    readonly requests: number;
    readonly acknowledged: number;
    readonly rowsAcknowledged: number;
    /** Acknowledged rows found in Neo4j afterwards, ILLUSTRATIVE and located in their region. */
    readonly rowsFound: number;
    /** Nodes under the prefix removed by the cleanup (acknowledged or not: requests cut off at the end count too). */
    readonly removedByCleanup: number;
    readonly remainingAfterCleanup: number;
  };
  readonly memory: {
    readonly gc: 'exposed' | 'enabled at runtime';
    readonly baseline: MemorySample;
    readonly peak: MemorySample;
    readonly after: MemorySample;
    readonly heapLimitMb: number;
    readonly tolerance: string;
    readonly backToBaseline: boolean;
  };
  readonly passed: boolean;
  readonly failures: readonly string[];
}

// ---------------------------------------------------------------------------------------------------------------
// The request mix

interface Operation {
  readonly name: string;
  readonly category: Category;
  readonly query: string;
  /** The variable sets to cycle through. */
  readonly variables: readonly Record<string, unknown>[];
}

interface SeedRecord {
  readonly id: string;
  readonly level?: string;
  readonly chainId?: string;
  readonly stage?: string;
  readonly regionId?: string;
}

function readSeed(file: string): SeedRecord[] {
  return JSON.parse(readFileSync(path.join(SEEDS_DIR, file), 'utf8')) as SeedRecord[];
}

function savedOperation(name: string): string {
  return readFileSync(path.join(QUERIES_DIR, `${name}.graphql`), 'utf8');
}

/** Every n-th item, so the variables spread over the whole seed data but stay few (each is preflighted once). */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const step = items.length / count;
  return Array.from({ length: count }, (_, index) => items[Math.floor(index * step)]!);
}

const product = <A, B>(as: readonly A[], bs: readonly B[]): [A, B][] =>
  as.flatMap((a) => bs.map((b): [A, B] => [a, b]));

const IMPORT_MUTATION = `mutation LoadTestImport($content: String!) {
  importRecords(kind: ENTERPRISES, format: CSV, content: $content) {
    written
    summaries { kind rows created updated unchanged rejected }
    problems { line column reason }
  }
}`;

/** The reads and analytics, from the saved operations in queries/ with variables drawn from the seed data. */
function buildOperations(): Operation[] {
  const chains = readSeed('chains.json').map((chain) => chain.id);
  const segments = chains.flatMap((chain) => readSeed(`segments/${chain}.json`));
  const enterprises = chains.flatMap((chain) => readSeed(`enterprises/${chain}.json`));
  const regions = readSeed('regions.json');
  const localRegions = ['shijiazhuang', ...regions.filter((r) => r.id.startsWith('sjz-')).map((r) => r.id)];
  const localEnterprises = enterprises.filter((e) => e.regionId?.startsWith('sjz-')).map((e) => e.id);
  const allEnterprises = enterprises.map((e) => e.id);
  const stages = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'];
  const analysedRegions = ['shijiazhuang', 'sjz-luquan', 'sjz-gaoxin', 'baoding', 'tianjin', 'beijing'];
  const gapSegments = spread(
    segments.map((s) => s.id),
    12,
  );

  return [
    // Plain reads.
    {
      name: 'enterprise by id',
      category: 'read',
      query: savedOperation('shiyao-projects'),
      variables: spread(allEnterprises, 20).map((enterpriseId) => ({ enterpriseId })),
    },
    {
      name: 'enterprises page',
      category: 'read',
      query: savedOperation('enterprises-page'),
      variables: [5, 10, 20, 50].map((first) => ({ first })),
    },
    {
      name: 'enterprises filtered',
      category: 'read',
      query: savedOperation('luquan-led-midstream'),
      variables: spread(product(spread(localRegions, 4), product(chains, stages)), 15).map(
        ([regionId, [chainId, stage]]) => ({ regionId, chainId, stage }),
      ),
    },
    {
      name: 'search',
      category: 'read',
      query: savedOperation('search'),
      variables: [
        '光刻',
        '药',
        'photoresist',
        'Beidou',
        '石药',
        'LED',
        '芯片',
        '新能源',
        '封装',
        'vaccine',
      ].map((text, index) => ({ text, kinds: index % 2 === 0 ? null : ['ENTERPRISE'], first: 20 })),
    },
    {
      name: 'chain structure',
      category: 'read',
      query: savedOperation('chain-structure'),
      variables: product(chains, ['shijiazhuang', 'sjz-luquan']).map(([chainId, regionId]) => ({
        chainId,
        regionId,
      })),
    },
    {
      name: 'platforms by segment',
      category: 'read',
      query: savedOperation('ic-design-platforms'),
      variables: spread(
        segments.map((s) => s.id),
        10,
      ).map((segmentId) => ({ segmentId })),
    },
    {
      name: 'enterprise upstream',
      category: 'read',
      query: savedOperation('shiyao-upstream'),
      variables: spread(localEnterprises, 9).map((enterpriseId, index) => ({
        enterpriseId,
        depth: 1 + (index % 3),
        regionId: 'shijiazhuang',
      })),
    },
    { name: 'chains', category: 'read', query: savedOperation('chains'), variables: [{}] },

    // Analytics.
    ...chains.map((chain): Operation => ({
      name: `chainGaps ${chain}`,
      category: 'analytics',
      query: savedOperation('gap-report'),
      variables: spread(product(analysedRegions, [null, ['PLAN', 'PUBLIC']]), 4).map(
        ([regionId, sources]) => ({
          chainId: chain,
          regionId,
          sources,
        }),
      ),
    })),
    {
      name: 'targetFirms chain',
      category: 'analytics',
      query: savedOperation('ic-target-firms'),
      variables: product(['shijiazhuang', 'tianjin'], [5, 10]).map(([regionId, first]) => ({
        regionId,
        first,
      })),
    },
    {
      name: 'targetFirms segment',
      category: 'analytics',
      query: savedOperation('map-segment'),
      variables: gapSegments.map((segmentId) => ({ segmentId, regionId: 'shijiazhuang', firstTargets: 5 })),
    },
  ];
}

/** The id of one enterprise the load test writes: row `index` of write batch `batch`. */
const rowId = (prefix: string, batch: number, index: number) => `${prefix}-${batch}-${index}`;

/** The CSV of one write: a small batch of new ILLUSTRATIVE enterprises under the prefix (all rows valid). */
function importContent(prefix: string, batch: number): string {
  const regions = ['sjz-luquan', 'sjz-gaoxin', 'sjz-zhengding', 'shijiazhuang'];
  const sizes = ['SMALL', 'MICRO', 'MEDIUM'];
  const rows = Array.from({ length: WRITE_BATCH_ROWS }, (_, index) =>
    [
      rowId(prefix, batch, index),
      `示例负载测试企业${batch}-${index}`,
      `Load-test firm ${batch}-${index} (illustrative)`,
      regions[(batch + index) % regions.length],
      sizes[index % sizes.length],
      index % 2 === 0 ? '是' : '否',
      '否',
      'ILLUSTRATIVE',
      'load test',
    ].join(','),
  );
  return ['id,name,nameEn,regionId,sizeBand,highTech,leading,source,note', ...rows].join('\n');
}

/** A smooth weighted round robin over the categories: the mix holds in every window of 20 requests. */
function categorySchedule(): Category[] {
  const credit: Record<Category, number> = { read: 0, analytics: 0, write: 0 };
  const total = CATEGORIES.reduce((sum, category) => sum + MIX[category], 0);
  return Array.from({ length: 20 }, () => {
    for (const category of CATEGORIES) credit[category] += MIX[category];
    const chosen = CATEGORIES.reduce((best, category) => (credit[category] > credit[best] ? category : best));
    credit[chosen] -= total;
    return chosen;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Counting

interface Tally {
  responses: number;
  unexpected: number;
  latencies: number[];
}

class Counters {
  readonly statusCounts: Record<string, number> = {};
  readonly errorCodes: Record<string, number> = {};
  readonly byOperation = new Map<string, Tally>();
  unexpectedResponses = 0;
  nonSuccessStatus = 0;
  graphqlErrors = 0;
  unreadableBodies = 0;
  importsNotWritten = 0;
  timeouts = 0;
  socketErrors = 0;
  writeRequests = 0;
  readonly acknowledgedBatches: number[] = [];
  rowsAcknowledged = 0;
  readonly examples = new Map<string, number>();

  tally(operation: string): Tally {
    let tally = this.byOperation.get(operation);
    if (!tally) {
      tally = { responses: 0, unexpected: 0, latencies: [] };
      this.byOperation.set(operation, tally);
    }
    return tally;
  }

  example(problem: string): void {
    if (this.examples.has(problem) || this.examples.size < 20) {
      this.examples.set(problem, (this.examples.get(problem) ?? 0) + 1);
    }
  }

  get unexpected(): number {
    return this.unexpectedResponses + this.timeouts + this.socketErrors;
  }

  get responses(): number {
    let total = 0;
    for (const tally of this.byOperation.values()) total += tally.responses;
    return total;
  }
}

interface GraphQLBody {
  data?: { importRecords?: { written?: boolean; summaries?: { created?: number }[]; problems?: unknown[] } };
  errors?: { message?: string; extensions?: { code?: string } }[];
}

/** What one request is, remembered in autocannon's per-client context until its response arrives. */
interface RequestContext {
  operation?: string;
  category?: Category;
  batch?: number;
}

/**
 * Classifies one response. `body` is autocannon's concatenation of the body chunks; a multi-byte character split
 * across two chunks becomes U+FFFD, which can only happen inside a JSON string, so the body still parses.
 */
function classify(
  counters: Counters,
  status: number,
  body: string,
  context: RequestContext,
): { operation: string; ok: boolean } {
  const operation = context.operation ?? 'unknown';
  const tally = counters.tally(operation);
  tally.responses += 1;
  counters.statusCounts[String(status)] = (counters.statusCounts[String(status)] ?? 0) + 1;
  let ok = true;
  const fail = (message: string) => {
    ok = false;
    counters.example(`${operation}: ${message}`);
  };
  if (status < 200 || status >= 300) {
    counters.nonSuccessStatus += 1;
    fail(`HTTP ${status}`);
  }
  let parsed: GraphQLBody | undefined;
  try {
    parsed = JSON.parse(body) as GraphQLBody;
  } catch {
    counters.unreadableBodies += 1;
    fail(`unreadable body: ${body.slice(0, 200)}`);
  }
  if (parsed?.errors && parsed.errors.length > 0) {
    counters.graphqlErrors += 1;
    for (const error of parsed.errors) {
      const code = error.extensions?.code ?? 'NO_CODE';
      counters.errorCodes[code] = (counters.errorCodes[code] ?? 0) + 1;
    }
    const first = parsed.errors[0]!;
    fail(`${first.extensions?.code ?? 'NO_CODE'}: ${first.message ?? ''}`);
  }
  if (context.category === 'write' && parsed && !parsed.errors) {
    const result = parsed.data?.importRecords;
    if (result?.written === true) {
      counters.acknowledgedBatches.push(context.batch!);
      counters.rowsAcknowledged += WRITE_BATCH_ROWS;
    } else {
      counters.importsNotWritten += 1;
      fail(`import not written: ${JSON.stringify(result?.problems ?? result).slice(0, 200)}`);
    }
  }
  if (!ok) {
    tally.unexpected += 1;
    counters.unexpectedResponses += 1;
  }
  return { operation, ok };
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

function summarise(latencies: readonly number[], seconds: number): LatencySummary {
  const sorted = ascending(latencies);
  return {
    responses: sorted.length,
    perSecond: round1(sorted.length / seconds),
    p50: round1(percentile(sorted, 0.5)),
    p97_5: round1(percentile(sorted, 0.975)),
    p99: round1(percentile(sorted, 0.99)),
    max: round1(sorted.length === 0 ? NaN : sorted[sorted.length - 1]!),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Memory

type GarbageCollector = () => void;

function garbageCollector(): { gc: GarbageCollector; how: 'exposed' | 'enabled at runtime' } {
  const exposed = (globalThis as { gc?: GarbageCollector }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: 'exposed' };
  // Without --expose-gc (for example inside the test runner's worker): expose it now, in a fresh context.
  v8.setFlagsFromString('--expose-gc');
  return { gc: vm.runInNewContext('gc') as GarbageCollector, how: 'enabled at runtime' };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => round1(bytes / 2 ** 20);

function sampleMemory(): MemorySample {
  const usage = process.memoryUsage();
  return { heapUsedMb: mb(usage.heapUsed), rssMb: mb(usage.rss) };
}

/** Several full collections with pauses between them (finalizers and weak references need a turn or two). */
async function collectedMemory(gc: GarbageCollector): Promise<MemorySample> {
  for (let round = 0; round < 4; round += 1) {
    gc();
    await sleep(250);
  }
  gc();
  return sampleMemory();
}

/** Runs `work` while sampling memory every 250 ms; returns its result and the peak of the samples. */
async function withPeakMemory<T>(work: () => Promise<T>): Promise<{ value: T; peak: MemorySample }> {
  let peak = sampleMemory();
  const sampler = setInterval(() => {
    const now = sampleMemory();
    peak = {
      heapUsedMb: Math.max(peak.heapUsedMb, now.heapUsedMb),
      rssMb: Math.max(peak.rssMb, now.rssMb),
    };
  }, 250);
  try {
    const value = await work();
    return { value, peak };
  } finally {
    clearInterval(sampler);
  }
}

/** Judges the memory after the run against the baseline (see HEAP_TOLERANCE). */
function memoryVerdict(
  how: LoadTestResult['memory']['gc'],
  baseline: MemorySample,
  peak: MemorySample,
  after: MemorySample,
): LoadTestResult['memory'] {
  const limit = round1(baseline.heapUsedMb * HEAP_TOLERANCE.factor + HEAP_TOLERANCE.extraMb);
  return {
    gc: how,
    baseline,
    peak,
    after,
    heapLimitMb: limit,
    tolerance: `heapUsed after ≤ baseline × ${HEAP_TOLERANCE.factor} + ${HEAP_TOLERANCE.extraMb} MB`,
    backToBaseline: after.heapUsedMb <= limit,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Starting and stopping

type Log = (message: string) => void;

/** The options with their defaults filled in, checked. */
interface RunSettings {
  readonly durationSeconds: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly settleSeconds: number;
  readonly prefix: string;
  readonly preflightMode: 'every-variant' | 'first-variant';
  readonly log: Log;
}

/** Fills in the defaults; rejects a duration beyond the cap, a number of clients that is not whole, a bad prefix. */
function validateOptions(options: LoadTestOptions): RunSettings {
  const durationSeconds = options.durationSeconds ?? 30;
  const connections = options.connections ?? 50;
  if (!(durationSeconds > 0 && durationSeconds <= MAX_DURATION_SECONDS)) {
    throw new RangeError(
      `duration must be more than 0 and at most ${MAX_DURATION_SECONDS} s (got ${durationSeconds})`,
    );
  }
  if (!(Number.isInteger(connections) && connections > 0)) {
    throw new RangeError(`connections must be a positive whole number (got ${connections})`);
  }
  const prefix = options.prefix ?? `load-${randomBytes(4).toString('hex')}`;
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(prefix))
    throw new RangeError(`'${prefix}' is not a valid id prefix`);
  return {
    durationSeconds,
    connections,
    warmupSeconds: options.warmupSeconds ?? 5,
    settleSeconds: options.settleSeconds ?? 3,
    prefix,
    preflightMode: options.preflight ?? 'every-variant',
    log: options.log ?? (() => {}),
  };
}

/** The bearer tokens of the two API keys the service is started with. */
interface ApiKeys {
  readonly editor: string;
  readonly viewer: string;
}

function generateApiKeys(): ApiKeys {
  return { editor: randomBytes(24).toString('hex'), viewer: randomBytes(24).toString('hex') };
}

/** The service's configuration: from `env` (and `neo4jUri`), on a free loopback port, with an editor and a viewer key. */
function serviceConfig(options: LoadTestOptions, keys: ApiKeys): Config {
  const env = options.env ?? process.env;
  return loadConfig({
    ...env,
    ...(options.neo4jUri ? { NEO4J_URI: options.neo4jUri } : {}),
    HOST: '127.0.0.1',
    PORT: '0',
    API_KEYS: `load-editor:editor:${hashKey(keys.editor)},load-viewer:viewer:${hashKey(keys.viewer)}`,
    // Every read presents the viewer key, so authentication is on the path of every request.
    READ_ACCESS: 'key',
  });
}

interface ServerLog {
  errors: number;
  warnings: number;
  readonly examples: string[];
}

/** A logger for the service that counts what it logs at warn level and above, keeping the first ten as examples. */
function countingLogger(): { logger: Logger; serverLog: ServerLog } {
  // Errors and warnings the service logs (for example the originals of masked errors) are counted and kept.
  const serverLog: ServerLog = { errors: 0, warnings: 0, examples: [] };
  const logger = pino(
    { level: 'warn', base: { service: 'chain-kg' } },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { level: number; msg?: string; err?: { message?: string } };
        if (entry.level >= 50) serverLog.errors += 1;
        else serverLog.warnings += 1;
        if (serverLog.examples.length < 10) {
          serverLog.examples.push(`${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`);
        }
      },
    },
  );
  return { logger, serverLog };
}

/** What the load test started, recorded the moment it exists, so that `stopEverything` stops whatever did start. */
interface Started {
  storeDir?: string;
  database?: Database;
  app?: HttpApp;
}

/** Opens the Neo4j of the configuration or, without one, starts a throwaway local Neo4j in a temporary folder. */
async function openNeo4j(
  config: Config,
  logger: Logger,
  log: Log,
  started: Started,
): Promise<{ database: Database; description: string }> {
  if (config.neo4j.uri === undefined) {
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-load-neo4j-'));
    started.storeDir = storeDir;
    log(`starting a throwaway local Neo4j in ${storeDir}`);
    const database = await openDatabase(
      { ...config, localNeo4j: { ...config.localNeo4j, dataDir: storeDir, port: 0 } },
      logger,
    );
    started.database = database;
    return { database, description: `local Neo4j 5.26, throwaway store` };
  }
  log(`using the Neo4j at ${config.neo4j.uri}`);
  const database = await openDatabase(config, logger);
  started.database = database;
  return { database, description: config.neo4j.uri };
}

/** Seeding, checking and cleaning up are not what is measured: they get a generous transaction timeout. */
function setupExecutor(database: Database, config: Config): Executor {
  return new Executor(database.driver, {
    database: config.neo4j.database,
    txTimeoutMs: 120_000,
    appName: 'chain-kg-load-test',
  });
}

async function seedIfEmpty(setup: Executor, log: Log): Promise<void> {
  if (await isDatabaseEmpty(setup)) {
    log('loading the seed data');
    await loadSeeds(setup);
  }
}

/** Starts the service's HTTP app on the configured loopback port; returns the app and its GraphQL URL. */
async function startService(
  config: Config,
  logger: Logger,
  database: Database,
  log: Log,
  started: Started,
): Promise<{ app: HttpApp; url: string }> {
  const readiness = { migrationsApplied: true };
  const app = await createHttpApp({ config, logger, executor: database.executor, readiness });
  started.app = app;
  const url = `${await app.listen()}/graphql`;
  log(`service listening at ${url}`);
  return { app, url };
}

type Drain = () => Promise<LoadTestResult['server']>;

/**
 * Tracks the requests the server is handling; the returned `drain` waits (at most 120 s) until every one of them
 * has finished and tells how many were still running when it was called.
 */
function trackRequestsInFlight(app: HttpApp): Drain {
  // Requests the server is handling: a response is done once `end()` was called, even when the client left.
  const inFlight = new Set<ServerResponse>();
  app.httpServer.on('request', (_request, response: ServerResponse) => {
    inFlight.add(response);
    response.once('finish', () => inFlight.delete(response));
  });
  return async () => {
    const started = Date.now();
    const pending = () => [...inFlight].filter((response) => !response.writableEnded).length;
    const inFlightAtStop = pending();
    while (pending() > 0 && Date.now() - started < 120_000) await sleep(50);
    if (pending() > 0) throw new Error(`${pending()} requests still running 120 s after the load stopped`);
    inFlight.clear();
    return { inFlightAtStop, drainMs: Date.now() - started };
  };
}

/** Deletes every node whose id starts with the prefix; returns how many went and how many are left. */
async function cleanUp(executor: Executor, prefix: string): Promise<{ removed: number; remaining: number }> {
  const [deleted] = await executor.write(
    'load-test-cleanup',
    cypher('MATCH (n) WHERE n.id STARTS WITH $prefix DETACH DELETE n RETURN count(*) AS n', { prefix }),
  );
  const [left] = await executor.read(
    'load-test-cleanup',
    cypher('MATCH (n) WHERE n.id STARTS WITH $prefix RETURN count(n) AS n', { prefix }),
  );
  return { removed: Number(deleted?.['n'] ?? 0), remaining: Number(left?.['n'] ?? 0) };
}

/** Removes what the load test wrote, then stops the service and Neo4j and removes the throwaway store. */
async function stopEverything(started: Started, config: Config, prefix: string): Promise<void> {
  const { storeDir, database, app } = started;
  if (app && database) await cleanUp(setupExecutor(database, config), prefix).catch(() => undefined);
  await app?.close().catch(() => undefined);
  await database?.close();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------------------------
// The run

/** What every phase of the load sends, and where to. */
interface LoadPlan {
  readonly url: string;
  readonly connections: number;
  readonly prefix: string;
  readonly readHeaders: Readonly<Record<string, string>>;
  readonly writeHeaders: Readonly<Record<string, string>>;
  readonly operationsByCategory: ReadonlyMap<Category, readonly Operation[]>;
  readonly schedule: readonly Category[];
  /** The number of the next write batch; it runs on across the phases, so no two writes share an id. */
  nextBatch: number;
}

function loadPlan(
  url: string,
  keys: ApiKeys,
  operations: readonly Operation[],
  settings: RunSettings,
): LoadPlan {
  return {
    url,
    connections: settings.connections,
    prefix: settings.prefix,
    readHeaders: { 'content-type': 'application/json', authorization: `Bearer ${keys.viewer}` },
    writeHeaders: { 'content-type': 'application/json', authorization: `Bearer ${keys.editor}` },
    operationsByCategory: new Map(
      CATEGORIES.map((category) => [category, operations.filter((o) => o.category === category)]),
    ),
    schedule: categorySchedule(),
    nextBatch: 0,
  };
}

/**
 * The requests of one phase, one per call: the categories in the order of the schedule, each category cycling
 * through its operations and each operation through its variable sets; a write is a new batch.
 */
function requestSequence(
  plan: LoadPlan,
  counters: Counters,
): (request: autocannon.Request, context: RequestContext) => autocannon.Request {
  let slot = 0;
  const turns = new Map<string, number>();
  return (request, context) => {
    const category = plan.schedule[slot++ % plan.schedule.length]!;
    if (category === 'write') {
      const batch = plan.nextBatch++;
      counters.writeRequests += 1;
      Object.assign(context, { operation: 'importRecords', category, batch });
      return {
        ...request,
        headers: { ...plan.writeHeaders },
        body: JSON.stringify({
          query: IMPORT_MUTATION,
          variables: { content: importContent(plan.prefix, batch) },
        }),
      };
    }
    const pool = plan.operationsByCategory.get(category)!;
    const turn = turns.get(category) ?? 0;
    turns.set(category, turn + 1);
    const operation = pool[turn % pool.length]!;
    const variantTurn = Math.floor(turn / pool.length);
    const variables = operation.variables[variantTurn % operation.variables.length];
    Object.assign(context, { operation: operation.name, category });
    return {
      ...request,
      headers: { ...plan.readHeaders },
      body: JSON.stringify({ query: operation.query, variables }),
    };
  };
}

interface LoadPhase {
  readonly counters: Counters;
  readonly result: autocannon.Result;
  readonly seconds: number;
}

/** Runs the mix with autocannon for `seconds`, classifying every response. */
function runPhase(plan: LoadPlan, seconds: number): Promise<LoadPhase> {
  const counters = new Counters();
  const nextRequest = requestSequence(plan, counters);
  // autocannon calls the request's onResponse, then emits 'response' with the latency, synchronously and for
  // the same client: the first hands the operation to the second through this variable.
  let lastResponse: { operation: string } | undefined;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: plan.url,
        method: 'POST',
        connections: plan.connections,
        duration: seconds,
        // A request slower than this is a failure (the service's own transaction timeout is 15 s by default).
        timeout: 30,
        requests: [
          {
            setupRequest: nextRequest,
            onResponse: (status, body, context) => {
              lastResponse = classify(counters, status, body, context);
            },
          },
        ],
      },
      (error, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({ counters, result, seconds: (performance.now() - started) / 1000 });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (lastResponse) counters.tally(lastResponse.operation).latencies.push(responseTime);
      lastResponse = undefined;
    });
    instance.on('reqError', (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (message === 'request timed out') counters.timeouts += 1;
      else counters.socketErrors += 1;
      counters.example(`request error: ${message}`);
    });
  });
}

/** Each (operation, variables) once, a few at a time: checks the variables and warms Neo4j's query caches. */
async function preflight(
  url: string,
  headers: Record<string, string>,
  operations: readonly Operation[],
  mode: 'every-variant' | 'first-variant',
): Promise<{ requests: number; failures: string[] }> {
  const work = operations.flatMap((operation) =>
    (mode === 'every-variant' ? operation.variables : operation.variables.slice(0, 1)).map((variables) => ({
      operation,
      variables,
    })),
  );
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const { operation, variables } = work[next++]!;
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: operation.query, variables }),
      });
      const text = await response.text();
      let errors: unknown;
      try {
        errors = (JSON.parse(text) as GraphQLBody).errors;
      } catch {
        errors = `unreadable body ${text.slice(0, 200)}`;
      }
      if (response.status !== 200 || errors !== undefined) {
        failures.push(
          `${operation.name} ${JSON.stringify(variables)}: HTTP ${response.status} ${JSON.stringify(errors).slice(0, 300)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { requests: work.length, failures };
}

/** The same load for a while, drained and collected: the memory after it is the baseline. */
async function warmUp(
  plan: LoadPlan,
  settings: RunSettings,
  drain: Drain,
  gc: GarbageCollector,
): Promise<{ warmup: LoadPhase; baseline: MemorySample }> {
  settings.log(`warm-up: ${settings.warmupSeconds} s at ${settings.connections} connections`);
  const warmup = await runPhase(plan, settings.warmupSeconds);
  await drain();
  const baseline = await collectedMemory(gc);
  settings.log(`baseline after warm-up and gc: heapUsed ${baseline.heapUsedMb} MB, RSS ${baseline.rssMb} MB`);
  return { warmup, baseline };
}

/** The measured run, with the peak memory during it and the machine's load average before and after; drained. */
async function measuredRun(
  plan: LoadPlan,
  settings: RunSettings,
  drain: Drain,
): Promise<{
  phase: LoadPhase;
  peak: MemorySample;
  loadAverage: LoadTestResult['settings']['loadAverage'];
  server: LoadTestResult['server'];
}> {
  const before = round1(os.loadavg()[0]!);
  settings.log(`load: ${settings.durationSeconds} s at ${settings.connections} connections`);
  const { value: phase, peak } = await withPeakMemory(() => runPhase(plan, settings.durationSeconds));
  const after = round1(os.loadavg()[0]!);
  const server = await drain();
  return { phase, peak, loadAverage: { before, after }, server };
}

/** Lets the process settle after the run, then collects and samples memory. */
async function memoryAfterSettling(settings: RunSettings, gc: GarbageCollector): Promise<MemorySample> {
  settings.log(`settling ${settings.settleSeconds} s, then gc`);
  await sleep(settings.settleSeconds * 1000);
  return collectedMemory(gc);
}

/**
 * The latency figures of a phase, overall, by category and by operation. The samples go once summarised, so they
 * are not part of the memory measured after the run.
 */
function latencyFigures(
  counters: Counters,
  operations: readonly Operation[],
  seconds: number,
): LoadTestResult['latency'] {
  const allLatencies: number[] = [];
  const categoryLatencies = new Map<Category, number[]>(CATEGORIES.map((c) => [c, []]));
  const categoryUnexpected = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  const categoryOf = new Map<string, Category>([
    ...operations.map((o): [string, Category] => [o.name, o.category]),
    ['importRecords', 'write'],
  ]);
  const byOperation: OperationFigures[] = [];
  for (const [operation, tally] of counters.byOperation) {
    const category = categoryOf.get(operation) ?? 'read';
    allLatencies.push(...tally.latencies);
    categoryLatencies.get(category)!.push(...tally.latencies);
    categoryUnexpected.set(category, categoryUnexpected.get(category)! + tally.unexpected);
    byOperation.push({
      operation,
      category,
      ...summarise(tally.latencies, seconds),
      responses: tally.responses,
      unexpected: tally.unexpected,
    });
    tally.latencies.length = 0;
  }
  byOperation.sort(
    (a, b) =>
      CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) ||
      a.operation.localeCompare(b.operation),
  );
  const overall = summarise(allLatencies, seconds);
  const byCategory = Object.fromEntries(
    CATEGORIES.map((category) => [
      category,
      {
        ...summarise(categoryLatencies.get(category)!, seconds),
        unexpected: categoryUnexpected.get(category)!,
      },
    ]),
  ) as Record<Category, LatencySummary & { unexpected: number }>;
  return { overall, byCategory, byOperation };
}

/** How many of the acknowledged rows are in Neo4j as written: ILLUSTRATIVE and located in their region. */
async function countAcknowledgedRows(
  setup: Executor,
  prefix: string,
  acknowledgedBatches: readonly number[],
): Promise<number> {
  const ids = acknowledgedBatches.flatMap((batch) =>
    Array.from({ length: WRITE_BATCH_ROWS }, (_, index) => rowId(prefix, batch, index)),
  );
  const [found] = await setup.read(
    'load-test-check',
    cypher(
      `MATCH (e:Enterprise) WHERE e.id IN $ids AND e.source = 'ILLUSTRATIVE'
         AND EXISTS { (e)-[:LOCATED_IN]->(:Region) }
       RETURN count(e) AS n`,
      { ids },
    ),
  );
  return Number(found?.['n'] ?? 0);
}

// ---------------------------------------------------------------------------------------------------------------
// The result

function settingsOf(
  settings: RunSettings,
  neo4j: string,
  loadAverage: LoadTestResult['settings']['loadAverage'],
): LoadTestResult['settings'] {
  return {
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    settleSeconds: settings.settleSeconds,
    mix: MIX,
    writeBatchRows: WRITE_BATCH_ROWS,
    neo4j,
    prefix: settings.prefix,
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadAverage,
  };
}

/** The unexpected errors of the measured run, with the examples of the warm-up after its own. */
function unexpectedErrors(counters: Counters, warmupCounters: Counters): UnexpectedErrors {
  return {
    total: counters.unexpected,
    nonSuccessStatus: counters.nonSuccessStatus,
    graphqlErrors: counters.graphqlErrors,
    unreadableBodies: counters.unreadableBodies,
    importsNotWritten: counters.importsNotWritten,
    timeouts: counters.timeouts,
    socketErrors: counters.socketErrors,
    examples: [
      ...[...counters.examples].map(([problem, count]) => ({ problem, count })),
      ...[...warmupCounters.examples].map(([problem, count]) => ({
        problem: `warm-up: ${problem}`,
        count,
      })),
    ],
  };
}

/** Everything that makes the load test fail, in words; none when it passed. */
function failuresOf(outcome: Omit<LoadTestResult, 'passed' | 'failures'>): string[] {
  const { preflight: checked, warmup, unexpected, latency, writes, memory } = outcome;
  const failures: string[] = [];
  if (checked.failures.length > 0) failures.push(`${checked.failures.length} preflight requests failed`);
  if (warmup.unexpected > 0) failures.push(`${warmup.unexpected} unexpected errors during the warm-up`);
  if (unexpected.total > 0) failures.push(`${unexpected.total} unexpected errors`);
  for (const category of CATEGORIES) {
    if (latency.byCategory[category].responses === 0) failures.push(`no ${category} request was answered`);
  }
  if (writes.rowsFound !== writes.rowsAcknowledged) {
    failures.push(`${writes.rowsAcknowledged} rows acknowledged but ${writes.rowsFound} found in Neo4j`);
  }
  if (writes.remainingAfterCleanup > 0) {
    failures.push(`${writes.remainingAfterCleanup} load-test nodes left after cleanup`);
  }
  if (!memory.backToBaseline) {
    failures.push(
      `heapUsed after the run ${memory.after.heapUsedMb} MB is above the tolerance ${memory.heapLimitMb} MB`,
    );
  }
  return failures;
}

/** Writes load-latest.json and load-latest.md into `dir`. */
async function writeResults(dir: string, result: LoadTestResult): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'load-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(path.join(dir, 'load-latest.md'), renderMarkdown(result));
}

/** The whole load test (see the top of this file): throws only on bad options or when something cannot start. */
export async function runLoadTest(options: LoadTestOptions = {}): Promise<LoadTestResult> {
  const settings = validateOptions(options);
  const { prefix, log } = settings;
  const { gc, how } = garbageCollector();
  const keys = generateApiKeys();
  const config = serviceConfig(options, keys);
  const { logger, serverLog } = countingLogger();
  const started: Started = {};
  try {
    const neo4j = await openNeo4j(config, logger, log, started);
    const setup = setupExecutor(neo4j.database, config);
    await seedIfEmpty(setup, log);
    const { app, url } = await startService(config, logger, neo4j.database, log, started);
    const drain = trackRequestsInFlight(app);

    const operations = buildOperations();
    const plan = loadPlan(url, keys, operations, settings);
    log(`preflight (${settings.preflightMode})`);
    const checked = await preflight(url, plan.readHeaders, operations, settings.preflightMode);

    const { warmup, baseline } = await warmUp(plan, settings, drain, gc);
    const run = await measuredRun(plan, settings, drain);
    const { counters } = run.phase;
    const measuredSeconds = run.phase.result.duration || run.phase.seconds;
    // Figures first, then the samples go, so they are not part of the memory measured after the run.
    const latency = latencyFigures(counters, operations, measuredSeconds);
    const after = await memoryAfterSettling(settings, gc);

    // The acknowledged writes must all be in Neo4j, as written.
    const rowsFound = await countAcknowledgedRows(setup, prefix, counters.acknowledgedBatches);
    const cleanup = await cleanUp(setup, prefix);

    const outcome: Omit<LoadTestResult, 'passed' | 'failures'> = {
      date: new Date().toISOString(),
      settings: settingsOf(settings, neo4j.description, run.loadAverage),
      preflight: { mode: settings.preflightMode, ...checked },
      warmup: { responses: warmup.counters.responses, unexpected: warmup.counters.unexpected },
      requests: {
        total: counters.responses,
        perSecond: round1(counters.responses / measuredSeconds),
        seconds: round1(measuredSeconds),
      },
      latency,
      statusCounts: counters.statusCounts,
      errorCodes: counters.errorCodes,
      unexpected: unexpectedErrors(counters, warmup.counters),
      serverLog,
      server: run.server,
      writes: {
        requests: counters.writeRequests,
        acknowledged: counters.acknowledgedBatches.length,
        rowsAcknowledged: counters.rowsAcknowledged,
        rowsFound,
        removedByCleanup: cleanup.removed,
        remainingAfterCleanup: cleanup.remaining,
      },
      memory: memoryVerdict(how, baseline, run.peak, after),
    };
    const failures = failuresOf(outcome);
    const result: LoadTestResult = { ...outcome, passed: failures.length === 0, failures };
    if (options.resultsDir !== undefined) await writeResults(options.resultsDir, result);
    return result;
  } finally {
    // Also on failure: what the load test wrote goes, and everything it started stops.
    await stopEverything(started, config, prefix);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

const count = (counts: Readonly<Record<string, number>>) =>
  Object.keys(counts).length === 0
    ? 'none'
    : Object.entries(counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${key} × ${value.toLocaleString('en')}`)
        .join(', ');

export function renderMarkdown(result: LoadTestResult): string {
  const { settings, latency, memory, writes, unexpected } = result;
  const row = (name: string, figures: LatencySummary, unexpectedCount: number) =>
    `| ${name} | ${figures.responses.toLocaleString('en')} | ${figures.perSecond} | ${figures.p50} | ${figures.p97_5} | ${figures.p99} | ${figures.max} | ${unexpectedCount} |`;
  return [
    `# Load test — ${result.date}`,
    '',
    `${settings.connections} concurrent clients on loopback for ${settings.durationSeconds} s (after a ${settings.warmupSeconds} s warm-up), ` +
      `mix: reads ${settings.mix.read}% / analytics ${settings.mix.analytics}% / writes ${settings.mix.write}% ` +
      `(importRecords of ${settings.writeBatchRows} ILLUSTRATIVE enterprises under '${settings.prefix}'). ` +
      `Neo4j: ${settings.neo4j}. Machine: ${settings.machine}, load average ${settings.loadAverage.before} before the run and ${settings.loadAverage.after} after.`,
    '',
    `**Requests: ${result.requests.total.toLocaleString('en')} in ${result.requests.seconds} s = ${result.requests.perSecond} req/s.** ` +
      `Preflight: ${result.preflight.requests} requests (operations × variables), ${result.preflight.failures.length} failed. ` +
      `Warm-up: ${result.warmup.responses.toLocaleString('en')} responses, ${result.warmup.unexpected} unexpected.`,
    '',
    'Latency in ms, from request to complete response, of every response received; requests still running when the ' +
      'clients stopped are not in them (see "Server" below):',
    '',
    '| requests | responses | req/s | p50 | p97.5 | p99 | max | unexpected |',
    '|---|---|---|---|---|---|---|---|',
    row('**all**', latency.overall, unexpected.total),
    ...CATEGORIES.map((category) =>
      row(`**${category}**`, latency.byCategory[category], latency.byCategory[category].unexpected),
    ),
    ...latency.byOperation.map((op) => row(`${op.category}: ${op.operation}`, op, op.unexpected)),
    '',
    `Status codes: ${count(result.statusCounts)}.`,
    `GraphQL error codes: ${count(result.errorCodes)}.`,
    `**Unexpected errors: ${unexpected.total}** (non-2xx ${unexpected.nonSuccessStatus}, bodies with errors ${unexpected.graphqlErrors}, ` +
      `unreadable bodies ${unexpected.unreadableBodies}, imports not written ${unexpected.importsNotWritten}, ` +
      `timeouts ${unexpected.timeouts}, socket errors ${unexpected.socketErrors}).`,
    ...unexpected.examples.map((example) => `- ${example.problem} (× ${example.count})`),
    ...result.preflight.failures.slice(0, 10).map((failure) => `- preflight: ${failure}`),
    `Server log: ${result.serverLog.errors} errors, ${result.serverLog.warnings} warnings.`,
    ...result.serverLog.examples.map((example) => `- ${example}`),
    `Server: ${result.server.inFlightAtStop} requests still running when the clients stopped, all finished after ${result.server.drainMs} ms.`,
    '',
    `Writes: ${writes.requests.toLocaleString('en')} importRecords issued (${(writes.requests - latency.byCategory.write.responses).toLocaleString('en')} cut off when the clients stopped), ` +
      `**${writes.acknowledged.toLocaleString('en')} acknowledged** ` +
      `(${writes.rowsAcknowledged.toLocaleString('en')} enterprises), ${writes.rowsFound.toLocaleString('en')} of them found in Neo4j; ` +
      `cleanup removed ${writes.removedByCleanup.toLocaleString('en')} nodes, ${writes.remainingAfterCleanup} left.`,
    '',
    `Memory of this process (the service and the load generator; gc ${memory.gc}):`,
    '',
    '| | heapUsed MB | RSS MB |',
    '|---|---|---|',
    `| baseline (after warm-up, gc) | ${memory.baseline.heapUsedMb} | ${memory.baseline.rssMb} |`,
    `| peak during the run | ${memory.peak.heapUsedMb} | ${memory.peak.rssMb} |`,
    `| after the run (drained, settled ${settings.settleSeconds} s, gc) | ${memory.after.heapUsedMb} | ${memory.after.rssMb} |`,
    '',
    `Tolerance: ${memory.tolerance} = ${memory.heapLimitMb} MB → **${memory.backToBaseline ? 'back to baseline' : 'NOT back to baseline'}**.`,
    '',
    result.passed ? '**PASS**' : `**FAIL**: ${result.failures.join('; ')}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '30' },
      connections: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '5' },
      // The hostile mix of issue 11 (bench/hostile.ts): the worst requests the limits allow, cheap ones and /health.
      hostile: { type: 'boolean', default: false },
    },
  });
  const started = Date.now();
  const log = (message: string) =>
    process.stderr.write(`[load +${Math.round((Date.now() - started) / 1000)}s] ${message}\n`);
  const durationSeconds = Number(values.duration);
  if (!(durationSeconds > 0 && durationSeconds <= MAX_DURATION_SECONDS)) {
    process.stderr.write(`--duration must be more than 0 and at most ${MAX_DURATION_SECONDS} seconds\n`);
    process.exitCode = 2;
    return;
  }
  if (values.hostile) {
    const hostile = await runHostileLoad({
      durationSeconds,
      connections: Number(values.connections),
      resultsDir: path.resolve(import.meta.dirname, 'results'),
      log,
    });
    process.stdout.write(renderHostileMarkdown(hostile));
    return;
  }
  const result = await runLoadTest({
    durationSeconds,
    connections: Number(values.connections),
    warmupSeconds: Number(values.warmup),
    resultsDir: path.resolve(import.meta.dirname, 'results'),
    log,
  });
  process.stdout.write(renderMarkdown(result));
  log(`whole run ${Math.round((Date.now() - started) / 1000)} s`);
  process.exitCode = result.passed ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `load test failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
