import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

import autocannon from 'autocannon';
import type { Driver } from 'neo4j-driver';

import { loadConfig, type Config } from '../src/config.js';
import { cypher, type CypherQuery } from '../src/data/cypher.js';
import { startArguments } from '../src/cli/startArguments.js';
import { connectDriver } from '../src/data/driver.js';
import { Executor } from '../src/data/executor.js';
import { applyMigrations } from '../src/data/migrations.js';
import { generateGraph, random } from '../src/generate/generator.js';
import { AggregateRefresher } from '../src/analytics/refresher.js';
import { createApolloServer } from '../src/graphql/apollo.js';
import { createLogger, type Logger } from '../src/logger.js';
import { startLocalNeo4j, type LocalNeo4jHandle } from '../src/neo4j/localNeo4j.js';
import { isDatabaseEmpty, loadSeeds } from '../src/seed/load.js';
import { IMPORTED_ID_PREFIX, runEnterpriseImport } from './importCommand.js';
import { lossFirmCityQuery } from './inProcess.js';
import { ascending, percentile, round1 } from './stats.js';

/**
 * `npm run bench`: for each size in BENCH_ENTERPRISES (smallest first), builds (or reuses) a generated graph of
 * that many enterprises in its own local Neo4j, measures `npm run import`, waits until the analytics aggregates are
 * settled, and measures, with concurrent clients over HTTP on loopback, the latency and throughput of the
 * service's main operations; the same Cypher run straight through the driver (the floor); the Neo4j GraphQL
 * Library on the operations it can express; the server's peak memory. Then compares the sizes and checks the
 * goals of issues 12 and 17. Writes bench/results/latest.json and latest.md (BENCH_OUTPUT names another stem).
 *
 * Settings (environment): BENCH_ENTERPRISES, BENCH_SEED, BENCH_SECONDS (one round of one contender, default 2),
 * BENCH_ROUNDS (default 6), BENCH_CONNECTIONS, BENCH_DATA_DIR, BENCH_IMPORT_ROWS (0 skips the import),
 * BENCH_IMPORT_PASSES (default 5: the import is run and removed at least this many times, the first on a Neo4j just
 * started, and up to three more while the JVM still compiles),
 * BENCH_PAGECACHE_MB (Neo4j's page cache; by default sized to the store, see pageCacheMbFor),
 * BENCH_LIBRARY, BENCH_SETTLE_TIMEOUT_S, BENCH_FRESH, BENCH_OPERATIONS (comma-separated operation names; all when
 * unset), BENCH_OUTPUT (the result files' stem), BENCH_CPU_PROF (a directory: our service runs under
 * `node --cpu-prof` and writes its profile there; bench/profileSummary.ts sums it up).
 *
 * One store per size (`<BENCH_DATA_DIR>-<size>`), not one store grown from size to size: the generator draws every
 * supply link after all enterprises, from a random stream and per-segment samplers that depend on the size, so
 * generating 1,000,000 over 200,000 keeps the first 200,000 enterprises exactly but would leave the 200,000-graph's
 * supply links beside the 1,000,000-graph's — a graph no fresh generation gives. A store per size is exact and is
 * reused by the next run.
 */

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * How many times the import is measured (each pass removed before the next) unless BENCH_IMPORT_PASSES says: until
 * the JVM has compiled Neo4j's write paths. On a million-firm store just started, `jstat -compiler` counted 13.6 s of
 * JIT compilation during the first pass (4,431/s), 6.1 s during the second (8,415/s), 4.4 s during the third
 * (9,942/s) and 1.8 s during the fourth (11,439/s): three passes stopped while the JVM was still compiling, on two
 * cores shared by its compiler threads, its workers and the importing Node process. The last pass is the figure a
 * running service's Neo4j gives; every pass is reported, with the compilation during it (jitSeconds).
 */
const IMPORT_PASSES = 5;
/**
 * Passes added after IMPORT_PASSES (or BENCH_IMPORT_PASSES) while the JVM still compiled at least
 * STILL_COMPILING_SECONDS during the last one: in session 25 the fifth pass still saw 2.3 s (200,000) and 1.6 s
 * (1,000,000) of compilation, so its figure was not yet the warmed one the last pass stands for.
 */
const EXTRA_IMPORT_PASSES = 3;
const STILL_COMPILING_SECONDS = 1;

function readSettings(env: NodeJS.ProcessEnv) {
  const whole = (name: string, fallback: number, min = 1): number => {
    const text = env[name]?.replaceAll('_', '') ?? '';
    const value = text === '' ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`${name} must be a whole number of at least ${min}, not '${env[name]}'`);
    return value;
  };
  const sizesText = env['BENCH_ENTERPRISES'] ?? '200000,1000000';
  const sizes = sizesText
    .split(',')
    .map((part) => part.trim().replaceAll('_', ''))
    .filter((part) => part !== '')
    .map(Number);
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new Error(
      `BENCH_ENTERPRISES must be a comma-separated list of enterprise counts (e.g. 200000,1000000), not '${sizesText}'`,
    );
  }
  const library = env['BENCH_LIBRARY'] ?? 'first';
  if (library !== 'first' && library !== 'all' && library !== 'none')
    throw new Error(`BENCH_LIBRARY must be first, all or none, not '${library}'`);
  const operations = (env['BENCH_OPERATIONS'] ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const output = env['BENCH_OUTPUT'] ?? 'latest';
  if (!/^[A-Za-z0-9._-]+$/.test(output))
    throw new Error(`BENCH_OUTPUT must be a file name stem (letters, digits, . _ -), not '${output}'`);
  return {
    /** Ascending: the ratios compare the largest size with the smallest. */
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    seed: whole('BENCH_SEED', 42, 0),
    /**
     * Seconds of one round of one contender. The contenders (ours, direct Cypher, @neo4j/graphql) take turns,
     * round after round, so that what else the machine does at the time falls on all of them alike.
     */
    seconds: whole('BENCH_SECONDS', 2),
    rounds: whole('BENCH_ROUNDS', 6),
    connections: whole('BENCH_CONNECTIONS', 10),
    dataDir: env['BENCH_DATA_DIR'] ?? '.data/bench-neo4j',
    /** 0 skips the import measurement (and the aggregate refresh it causes), e.g. to profile the reads. */
    importRows: whole('BENCH_IMPORT_ROWS', 50_000, 0),
    importPasses: whole('BENCH_IMPORT_PASSES', IMPORT_PASSES, 1),
    /** Only the operations of these names (all when empty). */
    operations,
    /** bench/results/<output>.md and .json. */
    output,
    /** Runs our service under `node --cpu-prof`, writing its profile into this directory (none when empty). */
    cpuProfileDir: env['BENCH_CPU_PROF'] ?? '',
    /** At which sizes to measure the Neo4j GraphQL Library too (it only does the cheap reads; at 1M it adds minutes). */
    library,
    /** How long to wait for the analytics aggregates to settle after generation (and for the service to start). */
    settleTimeoutSeconds: whole('BENCH_SETTLE_TIMEOUT_S', 1800),
    /** Drop the stores and generate afresh. */
    fresh: env['BENCH_FRESH'] === '1',
    /** Neo4j's page cache in MiB; 0 (the default) sizes it to the store (pageCacheMbFor). */
    pageCacheMb: whole('BENCH_PAGECACHE_MB', 0, 0),
  };
}

const settings = readSettings(process.env);
const prefix = `gen-${settings.seed}-e-`;
/** What the goals of issue 12 are about. */
const ANALYTICS_GOAL = { p95: 100, growth: 1.5, importPerSecond: 10_000 } as const;

const benchStarted = Date.now();
const elapsed = () => {
  const seconds = Math.round((Date.now() - benchStarted) / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
};
const log = (message: string) => process.stderr.write(`[bench +${elapsed()}] ${message}\n`);
const count = (value: number) => value.toLocaleString('en');

interface Latencies {
  readonly requests: number;
  readonly errors: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /**
   * Requests still in flight when the measurement ended (HTTP only). Every client has one in flight at the end, so
   * they are not errors; but when no request finished at all they are what the operation did (see `render`).
   */
  readonly unfinished: number;
}

/** One round of one contender: its latency samples (ms), what failed, and how long it lasted (s). */
interface Round {
  readonly samples: readonly number[];
  readonly errors: number;
  readonly unfinished: number;
  readonly seconds: number;
}

/** The figures of several rounds of one contender, their samples pooled. */
function pool(rounds: readonly Round[]): Latencies {
  return summarise(
    rounds.flatMap((round) => round.samples),
    rounds.reduce((sum, round) => sum + round.errors, 0),
    rounds.reduce((sum, round) => sum + round.seconds, 0),
    rounds.reduce((sum, round) => sum + round.unfinished, 0),
  );
}

function summarise(samples: readonly number[], errors: number, seconds: number, unfinished = 0): Latencies {
  const sorted = ascending(samples);
  return {
    requests: sorted.length,
    errors,
    unfinished,
    throughput: round1(sorted.length / seconds),
    p50: round1(percentile(sorted, 0.5)),
    p95: round1(percentile(sorted, 0.95)),
    p99: round1(percentile(sorted, 0.99)),
  };
}

/**
 * Load over HTTP: `connections` clients for `seconds`, each request with the next variables in turn. A response
 * with GraphQL `errors` (a TIMEOUT comes back as HTTP 200) is an error, not a sample.
 */
async function httpLoad(
  url: string,
  query: string,
  variables: readonly Record<string, unknown>[],
  seconds: number,
): Promise<Round> {
  const samples: number[] = [];
  let errors = 0;
  let index = 0;
  let responses = 0;
  // autocannon calls onResponse and then emits 'response' for the same reply, synchronously, so one flag carries.
  let lastHadErrors = false;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: settings.connections,
        duration: seconds,
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
            onResponse: (_status, body) => {
              lastHadErrors = body.includes('"errors":');
            },
          },
        ],
      },
      (error, finished) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(finished),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      responses += 1;
      if (statusCode >= 200 && statusCode < 300 && !lastHadErrors) samples.push(responseTime);
      else errors += 1;
    });
  });
  // `index` counts the requests built, and autocannon builds one only to send it.
  return {
    samples,
    errors: errors + result.errors + result.timeouts,
    unfinished: index - responses,
    seconds,
  };
}

