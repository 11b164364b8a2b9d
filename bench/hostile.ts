import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import { buildASTSchema, concatAST } from 'graphql';
import { pino } from 'pino';

import { loadConfig, type Config } from '../src/config.js';
import { Executor } from '../src/data/executor.js';
import { requestCost } from '../src/graphql/cost.js';
import { loadTypeDefs } from '../src/graphql/typeDefs.js';
import { createHttpApp, type HttpApp } from '../src/http/app.js';
import { QUERIES_DIR } from '../src/http/explorer.js';
import { isDatabaseEmpty, loadSeeds, SEEDS_DIR } from '../src/seed/load.js';
import { openDatabase, type Database } from '../src/service.js';
import { ascending, percentile, round1 } from './stats.js';

/**
 * `npm run load -- --hostile [--duration 30]`: the hostile mix of issue 11. 50 clients on loopback send the WORST
 * requests the limits still allow — the costliest deep traversals and analytics tuned to just under
 * MAX_QUERY_COST, batches of MAX_BATCH_SIZE operations summing to just under it, MAX_QUERY_ALIASES aliases of
 * analytics, variables close to MAX_BODY_BYTES — mixed with cheap queries and /health probes. Bounded: at most
 * 60 s and a fixed number of requests. First each hostile request runs once alone (its solo time, and a check that
 * the limits do allow it); then the mix. It prints /health p50/p99, cheap-query p50/p99 and the worst request time
 * seen, and writes bench/results/hostile-latest.md and .json. The goal (/health p99 under 200 ms, cheap queries
 * answered) is measured and printed, not asserted.
 *
 * The clients run in a worker thread, so their own parsing of large answers does not sit on the service's event
 * loop and the /health figures are the service's.
 */

export const MAX_HOSTILE_SECONDS = 60;
export const MAX_HOSTILE_REQUESTS = 20_000;

type Kind = 'hostile' | 'cheap' | 'health';

export interface HostileRequest {
  readonly name: string;
  readonly kind: Kind;
  /** Share of the mix, relative to the other requests. */
  readonly weight: number;
  /** GET /health when null; otherwise the JSON body POSTed to /graphql. */
  readonly body: string | null;
  /** The price the service puts on it (sum over a batch), for the report. */
  readonly cost: number | null;
}

interface Timing {
  readonly name: string;
  readonly kind: Kind;
  readonly latencies: number[];
  readonly statuses: Record<string, number>;
  readonly codes: Record<string, number>;
  readonly failures: number;
}

export interface HostileResult {
  readonly date: string;
  readonly settings: {
    readonly connections: number;
    readonly durationSeconds: number;
    readonly maxRequests: number;
    readonly maxCost: number;
    readonly machine: string;
    readonly loadAverage: { readonly before: number; readonly after: number };
    /** The admission-control settings the service ran with (src/graphql/admission.ts). */
    readonly admission: Config['admission'];
  };
  readonly solo: readonly {
    name: string;
    cost: number | null;
    ms: number;
    status: number;
    codes: string[];
    bytes: number;
    loopBlockedMs: number;
  }[];
  readonly mix: {
    readonly seconds: number;
    readonly requests: number;
    readonly byRequest: readonly {
      name: string;
      kind: Kind;
      cost: number | null;
      count: number;
      p50: number;
      p99: number;
      max: number;
      statuses: Record<string, number>;
      codes: Record<string, number>;
      failures: number;
    }[];
  };
  readonly health: { count: number; p50: number; p99: number; max: number };
  readonly cheap: { count: number; answered: number; p50: number; p99: number; max: number };
  readonly worst: { name: string; ms: number };
  /** Hostile requests refused by admission control (HTTP 503, SERVICE_BUSY) and answered with 200. */
  readonly shed: { refused: number; busyErrors: number; answered: number };
}

// ---------------------------------------------------------------------------------------------------------------
// The requests

const ENTERPRISE_SCALARS =
  'id name nameEn sizeBand creditCode description flags { highTech leading listed specialised } provenance { source section note }';

