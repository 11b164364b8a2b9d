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
import { loadConfig } from '../src/config.js';
import { cypher } from '../src/data/cypher.js';
import { Executor } from '../src/data/executor.js';
import { createHttpApp, type HttpApp } from '../src/http/app.js';
import { QUERIES_DIR } from '../src/http/explorer.js';
import { SEEDS_DIR, isDatabaseEmpty, loadSeeds } from '../src/seed/load.js';
import { openDatabase, type Database } from '../src/service.js';

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
      query: savedOperation(`gap-report-${chain}`),
      variables: spread(product(analysedRegions, [null, ['PLAN', 'PUBLIC']]), 4).map(
        ([regionId, sources]) => ({
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

/** The CSV of one write: a small batch of new ILLUSTRATIVE enterprises under the prefix (all rows valid). */
function importContent(prefix: string, batch: number): string {
  const regions = ['sjz-luquan', 'sjz-gaoxin', 'sjz-zhengding', 'shijiazhuang'];
  const sizes = ['SMALL', 'MICRO', 'MEDIUM'];
  const rows = Array.from({ length: WRITE_BATCH_ROWS }, (_, index) =>
    [
      `${prefix}-${batch}-${index}`,
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

function percentile(sorted: readonly number[], quantile: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)]!;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

function summarise(latencies: readonly number[], seconds: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
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

// ---------------------------------------------------------------------------------------------------------------
// The run

interface LoadPhase {
  readonly counters: Counters;
  readonly result: autocannon.Result;
  readonly seconds: number;
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

export async function runLoadTest(options: LoadTestOptions = {}): Promise<LoadTestResult> {
  const durationSeconds = options.durationSeconds ?? 30;
  const connections = options.connections ?? 50;
  const warmupSeconds = options.warmupSeconds ?? 5;
  const settleSeconds = options.settleSeconds ?? 3;
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
  const log = options.log ?? (() => {});
  const { gc, how } = garbageCollector();

  const editorKey = randomBytes(24).toString('hex');
  const viewerKey = randomBytes(24).toString('hex');
  const env = options.env ?? process.env;
  const config = loadConfig({
    ...env,
    ...(options.neo4jUri ? { NEO4J_URI: options.neo4jUri } : {}),
    HOST: '127.0.0.1',
    PORT: '0',
    API_KEYS: `load-editor:editor:${hashKey(editorKey)},load-viewer:viewer:${hashKey(viewerKey)}`,
    // Every read presents the viewer key, so authentication is on the path of every request.
    READ_ACCESS: 'key',
  });

  // Errors and warnings the service logs (for example the originals of masked errors) are counted and kept.
  const serverLog = { errors: 0, warnings: 0, examples: [] as string[] };
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

  let storeDir: string | undefined;
  let database: Database | undefined;
  let app: HttpApp | undefined;
  try {
    let neo4jDescription: string;
    if (config.neo4j.uri === undefined) {
      storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-load-neo4j-'));
      log(`starting a throwaway local Neo4j in ${storeDir}`);
      database = await openDatabase(
        { ...config, localNeo4j: { ...config.localNeo4j, dataDir: storeDir, port: 0 } },
        logger,
      );
      neo4jDescription = `local Neo4j 5.26, throwaway store`;
    } else {
      log(`using the Neo4j at ${config.neo4j.uri}`);
      database = await openDatabase(config, logger);
      neo4jDescription = config.neo4j.uri;
    }
    // Seeding, checking and cleaning up are not what is measured: they get a generous transaction timeout.
    const setup = new Executor(database.driver, {
      database: config.neo4j.database,
      txTimeoutMs: 120_000,
      appName: 'chain-kg-load-test',
    });
    if (await isDatabaseEmpty(setup)) {
      log('loading the seed data');
      await loadSeeds(setup);
    }
    const readiness = { migrationsApplied: true };
    app = await createHttpApp({ config, logger, executor: database.executor, readiness });
    const url = `${await app.listen()}/graphql`;
    log(`service listening at ${url}`);

    // Requests the server is handling: a response is done once `end()` was called, even when the client left.
    const inFlight = new Set<ServerResponse>();
    app.httpServer.on('request', (_request, response: ServerResponse) => {
      inFlight.add(response);
      response.once('finish', () => inFlight.delete(response));
    });
    const drain = async (): Promise<{ inFlightAtStop: number; drainMs: number }> => {
      const started = Date.now();
      const pending = () => [...inFlight].filter((response) => !response.writableEnded).length;
      const inFlightAtStop = pending();
      while (pending() > 0 && Date.now() - started < 120_000) await sleep(50);
      if (pending() > 0) throw new Error(`${pending()} requests still running 120 s after the load stopped`);
      inFlight.clear();
      return { inFlightAtStop, drainMs: Date.now() - started };
    };

    const operations = buildOperations();
    const readHeaders = { 'content-type': 'application/json', authorization: `Bearer ${viewerKey}` };
    const writeHeaders = { 'content-type': 'application/json', authorization: `Bearer ${editorKey}` };
    const byCategory = new Map(
      CATEGORIES.map((category) => [category, operations.filter((o) => o.category === category)]),
    );
    const schedule = categorySchedule();
    let batchCounter = 0;

    const preflightMode = options.preflight ?? 'every-variant';
    log(`preflight (${preflightMode})`);
    const checked = await preflight(url, readHeaders, operations, preflightMode);

    /** Runs the mix with autocannon for `seconds`. */
    const loadPhase = (seconds: number): Promise<LoadPhase> => {
      const counters = new Counters();
      let slot = 0;
      const turns = new Map<string, number>();
      // autocannon calls the request's onResponse, then emits 'response' with the latency, synchronously and for
      // the same client: the first hands the operation to the second through this variable.
      let lastResponse: { operation: string } | undefined;
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const instance = autocannon(
          {
            url,
            method: 'POST',
            connections,
            duration: seconds,
            // A request slower than this is a failure (the service's own transaction timeout is 15 s by default).
            timeout: 30,
            requests: [
              {
                setupRequest: (request, rawContext) => {
                  const context = rawContext as RequestContext;
                  const category = schedule[slot++ % schedule.length]!;
                  if (category === 'write') {
                    const batch = batchCounter++;
                    counters.writeRequests += 1;
                    Object.assign(context, { operation: 'importRecords', category, batch });
                    return {
                      ...request,
                      headers: { ...writeHeaders },
                      body: JSON.stringify({
                        query: IMPORT_MUTATION,
                        variables: { content: importContent(prefix, batch) },
                      }),
                    };
                  }
                  const pool = byCategory.get(category)!;
                  const turn = turns.get(category) ?? 0;
                  turns.set(category, turn + 1);
                  const operation = pool[turn % pool.length]!;
                  const variantTurn = Math.floor(turn / pool.length);
                  const variables = operation.variables[variantTurn % operation.variables.length];
                  Object.assign(context, { operation: operation.name, category });
                  return {
                    ...request,
                    headers: { ...readHeaders },
                    body: JSON.stringify({ query: operation.query, variables }),
                  };
                },
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
    };

    log(`warm-up: ${warmupSeconds} s at ${connections} connections`);
    const warmup = await loadPhase(warmupSeconds);
    await drain();
    const baseline = await collectedMemory(gc);
    log(`baseline after warm-up and gc: heapUsed ${baseline.heapUsedMb} MB, RSS ${baseline.rssMb} MB`);

    const loadBefore = round1(os.loadavg()[0]!);
    log(`load: ${durationSeconds} s at ${connections} connections`);
    let peak = sampleMemory();
    const sampler = setInterval(() => {
      const now = sampleMemory();
      peak = {
        heapUsedMb: Math.max(peak.heapUsedMb, now.heapUsedMb),
        rssMb: Math.max(peak.rssMb, now.rssMb),
      };
    }, 250);
    let phase: LoadPhase;
    try {
      phase = await loadPhase(durationSeconds);
    } finally {
      clearInterval(sampler);
    }
    const loadAfter = round1(os.loadavg()[0]!);
    const server = await drain();
    const { counters } = phase;

    // Figures first, then the samples go, so they are not part of the memory measured after the run.
    const measured = phase.result.duration || phase.seconds;
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
        ...summarise(tally.latencies, measured),
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
    const overall = summarise(allLatencies, measured);
    const latencyByCategory = Object.fromEntries(
      CATEGORIES.map((category) => [
        category,
        {
          ...summarise(categoryLatencies.get(category)!, measured),
          unexpected: categoryUnexpected.get(category)!,
        },
      ]),
    ) as Record<Category, LatencySummary & { unexpected: number }>;
    allLatencies.length = 0;
    categoryLatencies.clear();

    log(`settling ${settleSeconds} s, then gc`);
    await sleep(settleSeconds * 1000);
    const after = await collectedMemory(gc);
    const limit = round1(baseline.heapUsedMb * HEAP_TOLERANCE.factor + HEAP_TOLERANCE.extraMb);
    const backToBaseline = after.heapUsedMb <= limit;

    // The acknowledged writes must all be in Neo4j, as written.
    const ids = counters.acknowledgedBatches.flatMap((batch) =>
      Array.from({ length: WRITE_BATCH_ROWS }, (_, index) => `${prefix}-${batch}-${index}`),
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
    const rowsFound = Number(found?.['n'] ?? 0);
    const cleanup = await cleanUp(setup, prefix);

    const unexpectedWarmup = warmup.counters.unexpected;
    const unexpected: UnexpectedErrors = {
      total: counters.unexpected,
      nonSuccessStatus: counters.nonSuccessStatus,
      graphqlErrors: counters.graphqlErrors,
      unreadableBodies: counters.unreadableBodies,
      importsNotWritten: counters.importsNotWritten,
      timeouts: counters.timeouts,
      socketErrors: counters.socketErrors,
      examples: [
        ...[...counters.examples].map(([problem, count]) => ({ problem, count })),
        ...[...warmup.counters.examples].map(([problem, count]) => ({
          problem: `warm-up: ${problem}`,
          count,
        })),
      ],
    };
    const failures: string[] = [];
    if (checked.failures.length > 0) failures.push(`${checked.failures.length} preflight requests failed`);
    if (unexpectedWarmup > 0) failures.push(`${unexpectedWarmup} unexpected errors during the warm-up`);
    if (unexpected.total > 0) failures.push(`${unexpected.total} unexpected errors`);
    for (const category of CATEGORIES) {
      if (latencyByCategory[category].responses === 0) failures.push(`no ${category} request was answered`);
    }
    if (rowsFound !== counters.rowsAcknowledged) {
      failures.push(`${counters.rowsAcknowledged} rows acknowledged but ${rowsFound} found in Neo4j`);
    }
    if (cleanup.remaining > 0) failures.push(`${cleanup.remaining} load-test nodes left after cleanup`);
    if (!backToBaseline) {
      failures.push(`heapUsed after the run ${after.heapUsedMb} MB is above the tolerance ${limit} MB`);
    }

    const result: LoadTestResult = {
      date: new Date().toISOString(),
      settings: {
        connections,
        durationSeconds,
        warmupSeconds,
        settleSeconds,
        mix: MIX,
        writeBatchRows: WRITE_BATCH_ROWS,
        neo4j: neo4jDescription,
        prefix,
        machine: `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
        loadAverage: { before: loadBefore, after: loadAfter },
      },
      preflight: { mode: preflightMode, ...checked },
      warmup: { responses: warmup.counters.responses, unexpected: unexpectedWarmup },
      requests: {
        total: counters.responses,
        perSecond: round1(counters.responses / measured),
        seconds: round1(measured),
      },
      latency: { overall, byCategory: latencyByCategory, byOperation },
      statusCounts: counters.statusCounts,
      errorCodes: counters.errorCodes,
      unexpected,
      serverLog,
      server,
      writes: {
        requests: counters.writeRequests,
        acknowledged: counters.acknowledgedBatches.length,
        rowsAcknowledged: counters.rowsAcknowledged,
        rowsFound,
        removedByCleanup: cleanup.removed,
        remainingAfterCleanup: cleanup.remaining,
      },
      memory: {
        gc: how,
        baseline,
        peak,
        after,
        heapLimitMb: limit,
        tolerance: `heapUsed after ≤ baseline × ${HEAP_TOLERANCE.factor} + ${HEAP_TOLERANCE.extraMb} MB`,
        backToBaseline,
      },
      passed: failures.length === 0,
      failures,
    };
    if (options.resultsDir !== undefined) {
      await mkdir(options.resultsDir, { recursive: true });
      await writeFile(
        path.join(options.resultsDir, 'load-latest.json'),
        `${JSON.stringify(result, null, 2)}\n`,
      );
      await writeFile(path.join(options.resultsDir, 'load-latest.md'), renderMarkdown(result));
    }
    return result;
  } finally {
    // Also on failure: what the load test wrote goes, and everything it started stops.
    if (app && database) {
      const executor = new Executor(database.driver, {
        database: config.neo4j.database,
        txTimeoutMs: 120_000,
        appName: 'chain-kg-load-test',
      });
      await cleanUp(executor, prefix).catch(() => undefined);
    }
    await app?.close().catch(() => undefined);
    await database?.close();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  }
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