/** What the unmeasured warm-up of an operation saw (warmUp, then warmUnderLoad). */
interface WarmUp {
  readonly requests: number;
  /** The slowest warm-up request, and the slowest of its second pass (ms). */
  readonly slowestMs: number;
  readonly slowestSecondPassMs: number;
  /** The mean request of the second pass (ms): what a request costs alone once warm (roundSecondsFor). */
  readonly meanSecondPassMs: number;
  /**
   * Seconds Neo4j's JVM spent compiling (JIT, jstat) during each unmeasured stretch of load that followed
   * (warmUnderLoad), first to last; null where jstat could not tell. Empty before the stretches ran.
   */
  readonly loadJitSeconds: readonly (number | null)[];
}

/**
 * Sends each variable set to the service twice, one request at a time, before an operation's rounds, unmeasured.
 * Neo4j plans a statement text (with its parameter types) the first time it sees it and caches the plan: EXPLAIN of
 * a new text of the analytics' larger statements took 50–160 ms (gap facts) and 190–280 ms (a scenario's counts) at
 * 200,000 firms. The service's first request of a kind also reads the structures it then keeps (the region and
 * segment trees: 0.4 s at 1,000,000 firms), and sends other statement texts once it holds them. The capture above
 * runs in this process, with its own caches, so it warms neither the service's caches nor the texts the service
 * sends once warm: without this pass, the first requests of the rounds paid for both, and the requests queued
 * behind them in the analytics admission lane waited as long. The slowest warm-up requests are reported, so the
 * cost of a cold start stays visible.
 */
async function warmUp(
  url: string,
  query: string,
  variables: readonly Record<string, unknown>[],
): Promise<WarmUp> {
  const slowest = [0, 0];
  let secondPassMs = 0;
  for (const pass of [0, 1]) {
    for (const variableSet of variables) {
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables: variableSet }),
      });
      await response.arrayBuffer();
      const took = performance.now() - started;
      slowest[pass] = Math.max(slowest[pass]!, took);
      if (pass === 1) secondPassMs += took;
    }
  }
  return {
    requests: 2 * variables.length,
    slowestMs: round1(Math.max(slowest[0]!, slowest[1]!)),
    slowestSecondPassMs: round1(slowest[1]!),
    meanSecondPassMs: round1(secondPassMs / Math.max(1, variables.length)),
    loadJitSeconds: [],
  };
}

/** The most unmeasured stretches of load warmUnderLoad runs before the rounds, however much the JVM still compiles. */
const MAX_LOAD_WARM_UPS = 8;
/** Stretches of load warmUnderLoad runs when jstat cannot tell how much the JVM compiles. */
const BLIND_LOAD_WARM_UPS = 3;

/**
 * Unmeasured stretches of load (the rounds' clients and length) after warmUp's serial passes, until Neo4j's JVM
 * compiles less than STILL_COMPILING_SECONDS during one (at most MAX_LOAD_WARM_UPS; BLIND_LOAD_WARM_UPS when jstat
 * cannot tell). The serial passes plan the statements, but the JVM compiles the code that runs them only once it is
 * hot: on a Neo4j just started (200,000 firms, session 46), targetFirms' first rounds saw 6.4 s and 4.9 s of JIT
 * compilation on the machine's two cores, and a p95 of 642 and 654 ms; from the sixth round on, under 0.2 s and
 * 287–359 ms. Pooled, the first rounds made the figure one of a service starting rather than of one running, and
 * how far the JVM had got differed from operation to operation and from size to size (an operation's statements
 * compile anew, but much of Neo4j's code is shared with the operations before it). As for the import's passes
 * (IMPORT_PASSES), the figure is the warmed one; the JIT seconds of every stretch and of the measured rounds are
 * reported, so that the cost of a cold start stays visible.
 */
async function warmUnderLoad(
  jitNow: () => number | null,
  url: string,
  query: string,
  variables: readonly Record<string, unknown>[],
  seconds: number,
): Promise<(number | null)[]> {
  const compiled: (number | null)[] = [];
  for (let stretch = 1; stretch <= MAX_LOAD_WARM_UPS; stretch += 1) {
    const before = jitNow();
    await httpLoad(url, query, variables, seconds);
    const after = jitNow();
    const during = before === null || after === null ? null : round1(after - before);
    compiled.push(during);
    if (during === null ? stretch >= BLIND_LOAD_WARM_UPS : during < STILL_COMPILING_SECONDS) break;
  }
  return compiled;
}

/** The longest round an operation gets (roundSecondsFor), so that a very slow one cannot hold the run for long. */
const MAX_ROUND_SECONDS = 30;
/** A round lasts at least this many times the clients' requests at a warm request's mean time (roundSecondsFor). */
const ROUND_QUEUE_FACTOR = 4;

/**
 * How long each round of an operation lasts: BENCH_SECONDS, or longer for an operation whose requests take a
 * sizeable part of that under load. autocannon drops the requests still in flight when a round ends, so a round
 * only measures the requests that finish within it: with 10 clients in an admission lane that serves one request
 * at a time, a request waits for about nine others, and at 2 s rounds the slowest operation (targetFirms at
 * 1,000,000 firms, some 220 ms a request alone) finished few requests a round and its p95 was only a lower bound.
 * A round of at least four times the clients' requests at a warm request's mean time (the second warm-up pass)
 * leaves room for the queue, so the percentiles cover what the clients saw; `censored` still flags a round that fell
 * short. The mean, not the slowest: the second pass is the first to send the statement texts the service uses once
 * it holds its structures, so one of its requests waits for Neo4j to plan them (232–736 ms for chainGaps and the
 * two losses in the session-15 run; 150 s of serial chainGaps requests afterwards had none over 60 ms), and the
 * slowest gave chainGaps, 10 ms a request, 9 s rounds. That request still raises the mean, so a round may be longer
 * than it needs to be, which costs only time.
 */
function roundSecondsFor(warm: WarmUp): number {
  const queued = (ROUND_QUEUE_FACTOR * settings.connections * warm.meanSecondPassMs) / 1000;
  return Math.max(settings.seconds, Math.min(MAX_ROUND_SECONDS, Math.ceil(queued)));
}

interface Statement {
  readonly mode: 'READ' | 'WRITE';
  readonly query: CypherQuery;
}

/** A request's deadline for the direct statements and the capture, so a slow statement cannot hold the run. */
const statementTimeoutMs = () => Math.max(30_000, settings.seconds * 3000);