function seedIds(file: string): string[] {
  return (JSON.parse(readFileSync(path.join(SEEDS_DIR, file), 'utf8')) as { id: string }[]).map(
    (record) => record.id,
  );
}

/**
 * The largest whole n in [0, max] whose request the service still prices at or under the limit. The price is
 * monotone in n (a property test checks it), so a bisection finds it.
 */
function tune(
  price: (n: number) => number,
  maxCost: number,
  max: number,
): { n: number; cost: number } | null {
  if (price(0) > maxCost) return null;
  let low = 0;
  let high = max;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (price(middle) <= maxCost) low = middle;
    else high = middle - 1;
  }
  return { n: low, cost: price(low) };
}

type Operation = { readonly query: string; readonly variables?: Record<string, unknown> };

/** Whether the running service accepts an operation (no QUERY_TOO_COMPLEX anywhere in its answer). */
type Admits = (operation: Operation) => Promise<boolean>;

function admittedBy(base: string): Admits {
  return async (operation) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(operation),
    });
    return !(await response.text()).includes('"QUERY_TOO_COMPLEX"');
  };
}

/**
 * Narrows a size tuned on the price down to what the service really runs: the translator's row budget
 * (MAX_RESPONSE_ROWS) refuses statements whose worst case is too large even when their price is under the limit, and
 * a refused request is not one of the worst allowed. Bisects with live requests.
 */
async function tuneLive(
  build: (n: number) => Operation,
  priced: { n: number; cost: number } | null,
  price: (n: number) => number,
  admits: Admits,
): Promise<{ n: number; cost: number } | null> {
  if (priced === null || (await admits(build(priced.n)))) return priced;
  let low = 0;
  let high = priced.n - 1;
  if (!(await admits(build(low)))) return null;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (await admits(build(middle))) low = middle;
    else high = middle - 1;
  }
  return { n: low, cost: price(low) };
}

async function buildRequests(config: Config, admits: Admits): Promise<HostileRequest[]> {
  const schema = buildASTSchema(concatAST(loadTypeDefs()));
  const limits = {
    maxPageSize: config.limits.maxPageSize,
    maxTraversalDepth: config.limits.maxTraversalDepth,
  };
  const { maxCost, maxAliases, maxTokens } = config.limits.query;
  const depth = config.limits.maxTraversalDepth;
  const priceOf = (operation: { query: string; variables?: Record<string, unknown> }) =>
    requestCost(schema, operation, limits, maxTokens) ?? Number.POSITIVE_INFINITY;
  const chains = seedIds('chains.json');
  const regions = seedIds('regions.json');
  const enterpriseIds = chains.flatMap((chain) => seedIds(`enterprises/${chain}.json`));
  const hostile: HostileRequest[] = [];
  const add = (name: string, weight: number, operation: unknown, cost: number) =>
    hostile.push({ name, kind: 'hostile', weight, body: JSON.stringify(operation), cost });
  const aliases = (count: number, field: (index: number) => string) =>
    Array.from({ length: count }, (_, index) => `a${index}: ${field(index)}`).join(' ');

  // 1. The costliest deep traversal: pages of firms, each traversed upstream and downstream at the maximum depth,
  // every reached firm with its scalars and its path.
  const deepReach = (n: number) => ({
    query: `query ($n: Int) { enterprises(first: $n, orderBy: { field: ID }) { nodes { id name
      upstream(depth: ${depth}) { enterprises(first: 100) { distance products enterprise { ${ENTERPRISE_SCALARS} } path { id name } }
        segments { distance segment { id name } path { id name } } }
      downstream(depth: ${depth}) { enterprises(first: 100) { distance products enterprise { ${ENTERPRISE_SCALARS} } path { id name } } } } } }`,
    variables: { n },
  });
  const reach = await tuneLive(
    deepReach,
    tune((n) => priceOf(deepReach(n)), maxCost, config.limits.maxPageSize),
    (n) => priceOf(deepReach(n)),
    admits,
  );
  if (reach)
    add(`deep traversal (${reach.n} firms × up+down depth ${depth})`, 3, deepReach(reach.n), reach.cost);

  // 2. Segment traversals from every segment of every chain.
  const segmentReach = (n: number) => ({
    query: `query ($n: Int) { chain(id: "ic") { segments { id
      downstream(depth: ${depth}) { segments { distance segment { id name } path { id name } }
        enterprises(first: $n) { distance local enterprise { id name region { id } } segment { id } } }
      upstream(depth: ${depth}) { enterprises(first: $n) { distance enterprise { id name } } } } } }`,
    variables: { n },
  });
  const segments = await tuneLive(
    segmentReach,
    tune((n) => priceOf(segmentReach(n)), maxCost, config.limits.maxPageSize),
    (n) => priceOf(segmentReach(n)),
    admits,
  );
  if (segments)
    add(
      `segment traversals (every ic segment, first ${segments.n})`,
      2,
      segmentReach(segments.n),
      segments.cost,
    );

  // 3. As many targetFirms (first 10) over every chain and several regions as the price allows, heaviest selection.
  const targetFirms = (count: number) => ({
    query: `{ ${aliases(
      Math.max(1, count),
      (
        index,
      ) => `targetFirms(chainId: "${chains[index % chains.length]}", regionId: "${regions[(index % 3) + 1]}", first: 10) {
        gaps { score segment { id } localEnterprises { id } }
        recommendations { score distanceKm enterprise { id name region { name } } factors { name value explanation }
          fills { score segment { id } } evidence { description nodes { id name } relationships } incentives { number title } } }`,
    )} }`,
  });
  const firms = tune((count) => priceOf(targetFirms(count)), maxCost, maxAliases);
  if (firms && firms.n > 0) add(`${firms.n} × targetFirms (first 10)`, 3, targetFirms(firms.n), firms.cost);

  // 4. compareRegions over 10 regions, as many aliases as the price allows.
  const compare = (count: number) => ({
    query: `{ ${aliases(
      Math.max(1, count),
      (
        index,
      ) => `compareRegions(chainId: "${chains[index % chains.length]}", regionIds: ${JSON.stringify(regions.slice(index, index + 10))}) {
        regions { region { id } total { missing coverageRatio } } segments { segment { id } byRegion { status localEnterpriseCount } } }`,
    )} }`,
  });
  const compared = tune((count) => priceOf(compare(count)), maxCost, maxAliases);
  if (compared && compared.n > 0) {
    add(`${compared.n} × compareRegions (10 regions each)`, 2, compare(compared.n), compared.cost);
  }

  // 5. impactOfLosing of many firms at once.
  const impact = (count: number) => ({
    query: `{ ${aliases(
      Math.max(1, count),
      (
        index,
      ) => `impactOfLosing(enterpriseId: "${enterpriseIds[(index * 7) % enterpriseIds.length]}", regionId: "shijiazhuang") {
        segmentsAffected { segment { id } before after } firmsLosingLocalSupply { enterprise { id name } products lostSuppliers { id } } }`,
    )} }`,
  });
  const impacts = tune((count) => priceOf(impact(count)), maxCost, maxAliases);
  if (impacts && impacts.n > 0) add(`${impacts.n} × impactOfLosing`, 2, impact(impacts.n), impacts.cost);

  // 6. A batch of MAX_BATCH_SIZE operations summing to just under the limit: chain gap reports with their firms.
  const batchOperation = (count: number) => ({
    query: `{ ${aliases(
      Math.max(1, count),
      (index) => `chainGaps(chainId: "${chains[index % chains.length]}", regionId: "${regions[index % 4]}") {
        total { missing } gaps { score status reasons { text } segment { id name } localEnterprises { id } } }`,
    )} }`,
  });
  const { maxBatchSize } = config.limits;
  const perOperation = tune((count) => maxBatchSize * priceOf(batchOperation(count)), maxCost, maxAliases);
  if (perOperation && perOperation.n > 0) {
    const batch = Array.from({ length: maxBatchSize }, () => batchOperation(perOperation.n));
    add(`batch of ${maxBatchSize} × ${perOperation.n} chainGaps`, 2, batch, perOperation.cost);
  }

  // 7. MAX_QUERY_ALIASES full-text searches with large pages.
  const searches = (n: number) => ({
    query: `query ($n: Int) { ${aliases(
      maxAliases,
      (index) =>
        `search(text: "${['石家庄', '科技', '有限公司', 'pharma', '电子'][index % 5]}", first: $n) { kind id name nameEn score provenance { source } }`,
    )} }`,
    variables: { n },
  });
  const searched = tune((n) => priceOf(searches(n)), maxCost, config.limits.maxPageSize);
  if (searched) add(`${maxAliases} × search (first ${searched.n})`, 1, searches(searched.n), searched.cost);

  // 7b. Searches for a lone Chinese character: a substring scan over every name, not an index lookup.
  const loneCharacter = (n: number) => ({
    query: `query ($n: Int) { ${aliases(
      maxAliases,
      (index) =>
        `search(text: "${['石', '科', '电', '药', '光'][index % 5]}", first: $n) { kind id name score }`,
    )} }`,
    variables: { n },
  });
  const lone = tune((n) => priceOf(loneCharacter(n)), maxCost, config.limits.maxPageSize);
  if (lone)
    add(`${maxAliases} × one-character search (first ${lone.n})`, 1, loneCharacter(lone.n), lone.cost);

  // 7c. Pages of the whole country's firms and platforms: a subtree match and a sort before the LIMIT.
  const country = (n: number) => ({
    query: `query ($n: Int) { ${aliases(
      maxAliases,
      (index) =>
        `region(id: "${regions[index % 2]}") { enterprises(first: $n) { id name sizeBand } platforms(first: $n) { id name } }`,
    )} }`,
    variables: { n },
  });
  const whole = tune((n) => priceOf(country(n)), maxCost, config.limits.maxPageSize);
  if (whole)
    add(`${maxAliases} × country-wide region pages (first ${whole.n})`, 1, country(whole.n), whole.cost);

  // 8. Big variables: a provenance filter list as long as MAX_VARIABLE_VALUES and the body limit allow (coerced value
  // by value).
  const sourcesCount = Math.min(
    config.limits.maxVariableValues - 1,
    Math.floor((config.limits.maxBodyBytes - 400) / '"PUBLIC",'.length),
  );
  const big = {
    query:
      'query ($s: [ProvenanceSource!]) { enterprises(first: 100, filter: { sources: $s }) { totalCount nodes { id name } } }',
    variables: { s: Array.from({ length: sourcesCount }, () => 'PUBLIC') },
  };
  add(`big variables (${sourcesCount} list items)`, 1, big, priceOf(big));

  // 9. The costliest saved operation, sent as it is.
  const planOverview = { query: readFileSync(path.join(QUERIES_DIR, 'plan-overview.graphql'), 'utf8') };
  add('saved plan-overview', 1, planOverview, priceOf(planOverview));

  const cheap = (name: string, query: string, variables?: Record<string, unknown>): HostileRequest => ({
    name,
    kind: 'cheap',
    weight: 3,
    body: JSON.stringify({ query, variables }),
    cost: priceOf({ query, variables }),
  });
  return [
    ...hostile,
    cheap('cheap chain', '{ chain(id: "ic") { id name nameEn } }'),
    cheap('cheap enterprise', 'query ($id: ID!) { enterprise(id: $id) { id name region { name } } }', {
      id: 'ent-shiyao',
    }),
    cheap('cheap serviceInfo', '{ serviceInfo { name version } }'),
    { name: '/health', kind: 'health', weight: 6, body: null, cost: null },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The clients (plain JavaScript in a worker thread: its own event loop)

const CLIENTS = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { base, requests, connections, deadline, hardStop, maxRequests } = workerData;
// Requests still running at the hard stop are aborted (and counted as failures), so the run stays bounded.
const stop = new AbortController();
setTimeout(() => stop.abort(), Math.max(0, hardStop - Date.now()));
const schedule = [];
requests.forEach((request, index) => { for (let i = 0; i < request.weight; i += 1) schedule.push(index); });
const timings = requests.map((request) => ({ name: request.name, kind: request.kind, latencies: [], statuses: {}, codes: {}, failures: 0 }));
let sent = 0;
async function send(index) {
  const request = requests[index];
  const timing = timings[index];
  const started = performance.now();
  try {
    const response = request.body === null
      ? await fetch(base + '/health', { signal: stop.signal })
      : await fetch(base + '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body, signal: stop.signal });
    const text = await response.text();
    timing.latencies.push(performance.now() - started);
    timing.statuses[response.status] = (timing.statuses[response.status] || 0) + 1;
    let parsed;
    try { parsed = JSON.parse(text); } catch { parsed = null; }
    const answers = Array.isArray(parsed) ? parsed : [parsed];
    for (const answer of answers) {
      for (const error of (answer && answer.errors) || []) {
        const code = (error.extensions && error.extensions.code) || 'NO_CODE';
        timing.codes[code] = (timing.codes[code] || 0) + 1;
      }
    }
  } catch (error) {
    timing.latencies.push(performance.now() - started);
    timing.failures += 1;
  }
}
async function client() {
  while (Date.now() < deadline && sent < maxRequests) {
    sent += 1;
    await send(schedule[Math.floor(Math.random() * schedule.length)]);
  }
}
Promise.all(Array.from({ length: connections }, () => client())).then(() => {
  parentPort.postMessage({ timings, sent });
});
`;

function runClients(
  base: string,
  requests: readonly HostileRequest[],
  connections: number,
  seconds: number,
  maxRequests: number,
): Promise<{ timings: Timing[]; sent: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENTS, {
      eval: true,
      workerData: {
        base,
        requests,
        connections,
        deadline: Date.now() + seconds * 1000,
        // Up to 20 s for the requests in flight to finish, within MAX_HOSTILE_SECONDS in all.
        hardStop: Date.now() + Math.max(seconds, Math.min(MAX_HOSTILE_SECONDS, seconds + 20)) * 1000,
        maxRequests,
      },
    });
    worker.once('message', (message: { timings: Timing[]; sent: number }) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

/** A percentile of unsorted values, rounded; 0 (not NaN) for none, as this report has always printed. */
const figure = (values: readonly number[], quantile: number) =>
  values.length === 0 ? 0 : round1(percentile(ascending(values), quantile));

const summary = (values: readonly number[]) => ({
  count: values.length,
  p50: figure(values, 0.5),
  p99: figure(values, 0.99),
  max: figure(values, 1),
});

async function soloRun(base: string, request: HostileRequest) {
  // The longest the service's event loop was blocked while it answered (what /health would have waited).
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: request.body ?? '{}',
  });
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  let codes: string[] = [];
  try {
    const parsed = JSON.parse(text) as unknown;
    const answers = (Array.isArray(parsed) ? parsed : [parsed]) as {
      errors?: { extensions?: { code?: string } }[];
    }[];
    codes = answers.flatMap((answer) =>
      (answer.errors ?? []).map((error) => error.extensions?.code ?? 'NO_CODE'),
    );
  } catch {
    codes = ['UNREADABLE'];
  }
  delay.disable();
  return {
    name: request.name,
    cost: request.cost,
    ms,
    status: response.status,
    codes: [...new Set(codes)],
    bytes: text.length,
    loopBlockedMs: Math.round(delay.max / 1e6),
  };
}

export function renderHostileMarkdown(result: HostileResult): string {
  const { settings } = result;
  const goal = result.health.p99 < 200 && result.cheap.answered === result.cheap.count;
  return [
    '# Hostile load (`npm run load -- --hostile`)',
    '',
    `${result.date} · ${settings.connections} clients · ${result.mix.seconds} s · ${result.mix.requests} requests · MAX_QUERY_COST ${settings.maxCost} · ${settings.machine} · load average ${settings.loadAverage.before} → ${settings.loadAverage.after}`,
    '',
    `- **/health**: p50 ${result.health.p50} ms, p99 ${result.health.p99} ms, max ${result.health.max} ms (${result.health.count} probes)`,
    `- **cheap queries**: p50 ${result.cheap.p50} ms, p99 ${result.cheap.p99} ms, max ${result.cheap.max} ms; ${result.cheap.answered} of ${result.cheap.count} answered without errors`,
    `- **worst request seen**: ${result.worst.ms} ms (${result.worst.name})`,
    `- **hostile requests shed**: ${result.shed.refused} refused with HTTP 503 (${result.shed.busyErrors} SERVICE_BUSY errors, counting each operation of a batch), ${result.shed.answered} answered with 200`,
    `- admission: cheap lane price ≤ ${settings.admission.cheapMaxCost} and body ≤ ${settings.admission.cheapMaxBytes} bytes, ${settings.admission.cheap.concurrency} at once (queue ${settings.admission.cheap.queue}); expensive lane ${settings.admission.expensive.concurrency} at once, ${settings.admission.expensive.concurrency + settings.admission.expensive.idleExtra} once no cheap operation has run or waited for ${settings.admission.expensive.idleQuietMs} ms (queue ${settings.admission.expensive.queue}); wait at most ${settings.admission.maxWaitMs} ms`,
    `- goal (/health p99 under 200 ms, every cheap query answered): ${goal ? 'met' : 'NOT met'}`,
    '',
    '## Each hostile request alone (before the mix)',
    '',
    '| request | price | time (ms) | event loop blocked (ms) | status | error codes | answer bytes |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...result.solo.map(
      (solo) =>
        `| ${solo.name} | ${solo.cost ?? ''} | ${solo.ms} | ${solo.loopBlockedMs} | ${solo.status} | ${solo.codes.join(', ') || '—'} | ${solo.bytes} |`,
    ),
    '',
    '## The mix',
    '',
    '| request | kind | price | count | p50 (ms) | p99 (ms) | max (ms) | statuses | error codes | failures |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    ...result.mix.byRequest.map(
      (row) =>
        `| ${row.name} | ${row.kind} | ${row.cost ?? ''} | ${row.count} | ${row.p50} | ${row.p99} | ${row.max} | ${Object.entries(
          row.statuses,
        )
          .map(([status, count]) => `${status}: ${count}`)
          .join(', ')} | ${
          Object.entries(row.codes)
            .map(([code, count]) => `${code}: ${count}`)
            .join(', ') || '—'
        } | ${row.failures} |`,
    ),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The run

export interface HostileOptions {
  readonly durationSeconds?: number;
  readonly connections?: number;
  readonly maxRequests?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly resultsDir?: string;
  readonly log?: (message: string) => void;
}

export async function runHostileLoad(options: HostileOptions = {}): Promise<HostileResult> {
  const seconds = Math.min(options.durationSeconds ?? 30, MAX_HOSTILE_SECONDS);
  const connections = options.connections ?? 50;
  const maxRequests = Math.min(options.maxRequests ?? MAX_HOSTILE_REQUESTS, MAX_HOSTILE_REQUESTS);
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const config = loadConfig({ ...env, HOST: '127.0.0.1', PORT: '0', READ_ACCESS: 'public' });
  const logger = pino({ level: 'silent' });
  let storeDir: string | undefined;
  let database: Database | undefined;
  let app: HttpApp | undefined;
  try {
    if (config.neo4j.uri === undefined) {
      storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-hostile-neo4j-'));
      log(`starting a throwaway local Neo4j in ${storeDir}`);
      database = await openDatabase(
        { ...config, localNeo4j: { ...config.localNeo4j, dataDir: storeDir, port: 0 } },
        logger,
      );
    } else {
      database = await openDatabase(config, logger);
    }
    // Seeding is not what is measured: a generous transaction timeout.
    const setup = new Executor(database.driver, {
      database: config.neo4j.database,
      txTimeoutMs: 120_000,
      appName: 'chain-kg-hostile-load',
    });
    if (await isDatabaseEmpty(setup)) {
      log('loading the seed data');
      await loadSeeds(setup);
    }
    app = await createHttpApp({
      config,
      logger,
      executor: database.executor,
      readiness: { migrationsApplied: true },
    });
    const base = await app.listen();
    const requests = await buildRequests(config, admittedBy(base));

    log('each hostile request alone');
    const solo = [];
    for (const request of requests.filter((candidate) => candidate.kind === 'hostile')) {
      const run = await soloRun(base, request);
      log(
        `  ${run.ms} ms (event loop blocked ${run.loopBlockedMs} ms), ${run.status} ${run.codes.join(',')}: ${request.name} (price ${request.cost})`,
      );
      solo.push(run);
    }

    log(`the mix: ${connections} clients, ${seconds} s, at most ${maxRequests} requests`);
    const loadBefore = os.loadavg()[0]!;
    const started = Date.now();
    const { timings, sent } = await runClients(base, requests, connections, seconds, maxRequests);
    const mixSeconds = Math.round((Date.now() - started) / 100) / 10;
    const loadAfter = os.loadavg()[0]!;

    const byRequest = timings.map((timing, index) => ({
      name: timing.name,
      kind: timing.kind,
      cost: requests[index]!.cost,
      ...summary(timing.latencies),
      statuses: timing.statuses,
      codes: timing.codes,
      failures: timing.failures,
    }));
    const of = (kind: Kind) => timings.filter((timing) => timing.kind === kind);
    const cheapTimings = of('cheap');
    const cheapCount = cheapTimings.reduce((sum, timing) => sum + timing.latencies.length, 0);
    const cheapBad = cheapTimings.reduce(
      (sum, timing) =>
        sum + timing.failures + Object.values(timing.codes).reduce((codes, count) => codes + count, 0),
      0,
    );
    const worstRow = [...byRequest].sort((a, b) => b.max - a.max)[0]!;
    const worstSolo = [...solo].sort((a, b) => b.ms - a.ms)[0];
    const worst =
      worstSolo && worstSolo.ms > worstRow.max
        ? { name: `${worstSolo.name}, alone`, ms: worstSolo.ms }
        : { name: `${worstRow.name}, in the mix`, ms: worstRow.max };
    const result: HostileResult = {
      date: new Date().toISOString(),
      settings: {
        connections,
        durationSeconds: seconds,
        maxRequests,
        maxCost: config.limits.query.maxCost,
        machine: `${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`,
        loadAverage: { before: Math.round(loadBefore * 10) / 10, after: Math.round(loadAfter * 10) / 10 },
        admission: config.admission,
      },
      solo,
      mix: { seconds: mixSeconds, requests: sent, byRequest },
      health: summary(of('health').flatMap((timing) => timing.latencies)),
      cheap: {
        ...summary(cheapTimings.flatMap((timing) => timing.latencies)),
        answered: cheapCount - cheapBad,
      },
      worst,
      shed: {
        refused: of('hostile').reduce((sum, timing) => sum + (timing.statuses['503'] ?? 0), 0),
        busyErrors: of('hostile').reduce((sum, timing) => sum + (timing.codes['SERVICE_BUSY'] ?? 0), 0),
        answered: of('hostile').reduce((sum, timing) => sum + (timing.statuses['200'] ?? 0), 0),
      },
    };
    if (options.resultsDir) {
      await mkdir(options.resultsDir, { recursive: true });
      await writeFile(
        path.join(options.resultsDir, 'hostile-latest.json'),
        `${JSON.stringify(result, null, 2)}\n`,
      );
      await writeFile(path.join(options.resultsDir, 'hostile-latest.md'), renderHostileMarkdown(result));
    }
    return result;
  } finally {
    await app?.close().catch(() => undefined);
    await database?.close();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  }
}