/** The floor: the same statements through the driver, `connections` workers for `seconds`. */
async function directLoad(
  executor: Executor,
  statementSets: readonly Statement[][],
  seconds: number,
): Promise<Round> {
  const samples: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  let index = 0;
  await Promise.all(
    Array.from({ length: settings.connections }, async () => {
      while (Date.now() < deadline) {
        const statements = statementSets[index++ % statementSets.length]!;
        const view = executor.forRequest('bench-direct', undefined, { timeoutMs: statementTimeoutMs() });
        const started = performance.now();
        try {
          for (const { mode, query } of statements) {
            if (mode === 'READ') await view.read('bench-direct', query);
            else await view.write('bench-direct', query);
          }
          samples.push(performance.now() - started);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { samples, errors, unfinished: 0, seconds };
}

/** The median of some numbers (the mean of the middle two for an even count); NaN for none. */
function median(values: readonly number[]): number {
  const sorted = ascending(values.filter((value) => !Number.isNaN(value)));
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per-round ratios summed up: their median and their spread. */
interface RatioSpread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: readonly number[];
}

function spread(ratios: readonly number[]): RatioSpread | null {
  const finite = ratios.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return null;
  const round2 = (value: number) => Math.round(value * 100) / 100;
  return {
    median: round2(median(finite)),
    min: round2(Math.min(...finite)),
    max: round2(Math.max(...finite)),
    rounds: finite.map(round2),
  };
}

/**
 * Waits (at most 10 s) until no other transaction runs in Neo4j, then terminates what still runs. Work abandoned at
 * the end of a measurement — a request the client gave up on that the service still executes, a direct statement
 * past its deadline — would otherwise slow the next measurement, or take the connections it needs.
 * Only the measured work counts: the service's requests (they carry a requestId) and the direct statements. The
 * service's own background work (the aggregate refresher) is part of what it does under load and is left alone:
 * terminating it only makes it start over.
 */
async function quiesce(driver: Driver, step: string): Promise<void> {
  const session = driver.session({ database: 'neo4j' });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await session.run(
        `SHOW TRANSACTIONS YIELD transactionId, currentQuery, metaData
         WHERE NOT currentQuery STARTS WITH 'SHOW TRANSACTIONS'
           AND (metaData.requestId IS NOT NULL OR metaData.app = 'chain-kg-bench-direct')
         RETURN collect(transactionId) AS ids`,
      );
      const ids = (result.records[0]?.get('ids') as string[] | undefined) ?? [];
      if (ids.length === 0) return;
      if (Date.now() > deadline) {
        await session.run('TERMINATE TRANSACTIONS $ids', { ids });
        log(`${step}: terminated ${ids.length} transaction(s) still running 10 s after the measurement`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } catch (error) {
    log(`${step}: could not check for leftover transactions (${(error as Error).message})`);
  } finally {
    await session.close();
  }
}

function startProcess(
  command: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs: number,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`${command.join(' ')} did not start: ${lines.slice(-5).join(' | ')}`));
    }, timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (lines.length > 50) lines.shift();
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

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
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

// ---------------------------------------------------------------------------------------------------------------
// The store for one size

interface Store {
  readonly neo4j: LocalNeo4jHandle;
  readonly driver: Driver;
  readonly executor: Executor;
  /**
   * The direct measurements' own driver and executor: statements that hit their deadline there must not use up
   * the connections, nor mark the database unavailable, for the checks that run next.
   */
  readonly directDriver: Driver;
  readonly directExecutor: Executor;
  readonly dataDir: string;
  /** Why the store was dropped and generated afresh, if it was. */
  readonly wiped: string | null;
  readonly pageCacheMb: number;
}

/** Bytes a generated enterprise takes on disk with its links, indexes and aggregates, rounded up (1M: 3.6 GB). */
const STORE_BYTES_PER_ENTERPRISE = 6 * 1024;

/**
 * The page cache for a store of `size` enterprises: its files with a fifth more for growth (the import writes into it),
 * and at least 3 GiB. Neo4j's own rule of thumb is store size + expected growth + 10 %
 * (https://neo4j.com/developer/kb/how-to-estimate-initial-memory-configuration). A cache smaller than the store makes
 * the larger size measure page faults rather than the queries: at 1M the store is 3.6 GB on disk, and it used to run
 * with 3 GiB. Sized from the larger of the files already on disk and the estimate, so that a store generated in this
 * run is covered too.
 */
async function pageCacheMbFor(size: number, dataDir: string): Promise<number> {
  if (settings.pageCacheMb > 0) return settings.pageCacheMb;
  const onDisk = await directoryBytes(path.join(dataDir, 'data', 'databases', 'neo4j'));
  const bytes = Math.max(onDisk, size * STORE_BYTES_PER_ENTERPRISE) * 1.2;
  return Math.max(3072, Math.ceil(bytes / 2 ** 20));
}

async function directoryBytes(directory: string): Promise<number> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const entryPath = path.join(directory, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(entryPath);
    else if (entry.isFile()) total += (await stat(entryPath)).size;
  }
  return total;
}

/**
 * Reads every file of the store once and drops the bytes, so that the operations' page-cache misses are served from
 * the operating system's file cache, never the disk: Neo4j Community starts with an empty page cache and fills it on
 * demand, and a service that has run for a while has its store in memory, which is what the rounds mean to measure.
 * Added when a run at a million firms showed I/O wait (a third of the CPU time in one sample during the targetFirms
 * rounds) and every operation at that size, a plain lookup by id included, 1.2–1.5 times slower than the run before
 * on the same code. It did not explain that: the next run read the files in 3.9 s (4.3 GiB, already cached) and was
 * as slow. It stays as a cheap guarantee that no round reads the disk.
 */
async function readStoreFiles(directory: string): Promise<{ bytes: number; seconds: number }> {
  const started = Date.now();
  const buffer = Buffer.allocUnsafe(4 * 2 ** 20);
  let bytes = 0;
  const readAll = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const entryPath = path.join(current, entry.name);
      if (entry.isDirectory()) await readAll(entryPath);
      else if (entry.isFile()) {
        const file = await open(entryPath, 'r');
        try {
          for (;;) {
            const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
            if (bytesRead === 0) break;
            bytes += bytesRead;
          }
        } finally {
          await file.close();
        }
      }
    }
  };
  await readAll(directory);
  return { bytes, seconds: round1((Date.now() - started) / 1000) };
}

async function openStore(size: number, config: Config, logger: Logger): Promise<Store> {
  const dataDir = `${settings.dataDir}-${size}`;
  let wiped: string | null = null;
  if (settings.fresh) {
    await rm(dataDir, { recursive: true, force: true });
    wiped = 'BENCH_FRESH=1';
  }
  for (;;) {
    const pageCacheMb = await pageCacheMbFor(size, dataDir);
    log(`starting the local Neo4j (APOC on, heap 3072 MiB, page cache ${pageCacheMb} MiB) in ${dataDir}`);
    const neo4j = await startLocalNeo4j({
      ...config.localNeo4j,
      dataDir,
      port: 0,
      heapMb: 3072,
      pageCacheMb,
      apoc: true,
      logger,
    });
    const driver = await connectDriver(neo4j.uri, config.neo4j);
    const executor = new Executor(driver, {
      database: 'neo4j',
      txTimeoutMs: 600_000,
      appName: 'chain-kg-bench',
    });
    await applyMigrations(executor);
    const [row] = await executor.read(
      'bench',
      cypher(
        `CALL { MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix RETURN count(e) AS ours }
         CALL { MATCH (e:Enterprise) WHERE e.id STARTS WITH 'gen-' AND NOT e.id STARTS WITH $prefix
                RETURN count(e) AS others }
         RETURN ours, others`,
        { prefix },
      ),
    );
    const ours = Number(row?.['ours']);
    const others = Number(row?.['others']);
    // Fewer of ours is an interrupted generation of this size: generating again completes exactly that graph.
    if ((ours > size || others > 0) && wiped === null) {
      wiped = `it held ${count(ours)} generated enterprises of seed ${settings.seed} and ${count(others)} of other seeds`;
      log(`dropping ${dataDir}: ${wiped}`);
      await driver.close();
      await neo4j.stop();
      await rm(dataDir, { recursive: true, force: true });
      continue;
    }
    const directDriver = await connectDriver(neo4j.uri, config.neo4j);
    const directExecutor = new Executor(directDriver, {
      database: 'neo4j',
      txTimeoutMs: statementTimeoutMs(),
      appName: 'chain-kg-bench-direct',
    });
    return { neo4j, driver, executor, directDriver, directExecutor, dataDir, wiped, pageCacheMb };
  }
}

/** Rows the import measurement wrote (a run cut short leaves them behind: they are not part of the graph). */
async function removeImported(executor: Executor): Promise<void> {
  for (;;) {
    const [row] = await executor.write(
      'bench-cleanup',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix
         WITH e LIMIT 10000 DETACH DELETE e RETURN count(*) AS removed`,
        { prefix: IMPORTED_ID_PREFIX },
      ),
    );
    if (Number(row?.['removed'] ?? 0) === 0) return;
  }
}

/**
 * Seconds the JVM of process `pid` has spent compiling code so far (`jstat -compiler`, the JDK's own counter; its
 * fourth column), or null when jstat cannot be run (a JRE without it) or answers otherwise.
 */
function jitSeconds(pid: number): number | null {
  try {
    const output = execFileSync('jstat', ['-compiler', String(pid)], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const seconds = Number(output.trim().split('\n')[1]?.trim().split(/\s+/)[3]);
    return Number.isFinite(seconds) ? seconds : null;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (getconf CLK_TCK; 100 on Linux when it cannot tell). */
const CLOCK_TICKS = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, ms) a process has used so far, or null when /proc cannot tell (not Linux, gone). */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined || pid < 0) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th
    // and 13th of them (the 14th and 15th of the line).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

interface ImportFigures {
  readonly rows: number;
  /**
   * enterprises/s of each pass, first to last. The first runs on a Neo4j just started (its JVM not yet compiled the
   * write paths, its query caches empty): see IMPORT_PASSES. The figures below (seconds, rowsPerSecond) are the last
   * pass's.
   */
  readonly passes: readonly number[];
  /** Seconds the Neo4j JVM spent compiling (JIT) during each pass, when jstat could tell (else null). */
  readonly jitSeconds: readonly (number | null)[];
  readonly created: number;
  readonly what: string;
  /** The time `npm run import` reports for the import itself (after its start-up). */
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** The whole command, Node start-up, connection and migrations check included. */
  readonly wallSeconds: number;
}

/** The passes behind an import figure, for the report; empty for a single pass. */
function passesNote(figures: ImportFigures): string {
  if (figures.passes.length < 2) return '';
  const compiling = figures.jitSeconds.every((seconds) => seconds !== null)
    ? `; the JVM compiled (JIT) ${figures.jitSeconds.map((seconds) => `${seconds} s`).join(', ')} during them`
    : '';
  return `; last of ${figures.passes.length} passes, each removed before the next: ${figures.passes.map((rate) => `${count(rate)}/s`).join(', ')} — the first on a Neo4j just started${compiling}`;
}

/**
 * `npm run import` of a CSV of new enterprises into this store (runEnterpriseImport). They are removed afterwards,
 * before the service starts: the aggregates then settle on the generated graph alone.
 */
async function measureImport(uri: string, districts: readonly string[]): Promise<ImportFigures> {
  const { output, wallSeconds, command } = await runEnterpriseImport({
    uri,
    districts,
    rows: settings.importRows,
  });
  const done = /Imported ([\d,]+) rows into \S+ in ([\d.]+) s/.exec(output);
  const summary = /^enterprises\s+(\d+)\s+(\d+)/m.exec(output);
  if (!done || !summary) throw new Error(`cannot read the figures of npm run import: ${output.slice(-500)}`);
  const imported = Number(done[1]!.replaceAll(',', ''));
  const seconds = Number(done[2]);
  return {
    rows: imported,
    passes: [],
    jitSeconds: [],
    created: Number(summary[2]),
    what: `\`${command}\`: ${count(settings.importRows)} new enterprises (id, name, credit code, region, size band, high-tech, leading, source) over ${count(Math.min(districts.length, settings.importRows))} generated districts, batches of 5,000, NEO4J_TX_TIMEOUT_MS=600000`,
    seconds,
    rowsPerSecond: Math.round(imported / Math.max(seconds, 0.001)),
    wallSeconds: round1(wallSeconds),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Settled aggregates

type Settle =
  | { readonly state: 'settled'; readonly seconds: number }
  | { readonly state: 'timed out'; readonly seconds: number; readonly pendingChanges: number | null }
  | { readonly state: 'not supported'; readonly note: string };

interface BasisResponse {
  /** chainGaps' basis (the settle poll's first query; the second, targetFirms', is read for its errors only). */
  data?: { chainGaps?: { basis?: { current: boolean; pendingChanges: number; asOf: string } } } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Polls `chainGaps { basis { current } }` until the aggregates are settled (no write pending) and `targetFirms`
 * answers (it refuses with SERVICE_BUSY while every firm's rank keys are being written, in batches after the counts
 * of a first build or a rebuild: minutes at a million firms), so that the measurements time reading settled
 * aggregates, not refreshing them. `since` is when the clock of the "aggregate build" started (before the service
 * started: it may build them on start).
 */
async function waitForSettledAggregates(
  url: string,
  variables: { chainId: string; regionId: string },
  since: number,
): Promise<Settle> {
  const basisQuery =
    'query Basis($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { basis { current pendingChanges asOf } } }';
  const rankQuery =
    'query Ranked($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 1, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { recommendations { score } } }';
  const post = async (query: string): Promise<{ body: BasisResponse | null; problem: string }> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(120_000),
      });
      return { body: (await response.json()) as BasisResponse, problem: '' };
    } catch (error) {
      return { body: null, problem: (error as Error).message };
    }
  };
  const deadline = since + settings.settleTimeoutSeconds * 1000;
  let lastProgress = 0;
  let pending: number | null = null;
  for (;;) {
    const answer = await post(basisQuery);
    const { body } = answer;
    let { problem } = answer;
    // GUARD, until the analytics reports carry `basis` (issue 12's aggregates): a service without the field
    // rejects the query in validation, and there is nothing to wait for. Remove once every branch has it.
    const unknownField = body?.errors?.find((error) => /Cannot query field "basis"/.test(error.message));
    if (unknownField) return { state: 'not supported', note: unknownField.message };
    const basis = body?.data?.chainGaps?.basis;
    if (basis?.current === true) {
      // The counts are settled; the rank keys may still be being written (targetFirms then refuses with
      // SERVICE_BUSY). Any other answer of targetFirms, an error included, says nothing of the keys.
      const ranked = await post(rankQuery);
      const busy = ranked.body?.errors?.find((error) => error.extensions?.code === 'SERVICE_BUSY');
      if (ranked.body !== null && busy === undefined)
        return { state: 'settled', seconds: round1((Date.now() - since) / 1000) };
      problem = busy?.message ?? ranked.problem;
    } else if (basis) pending = basis.pendingChanges;
    else problem ||= body?.errors?.map((error) => error.message).join('; ') ?? 'no answer';
    const seconds = round1((Date.now() - since) / 1000);
    if (Date.now() > deadline) return { state: 'timed out', seconds, pendingChanges: pending };
    if (Date.now() - lastProgress > 15_000) {
      lastProgress = Date.now();
      log(
        `  aggregates not settled after ${seconds} s: ${problem || (basis ? `${count(basis.pendingChanges)} changes pending (as of ${basis.asOf})` : 'no answer')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Operations

interface Pools {
  readonly districts: string[];
  readonly cities: string[];
  /** The provinces with generated districts in them, each holding tens of thousands of firms. */
  readonly provinces: string[];
  readonly chains: string[];
  readonly segmentsOfChain: Record<string, string[]>;
  readonly segments: string[];
  readonly lossFirms: { id: string; regionId: string }[];
}

interface Scenario {
  readonly name: string;
  readonly query: string;
  /** Variables for the `variant`-th variable set; `next` draws deterministically. */
  readonly variables: (next: () => number, variant: number) => Record<string, unknown>;
  /** The same operation for the Neo4j GraphQL Library, where it can express it. */
  readonly library?: {
    readonly query: string;
    readonly variables: (ours: Record<string, unknown>) => Record<string, unknown>;
  };
  /** Under issue 12's goals (p95 ≤ 100 ms, at most 1.5 × from the smallest size to the largest). */
  readonly analytics?: boolean;
  readonly goal?: { readonly p95?: number; readonly throughput?: number };
  /** How many different variable sets to cycle through (fewer for the heavy analytics: each is run once to check it). */
  readonly variants?: number;
  /**
   * The operation whose draws it takes (its seed): two operations asked over the same variable sets compare, one
   * figure against the other, where each name would otherwise seed its own draws.
   */
  readonly drawsLike?: string;
}

async function readPools(executor: Executor): Promise<Pools> {
  // Ordered: `collect` gives no order, and the variables must be the same from run to run.
  const [row] = await executor.read(
    'bench',
    cypher(
      `CALL { MATCH (r:Region) WHERE r.id STARTS WITH $regionPrefix WITH r ORDER BY r.id RETURN collect(r.id) AS districts }
       CALL { MATCH (r:Region) WHERE r.level IN ['CITY', 'MUNICIPALITY'] WITH r ORDER BY r.id RETURN collect(r.id) AS cities }
       CALL { MATCH (p:Region { level: 'PROVINCE' }) WHERE EXISTS { (p)<-[:PART_OF*1..3]-(d:Region) WHERE d.id STARTS WITH $regionPrefix }
              WITH p ORDER BY p.id RETURN collect(p.id) AS provinces }
       CALL { MATCH (c:IndustrialChain) WITH c ORDER BY c.id RETURN collect(c.id) AS chains }
       CALL { MATCH (s:ChainSegment) WITH s ORDER BY s.id RETURN collect(s.id) AS segments }
       CALL { MATCH (s:ChainSegment)-[:SUBSEGMENT_OF*0..]->(:ChainSegment)-[:IN_CHAIN]->(c:IndustrialChain)
              WITH DISTINCT c.id AS chain, s.id AS segment ORDER BY chain, segment
              RETURN collect([chain, segment]) AS chainSegments }
       RETURN districts, cities, provinces, chains, segments, chainSegments`,
      { regionPrefix: `gen-${settings.seed}-r-` },
    ),
  );
  const list = (key: string) => (row?.[key] as string[] | undefined) ?? [];
  const segmentsOfChain: Record<string, string[]> = {};
  for (const [chain, segment] of (row?.['chainSegments'] as [string, string][] | undefined) ?? [])
    (segmentsOfChain[chain] ??= []).push(segment);
  return {
    districts: list('districts'),
    cities: list('cities'),
    provinces: list('provinces'),
    chains: list('chains'),
    segmentsOfChain,
    segments: list('segments'),
    lossFirms: await findLossFirms(executor, 6),
  };
}

/**
 * Firms to lose: drawn among the first `smallest size` enterprises (so every size loses the same firms), each one
 * with a supplier and a customer in its own city, the city being the region asked about.
 */
async function findLossFirms(
  executor: Executor,
  wanted: number,
): Promise<{ id: string; regionId: string }[]> {
  const next = random(settings.seed + 7);
  const found: { id: string; regionId: string }[] = [];
  for (let attempt = 0; attempt < 1000 && found.length < wanted; attempt += 1) {
    const id = `${prefix}${Math.floor(next() * settings.sizes[0]!)}`;
    if (found.some((firm) => firm.id === id)) continue;
    const [row] = await executor.read('bench', lossFirmCityQuery(id));
    if (row) found.push({ id, regionId: String(row['regionId']) });
  }
  if (found.length === 0)
    throw new Error('no generated enterprise with local suppliers and customers to lose');
  return found;
}

function scenarios(pools: Pools, size: number): Scenario[] {
  const pick = <T>(items: readonly T[], next: () => number) => items[Math.floor(next() * items.length)]!;
  const enterpriseId = (next: () => number) => `${prefix}${Math.floor(next() * size)}`;
  const chainAndCity = (next: () => number) => ({
    chainId: pick(pools.chains, next),
    regionId: pick(pools.cities, next),
  });
  return [
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
      variables: (next) => ({ regionId: pick(pools.districts.slice(0, 200), next) }),
      library: {
        query:
          'query List($regionId: ID!) { enterprises(where: { highTech: { eq: true }, region: { some: { id: { eq: $regionId } } } }, sort: [{ name: ASC }], limit: 21) { id name sizeBand } }',
        variables: (ours) => ours,
      },
    },
    // A page of a province's firms (tens of thousands at 200,000, five times as many at a million): read in name
    // order from the index, not sorted whole (README, how a page is read).
    {
      name: 'filtered list page (a province)',
      query:
        'query ProvinceList($regionId: ID!) { enterprises(filter: { regionId: $regionId, highTech: true }, first: 20) { nodes { id name sizeBand } pageInfo { hasNextPage endCursor } } }',
      variables: (next) => ({ regionId: pick(pools.provinces, next) }),
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
    // A segment's firms nested in the segment: most of the generated segments hold tens of thousands of firms or more,
    // so the page is read from the name index in order rather than sorted whole (README, how a page is read).
    {
      name: "nested page of a segment's firms",
      query:
        'query SegmentFirms($id: ID!) { segment(id: $id) { id enterprises(first: 20) { role enterprise { id name } } } }',
      variables: (next) => ({ id: pick(pools.segments, next) }),
    },
    {
      name: 'search',
      query:
        'query Search($text: String!) { search(text: $text, kinds: [ENTERPRISE], first: 10) { id name score } }',
      variables: (next) => ({ text: `示例企业${Math.floor(next() * size)}` }),
    },
    {
      name: 'segment upstream, depth 6',
      query:
        'query SegmentUpstream($id: ID!) { segment(id: $id) { upstream(depth: 6, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segments { segment { id } distance } } } }',
      variables: (next) => ({ id: pick(pools.segments, next) }),
    },
    {
      name: 'firm upstream, depth 3',
      query:
        'query Upstream3($id: ID!) { enterprise(id: $id) { upstream(depth: 3, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segments { segment { id } distance } enterprises(first: 50) { enterprise { id } distance } } } }',
      variables: (next) => ({ id: enterpriseId(next) }),
    },
    {
      name: 'firm upstream, depth 6',
      query:
        'query Upstream6($id: ID!) { enterprise(id: $id) { upstream(depth: 6, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segments { segment { id } distance } enterprises(first: 50) { enterprise { id } distance } } } }',
      variables: (next) => ({ id: enterpriseId(next) }),
      goal: { p95: 50 },
    },
    // The generated province is illustrative data (src/generate/): the analytics, which count real data by default,
    // are asked for every source so that they work over all of it.
    {
      name: 'chainGaps',
      query:
        'query Gaps($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { gaps { segment { id name } status score localEnterpriseCount } total { coverageRatio } } }',
      variables: chainAndCity,
      analytics: true,
      variants: 6,
    },
    {
      name: 'targetFirms',
      query:
        'query Targets($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 10, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { recommendations { enterprise { id name } score factors { name value } } } }',
      variables: chainAndCity,
      analytics: true,
      variants: 6,
    },
    // The same ranking with its default sources, as a planner asks it: real data only (PLAN and PUBLIC), which in
    // the generated province is the seed's and the public firm base's few thousand firms among the illustrative
    // ones — what the provenance lanes of the walks are for (README, how target firms are ranked). Same draws.
    {
      name: 'targetFirms (real data)',
      query:
        'query TargetsReal($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 10) { recommendations { enterprise { id name } score factors { name value } } } }',
      variables: chainAndCity,
      drawsLike: 'targetFirms',
      analytics: true,
      variants: 6,
    },
    {
      name: 'impactOfLosing (a firm)',
      query:
        'query LoseFirm($enterpriseId: ID!, $regionId: ID!) { impactOfLosing(enterpriseId: $enterpriseId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segmentsAffected { segment { id } before after localEnterprisesAfter } firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } } } }',
      variables: (_next, variant) => {
        const firm = pools.lossFirms[variant % pools.lossFirms.length]!;
        return { enterpriseId: firm.id, regionId: firm.regionId };
      },
      analytics: true,
      variants: 6,
    },
    {
      name: 'impactOfLosing (a segment)',
      query:
        'query LoseSegment($segmentId: ID!, $regionId: ID!) { impactOfLosing(segmentId: $segmentId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segmentsAffected { segment { id } before after localEnterprisesAfter } firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } } } }',
      variables: (next) => {
        const { chainId, regionId } = chainAndCity(next);
        return { segmentId: pick(pools.segmentsOfChain[chainId] ?? pools.segments, next), regionId };
      },
      analytics: true,
      variants: 6,
    },
    {
      name: 'compareRegions (5 regions)',
      query:
        'query Compare($chainId: ID!, $regionIds: [ID!]!) { compareRegions(chainId: $chainId, regionIds: $regionIds, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { regions { region { id } total { coverageRatio } } segments { segment { id } byRegion { status localEnterpriseCount } } } }',
      variables: (next) => {
        const cities = [...pools.cities];
        // The first five of a seeded Fisher–Yates shuffle: five different cities.
        for (let index = cities.length - 1; index > 0; index -= 1) {
          const other = Math.floor(next() * (index + 1));
          [cities[index], cities[other]] = [cities[other]!, cities[index]!];
        }
        return { chainId: pick(pools.chains, next), regionIds: cities.slice(0, 5) };
      },
      analytics: true,
      variants: 6,
    },
  ];
}

interface OperationResult {
  readonly scenario: string;
  readonly analytics: boolean;
  readonly graphql: Latencies | null;
  readonly direct: Latencies | null;
  readonly library: Latencies | null;
  /** Our p50 / direct Cypher's p50, round by round. */
  readonly directRatio: RatioSpread | null;
  /** Our requests / the library's requests, round by round (the same seconds: the ratio of req/s). */
  readonly libraryRatio: RatioSpread | null;
  /** Statements per request, from the first variable set. */
  readonly statements: number;
  readonly variants: number;
  /**
   * The variable sets measured, for an operation with a set number of variants (the analytics): which draws a figure
   * covers, so that two runs or two sizes can be seen to compare the same ones. Null for the others (up to 40 sets).
   */
  readonly variableSets: readonly Record<string, unknown>[] | null;
  /** The unmeasured requests sent before the rounds (null when the check failed). */
  readonly warmUp: WarmUp | null;
  /** How long each of its rounds lasted (roundSecondsFor). */
  readonly roundSeconds: number;
  /**
   * CPU time per answered request of our rounds (ms): our service's process and Neo4j's JVM, summed over the rounds
   * (the load's clients run in the bench's own process, so the service's figure is the service's alone); null when
   * /proc could not tell, or nothing was answered.
   */
  readonly cpuPerRequest: { readonly serviceMs: number; readonly neo4jMs: number } | null;
  /** Seconds Neo4j's JVM spent compiling (JIT, jstat) during our rounds; null when not measured or jstat could not tell. */
  readonly roundsJitSeconds: number | null;
  /** Why the operation could not be measured (its check failed), or null. */
  readonly failure: string | null;
  readonly goal: Scenario['goal'] | null;
}

interface SizeReport {
  readonly size: number;
  readonly dataDir: string;
  readonly pageCacheMb: number;
  readonly graph: { readonly enterprises: number; readonly relationships: number };
  readonly generation: {
    readonly seconds: number | null;
    readonly reused: boolean;
    readonly wiped: string | null;
  };
  readonly import: ImportFigures;
  readonly aggregates: Settle;
  /** The store's files read once before the operations (readStoreFiles). */
  readonly storeRead: { readonly bytes: number; readonly seconds: number };
  readonly serviceStartSeconds: number;
  readonly serverPeakRssMb: number;
  readonly libraryPeakRssMb: number | null;
  readonly results: OperationResult[];
  readonly seconds: number;
}

async function benchSize(
  size: number,
  first: boolean,
  config: Config,
  logger: Logger,
  apollo: ReturnType<typeof createApolloServer>,
): Promise<SizeReport> {
  const sizeStarted = Date.now();
  const label = `[${count(size)}]`;
  const store = await openStore(size, config, logger);
  const children: ChildProcess[] = [];
  try {
    const { executor } = store;
    // The in-process capture of each operation's statements reads settled aggregates; this only folds in stragglers.
    const refresher = new AggregateRefresher(executor, {
      waitMs: config.aggregates.waitMs,
      pollMs: 0,
      timeoutMs: config.aggregates.refreshTimeoutMs,
      hubMinLinks: config.aggregates.hubMinLinks,
    });
    if (await isDatabaseEmpty(executor)) {
      log(`${label} loading the seed data`);
      await loadSeeds(executor);
    }
    await removeImported(executor);
    const [existing] = await executor.read(
      'bench',
      cypher('MATCH (e:Enterprise) WHERE e.id STARTS WITH $prefix RETURN count(e) AS n', { prefix }),
    );
    let generation: SizeReport['generation'] = { seconds: null, reused: true, wiped: store.wiped };
    if (Number(existing?.['n']) < size) {
      log(`${label} generating ${count(size)} enterprises (seed ${settings.seed})`);
      const summary = await generateGraph(executor, {
        seed: settings.seed,
        enterprises: size,
        batchSize: 20_000,
        onProgress: ({ phase, done, total }) => {
          if (done === total || done % 100_000 === 0)
            log(`${label}   ${phase} ${count(done)}/${count(total)}`);
        },
      });
      generation = { seconds: round1(summary.seconds), reused: false, wiped: store.wiped };
      log(`${label} generated in ${generation.seconds} s`);
    } else log(`${label} reusing the generated graph in ${store.dataDir}`);

    // Read before the import: its rows are removed again, so the graph asked about is the same.
    const pools = await readPools(executor);
    let imported: ImportFigures = {
      rows: 0,
      passes: [],
      jitSeconds: [],
      created: 0,
      what: 'not measured (BENCH_IMPORT_ROWS=0)',
      seconds: 0,
      rowsPerSecond: 0,
      wallSeconds: 0,
    };
    if (settings.importRows > 0) {
      // The same import several times, each removed before the next: the first pass meets a Neo4j just started, the
      // last one a warmed one, as a running service's would be (IMPORT_PASSES). All are reported.
      const passes: number[] = [];
      const compiling: (number | null)[] = [];
      const stillCompiling = () => (compiling.at(-1) ?? 0) >= STILL_COMPILING_SECONDS;
      for (
        let pass = 1;
        pass <= settings.importPasses ||
        (pass <= settings.importPasses + EXTRA_IMPORT_PASSES && stillCompiling());
        pass += 1
      ) {
        log(
          `${label} npm run import of ${count(settings.importRows)} enterprises from CSV (pass ${pass}, at least ${settings.importPasses})`,
        );
        const jitBefore = jitSeconds(store.neo4j.pid);
        const figures = await measureImport(store.neo4j.uri, pools.districts);
        const jitAfter = jitSeconds(store.neo4j.pid);
        const jit = jitBefore === null || jitAfter === null ? null : round1(jitAfter - jitBefore);
        passes.push(figures.rowsPerSecond);
        compiling.push(jit);
        imported = { ...figures, passes: [...passes], jitSeconds: [...compiling] };
        log(
          `${label} imported at ${count(figures.rowsPerSecond)} enterprises/s${jit === null ? '' : ` (the JVM compiled ${jit} s meanwhile)`}; removing them again`,
        );
        await removeImported(executor);
      }
    }

    const [sizeRow] = await executor.read(
      'bench',
      cypher(
        'CALL { MATCH (e:Enterprise) RETURN count(e) AS enterprises } CALL { MATCH ()-[r]->() RETURN count(r) AS relationships } RETURN enterprises, relationships',
      ),
    );

    // The aggregate-build clock starts before the service does: it may build or refresh them on start.
    log(`${label} starting the GraphQL service`);
    const serviceStarted = Date.now();
    const ours = await startProcess(
      [
        ...(settings.cpuProfileDir === ''
          ? []
          : ['--cpu-prof', '--cpu-prof-dir', path.resolve(ROOT, settings.cpuProfileDir)]),
        ...startArguments(ROOT),
      ],
      {
        NEO4J_URI: store.neo4j.uri,
        PORT: '0',
        LOG_LEVEL: 'info',
        NEO4J_TX_TIMEOUT_MS: '60000',
        // The request deadline (default 20 s) would otherwise cut slow analytics short instead of measuring them.
        REQUEST_TIMEOUT_MS: '60000',
        MAX_PAGE_SIZE: '100',
      },
      /"url":"(http:[^"]+)"/,
      settings.settleTimeoutSeconds * 1000,
    );
    children.push(ours.child);
    const serviceStartSeconds = round1((Date.now() - serviceStarted) / 1000);
    log(`${label} service up in ${serviceStartSeconds} s; waiting for the analytics aggregates to settle`);
    const aggregates = await waitForSettledAggregates(
      ours.url,
      { chainId: pools.chains[0]!, regionId: pools.cities[0]! },
      serviceStarted,
    );
    log(
      `${label} aggregates: ${aggregates.state === 'not supported' ? `not waited for (${aggregates.note})` : `${aggregates.state} after ${aggregates.seconds} s`}`,
    );

    // After the import and the settling, whose writes they include: the operations read the store as it now is.
    const storeRead = await readStoreFiles(path.join(store.dataDir, 'data', 'databases'));
    log(
      `${label} read the store's files once (${round1(storeRead.bytes / 2 ** 30)} GiB in ${storeRead.seconds} s) into the OS file cache`,
    );
    const withLibrary = settings.library === 'all' || (settings.library === 'first' && first);
    const library = withLibrary
      ? await startProcess(
          ['--import', 'tsx', 'bench/neo4jGraphqlServer.ts'],
          { NEO4J_URI: store.neo4j.uri, PORT: '0' },
          /^READY (\S+)/,
          120_000,
        )
      : null;
    if (library) children.push(library.child);

    const results: OperationResult[] = [];
    const list = scenarios(pools, size).filter(
      (scenario) => settings.operations.length === 0 || settings.operations.includes(scenario.name),
    );
    for (const [position, scenario] of list.entries()) {
      const step = `${label} (${position + 1}/${list.length}) ${scenario.name}`;
      const next = random(settings.seed + (scenario.drawsLike ?? scenario.name).length);
      const variableSets = Array.from({ length: scenario.variants ?? 40 }, (_, variant) =>
        scenario.variables(next, variant),
      );
      // Capture the statements the service sends for each variable set (and check that every answer is clean).
      // An operation with a set number of variants (the analytics) is measured on all of them, however long their
      // first requests take here (this process plans their statements and reads its structures afresh): cut off by
      // time, which draws a run measured depended on the machine's speed — 6, 5 or 4 of the same six segment losses
      // in three runs. Others are checked on as many of their 40 sets as fit in BENCH_SECONDS (at least one).
      const statementSets: Statement[][] = [];
      const measured: Record<string, unknown>[] = [];
      let failure: string | null = null;
      const captureStarted = Date.now();
      for (const variables of variableSets) {
        if (
          scenario.variants === undefined &&
          measured.length > 0 &&
          Date.now() - captureStarted > settings.seconds * settings.rounds * 1000
        )
          break;
        const statements: Statement[] = [];
        const response = await apollo.executeOperation(
          { query: scenario.query, variables },
          {
            contextValue: {
              requestId: 'bench',
              executor: executor.forRequest('bench', (event) => statements.push(event), {
                timeoutMs: statementTimeoutMs(),
              }),
              config,
              logger,
              refresher,
              caller: null,
            },
          },
        );
        if (response.body.kind !== 'single' || response.body.singleResult.errors) {
          failure = JSON.stringify(
            response.body.kind === 'single' ? response.body.singleResult.errors : 'incremental',
          ).slice(0, 300);
          break;
        }
        statementSets.push(statements);
        measured.push(variables);
      }
      if (failure !== null) {
        log(`${step}: FAILED its check, not measured: ${failure}`);
        results.push({
          scenario: scenario.name,
          analytics: scenario.analytics ?? false,
          graphql: null,
          direct: null,
          library: null,
          directRatio: null,
          libraryRatio: null,
          statements: 0,
          variants: 0,
          variableSets: null,
          warmUp: null,
          roundSeconds: settings.seconds,
          cpuPerRequest: null,
          roundsJitSeconds: null,
          failure,
          goal: scenario.goal ?? null,
        });
        continue;
      }
      const libraryVariables = scenario.library ? measured.map(scenario.library.variables) : [];
      if (scenario.library && library) {
        const check = await fetch(library.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: scenario.library.query, variables: libraryVariables[0] }),
        });
        const body = (await check.json()) as { errors?: unknown };
        if (body.errors) throw new Error(`@neo4j/graphql ${scenario.name}: ${JSON.stringify(body.errors)}`);
      }
      // The contenders take turns in short rounds (ours, direct, library, ours, …): a burst of other work on the
      // machine then slows one round of each rather than the whole measurement of one, and the ratios are taken
      // round by round (each round's p50 against the same round's other contenders), then their median.
      const serial = await warmUp(ours.url, scenario.query, measured);
      log(
        `${step}: warm-up of ${serial.requests} requests, slowest ${serial.slowestMs} ms (second pass: slowest ${serial.slowestSecondPassMs} ms, mean ${serial.meanSecondPassMs} ms)`,
      );
      const roundSeconds = roundSecondsFor(serial);
      /** Neo4j's JIT seconds so far (jitSeconds), null when its process or jstat cannot tell. */
      const jitNow = () => (store.neo4j.pid === undefined ? null : jitSeconds(store.neo4j.pid));
      const loadJitSeconds = await warmUnderLoad(jitNow, ours.url, scenario.query, measured, roundSeconds);
      const warm: WarmUp = { ...serial, loadJitSeconds };
      log(
        `${step}: warm-up under load, ${loadJitSeconds.length} stretches of ${roundSeconds} s; JIT compilation in Neo4j during them: ${loadJitSeconds.map((jit) => (jit === null ? '?' : `${jit} s`)).join(', ')}`,
      );
      /** JIT compilation in Neo4j during our rounds (s), null when jstat could not tell. */
      let roundsJit: number | null = 0;
      const ourRounds: Round[] = [];
      const directRounds: Round[] = [];
      const libraryRounds: Round[] = [];
      // Only our rounds are timed: between them the direct and library contenders load Neo4j too.
      const cpuSpent = { serviceMs: 0, neo4jMs: 0, known: true };
      for (let round = 1; round <= settings.rounds; round += 1) {
        log(`${step}: round ${round}/${settings.rounds} (${roundSeconds} s)`);
        // Read before the CPU times: jstat is a JVM of its own, and its start-up must not fall in the round.
        const jitBeforeRound = jitNow();
        const serviceBefore = processCpuMs(ours.child.pid);
        const neo4jBefore = processCpuMs(store.neo4j.pid);
        ourRounds.push(await httpLoad(ours.url, scenario.query, measured, roundSeconds));
        const serviceAfter = processCpuMs(ours.child.pid);
        const neo4jAfter = processCpuMs(store.neo4j.pid);
        const jitAfterRound = jitNow();
        roundsJit =
          roundsJit === null || jitAfterRound === null || jitBeforeRound === null
            ? null
            : roundsJit + jitAfterRound - jitBeforeRound;
        if (serviceBefore === null || serviceAfter === null || neo4jBefore === null || neo4jAfter === null)
          cpuSpent.known = false;
        else {
          cpuSpent.serviceMs += serviceAfter - serviceBefore;
          cpuSpent.neo4jMs += neo4jAfter - neo4jBefore;
        }
        await quiesce(store.driver, step);
        directRounds.push(await directLoad(store.directExecutor, statementSets, roundSeconds));
        await quiesce(store.driver, step);
        if (scenario.library && library) {
          libraryRounds.push(
            await httpLoad(library.url, scenario.library.query, libraryVariables, roundSeconds),
          );
          await quiesce(store.driver, step);
        }
      }
      const graphql = pool(ourRounds);
      const direct = pool(directRounds);
      // Requests still in flight at a round's end used CPU too, but are not counted: the figure is a little high.
      const cpuPerRequest =
        cpuSpent.known && graphql.requests > 0
          ? {
              serviceMs: round1(cpuSpent.serviceMs / graphql.requests),
              neo4jMs: round1(cpuSpent.neo4jMs / graphql.requests),
            }
          : null;
      const libraryResult = libraryRounds.length > 0 ? pool(libraryRounds) : null;
      const p50Of = (round: Round) => percentile(ascending(round.samples), 0.5);
      const directRatio = spread(ourRounds.map((round, index) => p50Of(round) / p50Of(directRounds[index]!)));
      // A round where either side finished nothing says nothing about their ratio (the operation outlasts the round):
      // it is left out, and when every round is, the ratio is n/a (their pooled figures still show).
      const libraryRatio =
        libraryRounds.length > 0
          ? spread(
              ourRounds.map((round, index) => {
                const theirs = libraryRounds[index]!.samples.length;
                return round.samples.length > 0 && theirs > 0 ? round.samples.length / theirs : NaN;
              }),
            )
          : null;
      log(
        `${step}: GraphQL p50 ${graphql.p50} ms (${directRatio?.median ?? 'n/a'} × direct${libraryRatio ? `, ${libraryRatio.median} × the library's req/s` : ''}), p95 ${graphql.p95} ms, ${graphql.requests} answered, ${graphql.errors} errors`,
      );
      results.push({
        scenario: scenario.name,
        analytics: scenario.analytics ?? false,
        graphql,
        direct,
        library: libraryResult,
        directRatio,
        libraryRatio,
        statements: statementSets[0]!.length,
        variants: measured.length,
        variableSets: scenario.variants === undefined ? null : measured,
        warmUp: warm,
        roundSeconds,
        cpuPerRequest,
        roundsJitSeconds: roundsJit === null ? null : round1(roundsJit),
        failure: null,
        goal: scenario.goal ?? null,
      });
    }

    return {
      size,
      dataDir: store.dataDir,
      pageCacheMb: store.pageCacheMb,
      graph: {
        enterprises: Number(sizeRow?.['enterprises']),
        relationships: Number(sizeRow?.['relationships']),
      },
      generation,
      import: imported,
      aggregates,
      storeRead,
      serviceStartSeconds,
      serverPeakRssMb: await peakRssMb(ours.child.pid!),
      libraryPeakRssMb: library ? await peakRssMb(library.child.pid!) : null,
      results,
      seconds: Math.round((Date.now() - sizeStarted) / 1000),
    };
  } finally {
    for (const child of children) await stopProcess(child);
    await store.directDriver.close();
    await store.driver.close();
    await store.neo4j.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

interface Goal {
  readonly goal: string;
  readonly met: boolean;
  readonly detail: string;
}

interface Report {
  readonly date: string;
  readonly machine: Record<string, string>;
  readonly settings: typeof settings;
  readonly sizes: SizeReport[];
  readonly growth: { scenario: string; p95Smallest: number; p95Largest: number; ratio: number }[];
  readonly goals: Goal[];
  readonly durationSeconds: number;
}

const p95Of = (result: OperationResult | undefined) => result?.graphql?.p95 ?? NaN;

/**
 * Whether an operation's GraphQL percentiles only cover the requests fast enough to finish within a round: a request
 * still running when a round ends is never measured, so once the slowest ones seen (p99) take half a round or more,
 * slower ones were likely cut off, and p95 is a lower bound (at 2 s rounds, targetFirms showed p95 1.8–1.9 s at both
 * sizes while most of its requests were still running at the rounds' ends). roundSecondsFor lengthens a slow
 * operation's rounds so that this should not happen; when it still does, the figure is marked.
 */
function censored(result: OperationResult | undefined): boolean {
  const p99 = result?.graphql?.p99 ?? NaN;
  return result !== undefined && !Number.isNaN(p99) && p99 >= (result.roundSeconds * 1000) / 2;
}

const CENSORED_NOTE = `requests of half a round or more: the slowest may not finish within their round, so p95 is a lower bound`;

function growthTable(sizes: readonly SizeReport[]): Report['growth'] {
  if (sizes.length < 2) return [];
  const smallest = sizes[0]!;
  const largest = sizes[sizes.length - 1]!;
  return smallest.results.map((result) => {
    const atLargest = largest.results.find((other) => other.scenario === result.scenario);
    const p95Smallest = p95Of(result);
    const p95Largest = p95Of(atLargest);
    return {
      scenario: result.scenario,
      p95Smallest,
      p95Largest,
      // A ratio of two lower bounds says nothing.
      ratio:
        censored(result) || censored(atLargest) ? NaN : Math.round((p95Largest / p95Smallest) * 100) / 100,
    };
  });
}

/** Issue 12's goals, computed from the figures: the analytics' p95 and errors, their growth, import speed. */
function goals(sizes: readonly SizeReport[], growth: Report['growth']): Goal[] {
  const smallest = sizes[0]!;
  const largest = sizes[sizes.length - 1]!;
  const list: Goal[] = [];
  const at = `at ${count(smallest.size)}${smallest.size === 200_000 ? '' : ' (the goal is stated at 200,000)'}`;
  for (const result of smallest.results.filter((item) => item.analytics)) {
    const errors = (result.graphql?.errors ?? 0) + (result.direct?.errors ?? 0);
    const p95 = p95Of(result);
    list.push({
      goal: `${result.scenario} p95 ≤ ${ANALYTICS_GOAL.p95} ms ${at}, 0 errors`,
      met: result.failure === null && p95 <= ANALYTICS_GOAL.p95 && errors === 0,
      detail:
        result.failure ??
        `${Number.isNaN(p95) ? 'no request finished' : `${censored(result) ? '≥ ' : ''}${p95} ms`}, ${errors} errors${censored(result) ? `; ${CENSORED_NOTE}` : ''}`,
    });
  }
  if (sizes.length > 1) {
    for (const row of growth.filter(
      (item) => smallest.results.find((r) => r.scenario === item.scenario)?.analytics,
    )) {
      list.push({
        goal: `${row.scenario} p95 at ${count(largest.size)} ≤ ${ANALYTICS_GOAL.growth} × at ${count(smallest.size)}`,
        met: row.ratio <= ANALYTICS_GOAL.growth,
        detail: `${row.p95Largest} ms / ${row.p95Smallest} ms = ${Number.isNaN(row.ratio) ? 'n/a' : `${row.ratio.toFixed(2)} ×`}${
          [smallest, largest].some((size) => censored(size.results.find((r) => r.scenario === row.scenario)))
            ? `; not shown: ${CENSORED_NOTE}`
            : ''
        }`,
      });
    }
  } else list.push({ goal: 'growth to the largest size', met: false, detail: 'one size only: not measured' });
  const slowest = Math.min(...sizes.map((size) => size.import.rowsPerSecond));
  list.push({
    goal: `import ≥ ${count(ANALYTICS_GOAL.importPerSecond)} enterprises/s (at every size)`,
    met: slowest >= ANALYTICS_GOAL.importPerSecond,
    detail: sizes
      .map((size) =>
        size.import.rows === 0
          ? `not measured at ${count(size.size)} (BENCH_IMPORT_ROWS=0)`
          : `${count(size.import.rowsPerSecond)}/s at ${count(size.size)}${passesNote(size.import)}`,
      )
      .join(', '),
  });
  return list;
}

/**
 * Issue 17's goals, at the smallest size: our p50 at most 1.3 × direct Cypher's on every non-analytics operation,
 * and at least 1.5 × @neo4j/graphql's req/s on the lookup by id and the nested relationship page (medians of rounds).
 */
function floorGoals(sizes: readonly SizeReport[]): Goal[] {
  const smallest = sizes[0]!;
  const list: Goal[] = [];
  for (const result of smallest.results.filter((item) => !item.analytics)) {
    const value = result.directRatio;
    list.push({
      goal: `${result.scenario}: GraphQL p50 ≤ 1.3 × direct Cypher at ${count(smallest.size)}`,
      met: value !== null && value.median <= 1.3,
      detail: result.failure ?? `${spreadText(value)}`,
    });
  }
  for (const name of ['lookup by id', 'nested relationship page']) {
    const result = smallest.results.find((item) => item.scenario === name);
    if (!result) continue;
    const value = result.libraryRatio;
    list.push({
      goal: `${name}: ≥ 1.5 × the req/s of @neo4j/graphql at ${count(smallest.size)}`,
      met: value !== null && value.median >= 1.5,
      detail: value === null ? 'not measured' : spreadText(value),
    });
  }
  return list;
}

const row = (cells: readonly unknown[]) => `| ${cells.join(' | ')} |`;
/** A per-round ratio: its median over the rounds, and its smallest and largest round in brackets. */
const spreadText = (value: RatioSpread | null) =>
  value === null ? 'n/a' : `${value.median.toFixed(2)} (${value.min.toFixed(2)}–${value.max.toFixed(2)})`;
const figure = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : value);

/**
 * CPU per answered request of our rounds, the service's and Neo4j's, and what it allows: a closed loop of C clients
 * on k cores answers at most k / CPU requests a second, so (Little's law) its mean latency cannot go below
 * C × CPU / k, however the work is scheduled. An operation whose p95 goal lies under that floor misses it for want of
 * cores, not of a queue.
 */
function cpuLines(size: SizeReport, report: Report): string[] {
  const measured = size.results.filter((result) => result.cpuPerRequest !== null);
  if (measured.length === 0) return [];
  const cores = os.cpus().length;
  const clients = report.settings.connections;
  return [
    `CPU per answered request in our rounds, service + Neo4j = total ms, and in brackets the mean latency ${clients} clients in a closed loop cannot go below on ${cores} cores (${clients} × total / ${cores}): ${measured
      .map((result) => {
        const { serviceMs, neo4jMs } = result.cpuPerRequest!;
        const total = serviceMs + neo4jMs;
        return `${result.scenario} ${serviceMs} + ${neo4jMs} = ${round1(total)} (${round1((clients * total) / cores)})`;
      })
      .join('; ')}.`,
    '',
  ];
}

function renderSize(size: SizeReport, report: Report): string[] {
  const generated = size.generation.reused
    ? 'reused from an earlier run'
    : `generated in ${size.generation.seconds} s${size.generation.wiped ? ` (store dropped first: ${size.generation.wiped})` : ''}`;
  const aggregates =
    size.aggregates.state === 'not supported'
      ? `not waited for: this service has no \`basis\` on its analytics reports (${size.aggregates.note})`
      : size.aggregates.state === 'settled'
        ? `settled ${size.aggregates.seconds} s after the service was started (service start ${size.serviceStartSeconds} s included)`
        : `NOT settled after ${size.aggregates.seconds} s (${size.aggregates.pendingChanges ?? '?'} changes pending): the figures below include refreshing`;
  return [
    `## ${count(size.size)} enterprises`,
    '',
    `Graph: ${count(size.graph.enterprises)} enterprises, ${count(size.graph.relationships)} relationships (seed ${report.settings.seed}, ${generated}; store ${size.dataDir}; Neo4j heap 3,072 MiB, page cache ${count(size.pageCacheMb)} MiB).`,
    `Aggregate build: ${aggregates}.`,
    `Store files: ${round1(size.storeRead.bytes / 2 ** 30)} GiB read once after the import and before the operations (${size.storeRead.seconds} s), so that Neo4j's page-cache misses are served from the OS file cache rather than the disk.`,
    size.import.rows === 0
      ? 'Import: not measured (BENCH_IMPORT_ROWS=0).'
      : `Import: ${count(size.import.rows)} enterprises in ${size.import.seconds} s = **${count(size.import.rowsPerSecond)} enterprises/s** (as \`npm run import\` reports it; the whole command with its start-up took ${size.import.wallSeconds} s)${passesNote(size.import)}.`,
    '',
    '| operation | GraphQL p50 | p95 | p99 | req/s | direct Cypher p50 | p95 | req/s | GraphQL / direct (p50), median of rounds (min–max) | @neo4j/graphql p50 | req/s | ours / theirs (req/s), median of rounds (min–max) | errors |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...size.results.map((result) =>
      result.failure !== null
        ? row([
            result.scenario,
            `failed its check: ${result.failure.replaceAll('|', '/')}`,
            ...Array<string>(11).fill('—'),
          ])
        : row([
            result.scenario,
            result.graphql?.requests === 0
              ? `no request finished in ${result.roundSeconds} s (${result.graphql.unfinished} in flight)`
              : figure(result.graphql?.p50),
            censored(result) ? `≥ ${figure(result.graphql?.p95)} (see below)` : figure(result.graphql?.p95),
            figure(result.graphql?.p99),
            figure(result.graphql?.throughput),
            figure(result.direct?.p50),
            figure(result.direct?.p95),
            figure(result.direct?.throughput),
            spreadText(result.directRatio),
            figure(result.library?.p50),
            figure(result.library?.throughput),
            result.library ? spreadText(result.libraryRatio) : '—',
            (result.graphql?.errors ?? 0) + (result.direct?.errors ?? 0) + (result.library?.errors ?? 0),
          ]),
    ),
    '',
    ...cpuLines(size, report),
    ...(size.results.some((result) => result.failure === null && censored(result))
      ? [`≥: p99 took half a round or more — ${CENSORED_NOTE}.`, '']
      : []),
    ...(size.results.some((result) => result.roundSeconds > report.settings.seconds)
      ? [
          `Longer rounds (roundSecondsFor: at least ${report.settings.connections * ROUND_QUEUE_FACTOR} times a warm request's mean time, at most ${MAX_ROUND_SECONDS} s), so that the requests queued in the admission lane finish within their round: ${size.results
            .filter((result) => result.roundSeconds > report.settings.seconds)
            .map((result) => `${result.scenario} ${result.roundSeconds} s`)
            .join('; ')}.`,
          '',
        ]
      : []),
    `Warm-up (before each operation's rounds, unmeasured: each variable set sent to our service twice, one at a time, so that Neo4j has planned its statements and the service holds its structures; the slowest request, then the slowest and the mean of the second pass): ${size.results
      .filter((result) => result.warmUp !== null)
      .map(
        (result) =>
          `${result.scenario} ${figure(result.warmUp!.slowestMs)} ms (${figure(result.warmUp!.slowestSecondPassMs)}, ${figure(result.warmUp!.meanSecondPassMs)})`,
      )
      .join('; ')}.`,
    '',
    ...(size.results.some((result) => (result.warmUp?.loadJitSeconds.length ?? 0) > 0)
      ? [
          `Then warm-up under load (warmUnderLoad, unmeasured: stretches of load as long as a round, until Neo4j's JVM compiled less than ${STILL_COMPILING_SECONDS} s during one, at most ${MAX_LOAD_WARM_UPS}), so that the rounds measure a running service rather than a JVM still compiling its code; JIT compilation in Neo4j (s, jstat) during each stretch → during our measured rounds: ${size.results
            .filter((result) => (result.warmUp?.loadJitSeconds.length ?? 0) > 0)
            .map(
              (result) =>
                `${result.scenario} ${result
                  .warmUp!.loadJitSeconds.map((jit) => (jit === null ? '?' : figure(jit)))
                  .join(', ')} → ${result.roundsJitSeconds === null ? '?' : figure(result.roundsJitSeconds)}`,
            )
            .join('; ')}.`,
          '',
        ]
      : []),
    ...(size.results.some((result) => result.variableSets !== null)
      ? [
          `Draws measured (the analytics, each on its set variable sets, the same at every size): ${size.results
            .filter((result) => result.variableSets !== null)
            .map(
              (result) =>
                `${result.scenario} ${result.variableSets!.length} (${result.variableSets!.map((variables) => Object.values(variables).map(String).join(' ')).join('; ')})`,
            )
            .join('; ')}.`,
          '',
        ]
      : []),
    `Peak memory (RSS): our server ${size.serverPeakRssMb} MB${size.libraryPeakRssMb === null ? '' : `; the @neo4j/graphql server ${size.libraryPeakRssMb} MB`}. This size took ${size.seconds} s.`,
    '',
  ];
}

function renderMarkdown(report: Report): string {
  const smallest = report.sizes[0]!;
  const largest = report.sizes[report.sizes.length - 1]!;
  const lines = [
    `# Benchmark — ${report.date}`,
    '',
    `Machine: ${Object.entries(report.machine)
      .map(([key, value]) => `${key} ${value}`)
      .join('; ')}.`,
    `Sizes: ${report.sizes.map((size) => count(size.size)).join(', ')} generated enterprises (seed ${report.settings.seed}), each in its own store.`,
    `Load: ${report.settings.connections} concurrent clients on loopback. The contenders (our GraphQL service, the same Cypher straight through the driver, @neo4j/graphql) take turns in ${report.settings.rounds} rounds of ${report.settings.seconds} s each per operation (longer for a slow operation, see below its table), so that other load on the machine falls on all of them alike; p50/p95/p99 and req/s pool the samples of all rounds, the ratios are taken round by round (each round against the same round of the other contender) and given as their median with the smallest and largest round. Latencies in ms; percentiles are nearest-rank (bench/stats.ts). A GraphQL answer with \`errors\` counts as an error.`,
    `Import: ${smallest.import.what}; removed again before the aggregates settle.`,
    '',
    ...report.sizes.flatMap((size) => renderSize(size, report)),
  ];
  if (report.growth.length > 0) {
    lines.push(
      `## Growth: p95 at ${count(largest.size)} / p95 at ${count(smallest.size)}`,
      '',
      `| operation | p95 at ${count(smallest.size)} | p95 at ${count(largest.size)} | ratio |`,
      '|---|---|---|---|',
      ...report.growth.map((item) =>
        row([
          item.scenario,
          figure(item.p95Smallest),
          figure(item.p95Largest),
          Number.isNaN(item.ratio) ? 'n/a' : item.ratio.toFixed(2),
        ]),
      ),
      '',
    );
  }
  lines.push(
    '## Import',
    '',
    '| enterprises in the graph | rows | seconds (last pass) | enterprises/s (last pass) | whole command (s) | enterprises/s, each pass (the first on a Neo4j just started) | JIT compilation in Neo4j during each pass (s, jstat) |',
    '|---|---|---|---|---|---|---|',
    ...report.sizes.map((size) =>
      row([
        count(size.size),
        count(size.import.rows),
        size.import.seconds,
        count(size.import.rowsPerSecond),
        size.import.wallSeconds,
        size.import.passes.map(count).join(', '),
        size.import.jitSeconds.map((seconds) => (seconds === null ? '—' : seconds)).join(', '),
      ]),
    ),
    '',
    '## Goals of issue 12',
    '',
    ...report.goals.map((goal) => `- ${goal.goal}: **${goal.met ? 'met' : 'missed'}** (${goal.detail})`),
    '',
    '## Goals of issue 17',
    '',
    ...floorGoals(report.sizes).map(
      (goal) => `- ${goal.goal}: **${goal.met ? 'met' : 'missed'}** (${goal.detail})`,
    ),
    '',
    `Whole run: ${report.durationSeconds} s (${report.sizes.map((size) => `${count(size.size)}: ${size.seconds} s`).join(', ')}).`,
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, NEO4J_URI: '', LOG_LEVEL: 'warn' });
  const logger = createLogger('warn');
  log(
    `sizes ${settings.sizes.map(count).join(', ')}; ${settings.rounds} rounds of ${settings.seconds} s (or longer: roundSecondsFor) per contender; @neo4j/graphql: ${settings.library}`,
  );
  const apollo = createApolloServer(config, logger);
  await apollo.start();
  const sizes: SizeReport[] = [];
  try {
    for (const [index, size] of settings.sizes.entries())
      sizes.push(await benchSize(size, index === 0, config, logger, apollo));
  } finally {
    await apollo.stop();
  }
  const growth = growthTable(sizes);
  const report: Report = {
    date: new Date().toISOString(),
    machine: machine(),
    settings,
    sizes,
    growth,
    goals: goals(sizes, growth),
    durationSeconds: Math.round((Date.now() - benchStarted) / 1000),
  };
  await mkdir(path.join(ROOT, 'bench/results'), { recursive: true });
  const output = path.join(ROOT, 'bench/results', settings.output);
  await writeFile(`${output}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  await writeFile(`${output}.md`, markdown);
  process.stdout.write(markdown);
}

await main();
