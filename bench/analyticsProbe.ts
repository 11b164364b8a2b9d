import neo4j, { type Driver } from 'neo4j-driver';
import { writeFileSync } from 'node:fs';

import { cypher, type CypherQuery } from '../src/data/cypher.js';
import { lossFirmCityQuery, startServiceInProcess } from './inProcess.js';

/**
 * `NEO4J_URI=bolt://… node --import tsx bench/analyticsProbe.ts [operation] [requests]`: what one analytics request
 * costs alone, on a bench store (served by `npm run neo4j` with NEO4J_LOCAL_DATA_DIR set to it), with variables of the
 * kind bench/run.ts's operations use (the store's cities, chains and segments; the first six that answer without
 * errors — not bench/run.ts's own draw, which PROBE_VARIANTS can pass: a JSON list of variable sets, sent instead;
 * the bench's segment losses include a 378-firm segment at a million firms that the probe's own six lack). Where
 * bench/run.ts measures latency under 10 clients — about ten times one request's cost in the expensive lane — this
 * says where that cost goes, so that a missed goal can be explained and a change judged before a full run:
 *
 * - one request at a time over HTTP on loopback: p50, p95 and mean latency, and the CPU time of this process per
 *   request (the server's, plus a small client's share);
 * - the statements one request sends, by operation name (the executor's observer);
 * - for each statement of the six variants: its median time alone (7 runs straight through the driver) and its
 *   PROFILE: db hits in all, and with PROBE_PLAN=n the n operators with the most. PROBE_DUMP=file writes those
 *   statements (operation, text, parameters) to a JSON file, to compare a statement's variants on the same inputs.
 *
 * `operation` is `targetFirms`, `targetFirmsReal` (the same with its default sources: real data), `segment`
 * (impactOfLosing a segment) or `firm` (impactOfLosing a firm); all four when left out. PROBE_FIRMS: the store's
 * size, for drawing the firms to lose (default 200000).
 */

const OPERATIONS = {
  targetFirms:
    'query Targets($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 10, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { recommendations { enterprise { id name } score factors { name value } } } }',
  // bench/run.ts's 'targetFirms (real data)': the default sources (PLAN and PUBLIC), the provenance lanes' walks.
  targetFirmsReal:
    'query TargetsReal($chainId: ID!, $regionId: ID!) { targetFirms(chainId: $chainId, regionId: $regionId, first: 10) { recommendations { enterprise { id name } score factors { name value } } } }',
  segment:
    'query LoseSegment($segmentId: ID!, $regionId: ID!) { impactOfLosing(segmentId: $segmentId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segmentsAffected { segment { id } before after localEnterprisesAfter } firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } } } }',
  firm: 'query LoseFirm($enterpriseId: ID!, $regionId: ID!) { impactOfLosing(enterpriseId: $enterpriseId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { segmentsAffected { segment { id } before after localEnterprisesAfter } firmsLosingLocalSupply { enterprise { id } lostSuppliers { id } } } }',
} as const;
type OperationName = keyof typeof OPERATIONS;
const VARIANTS = 6;

const [asked, requestsArgument] = process.argv.slice(2);
if (asked !== undefined && !(asked in OPERATIONS))
  throw new Error(`operation must be one of ${Object.keys(OPERATIONS).join(', ')}, not '${asked}'`);
const requests = Number(requestsArgument ?? 60);
if (!Number.isInteger(requests) || requests < 1) throw new Error('requests must be a positive whole number');
const planOperators = Number(process.env['PROBE_PLAN'] ?? 0);
const storeSize = Number(process.env['PROBE_FIRMS'] ?? 200_000);
/** PROBE_VARIANTS: the variable sets to send instead of the ones found (a JSON list), e.g. those of a bench run. */
const givenVariants = parseVariants(process.env['PROBE_VARIANTS']);

/** The statements sent since the last reset, and whether to keep their text (only while profiling: memory). */
const sent: { operation: string; query: CypherQuery }[] = [];
let keepStatements = false;
const counted = new Map<string, number>();
const service = await startServiceInProcess('analytics-probe', (event) => {
  counted.set(event.operation, (counted.get(event.operation) ?? 0) + 1);
  if (keepStatements) sent.push({ operation: event.operation, query: event.query });
});
const { config, driver, executor, url } = service;

async function post(name: OperationName, variables: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: OPERATIONS[name], variables }),
  });
  return response.text();
}

const variantsOf = givenVariants === undefined ? await findVariants() : undefined;

function parseVariants(text: string | undefined): Record<string, unknown>[] | undefined {
  if (text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`PROBE_VARIANTS must be JSON: ${(error as Error).message}`);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length === 0 ||
    !parsed.every((entry) => typeof entry === 'object' && entry !== null && !Array.isArray(entry))
  )
    throw new Error('PROBE_VARIANTS must be a non-empty JSON list of variable objects');
  return parsed as Record<string, unknown>[];
}

for (const name of (asked === undefined ? Object.keys(OPERATIONS) : [asked]) as OperationName[]) {
  const variants = givenVariants ?? variantsOf?.[name] ?? [];
  if (variants.length === 0) {
    console.log(`${name}: no variant answered without errors on this store`);
    continue;
  }
  // Warm-up: plans, caches, JIT.
  for (let index = 0; index < 2 * variants.length; index += 1)
    await post(name, variants[index % variants.length]!);
  counted.clear();
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let index = 0; index < requests; index += 1) {
    const started = performance.now();
    const text = await post(name, variants[index % variants.length]!);
    times.push(performance.now() - started);
    if (text.includes('"errors"')) throw new Error(`${name}: ${text.slice(0, 300)}`);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  const at = (share: number) => times[Math.min(times.length - 1, Math.floor(times.length * share))]!;
  const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
  console.log(
    `${name}: ${requests} requests one at a time: p50 ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, ` +
      `mean ${mean.toFixed(1)} ms; CPU of this process ${((used.user + used.system) / 1000 / requests).toFixed(1)} ms ` +
      `per request; statements per request: ${[...counted]
        .map(([operation, count]) => `${operation} ×${(count / requests).toFixed(2)}`)
        .join(', ')}`,
  );

  // Each statement of one pass over the variants, alone.
  sent.length = 0;
  keepStatements = true;
  for (const variables of variants) await post(name, variables);
  keepStatements = false;
  const dump = process.env['PROBE_DUMP'];
  if (dump)
    writeFileSync(dump, JSON.stringify(sent.map(({ operation, query }) => ({ operation, ...query }))));
  const byOperation = new Map<string, { hits: number[]; medians: number[] }>();
  for (const { operation, query } of sent) {
    const median = await medianTime(driver, query);
    const { hits, top } = await profile(driver, query);
    const entry = byOperation.get(operation) ?? { hits: [], medians: [] };
    entry.hits.push(hits);
    entry.medians.push(median);
    byOperation.set(operation, entry);
    if (planOperators > 0) {
      console.log(`  ${operation}: ${hits} db hits, ${median.toFixed(1)} ms`);
      for (const line of top) console.log(`    ${line}`);
    }
  }
  for (const [operation, { hits, medians }] of byOperation) {
    const meanHits = Math.round(hits.reduce((sum, value) => sum + value, 0) / hits.length);
    console.log(
      `  ${operation}: ${hits.length} statements, mean ${meanHits} db hits (most ${Math.max(...hits)}); ` +
        `median ms alone: ${medians.map((value) => value.toFixed(1)).join(' ')}`,
    );
  }
}
await service.close();

/** Six variables sets per operation that the service answers without errors, drawn as bench/run.ts draws them. */
async function findVariants(): Promise<Record<OperationName, Record<string, unknown>[]>> {
  const [row] = await executor.read(
    'probe',
    cypher(
      `CALL { MATCH (r:Region) WHERE r.level IN ['CITY', 'MUNICIPALITY'] WITH r ORDER BY r.id RETURN collect(r.id) AS cities }
       CALL { MATCH (c:IndustrialChain) WITH c ORDER BY c.id RETURN collect(c.id) AS chains }
       CALL { MATCH (s:ChainSegment) WHERE s.chainId IS NOT NULL WITH s ORDER BY s.id RETURN collect(s.id) AS segments }
       RETURN cities, chains, segments`,
      {},
    ),
  );
  const list = (key: string) => (row?.[key] as string[] | undefined) ?? [];
  const [cities, chains, segments] = [list('cities'), list('chains'), list('segments')];
  const answered = async (name: OperationName, candidates: Record<string, unknown>[]) => {
    const found: Record<string, unknown>[] = [];
    for (const variables of candidates) {
      if (found.length === VARIANTS) break;
      if (!(await post(name, variables)).includes('"errors"')) found.push(variables);
    }
    return found;
  };
  const firms: Record<string, unknown>[] = [];
  for (let attempt = 0; attempt < 400 && firms.length < VARIANTS; attempt += 1) {
    const enterpriseId = `gen-42-e-${(attempt * 7919) % storeSize}`;
    const [firm] = await executor.read('probe', lossFirmCityQuery(enterpriseId));
    if (firm) firms.push({ enterpriseId, regionId: firm['regionId'] });
  }
  const range = (count: number) => Array.from({ length: count }, (_, index) => index);
  return {
    targetFirms: await answered(
      'targetFirms',
      range(60).map((index) => ({
        chainId: chains[(index * 3) % chains.length],
        regionId: cities[(index * 11) % cities.length],
      })),
    ),
    targetFirmsReal: await answered(
      'targetFirmsReal',
      range(60).map((index) => ({
        chainId: chains[(index * 3) % chains.length],
        regionId: cities[(index * 11) % cities.length],
      })),
    ),
    segment: await answered(
      'segment',
      range(200).map((index) => ({
        segmentId: segments[(index * 13) % segments.length],
        regionId: cities[(index * 7) % cities.length],
      })),
    ),
    firm: await answered('firm', firms),
  };
}

/** The median of 7 runs of the statement alone, in ms. */
async function medianTime(driver: Driver, query: CypherQuery): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < 7; run += 1) {
    const session = driver.session({
      database: config.neo4j.database,
      defaultAccessMode: neo4j.session.READ,
    });
    const started = performance.now();
    await session.run(query.cypher, query.params);
    runs.push(performance.now() - started);
    await session.close();
  }
  return runs.sort((a, b) => a - b)[3]!;
}

interface PlanNode {
  readonly operatorType: string;
  readonly dbHits?: number;
  readonly rows?: number;
  readonly arguments?: { readonly Details?: string };
  readonly children?: readonly PlanNode[];
}

/** The statement's db hits in all, and its operators with the most (PROBE_PLAN of them). */
async function profile(driver: Driver, query: CypherQuery): Promise<{ hits: number; top: string[] }> {
  const session = driver.session({ database: config.neo4j.database, defaultAccessMode: neo4j.session.READ });
  const result = await session.run(`PROFILE ${query.cypher}`, query.params);
  await session.close();
  const operators: { hits: number; line: string }[] = [];
  const walk = (node: PlanNode) => {
    const hits = Number(node.dbHits ?? 0);
    const details = (node.arguments?.Details ?? '').replace(/\s+/g, ' ').slice(0, 140);
    operators.push({
      hits,
      line: `${hits}\t${Number(node.rows ?? 0)} rows\t${node.operatorType}\t${details}`,
    });
    for (const child of node.children ?? []) walk(child);
  };
  const plan = result.summary.profile;
  if (plan) walk(plan);
  return {
    hits: operators.reduce((sum, operator) => sum + operator.hits, 0),
    top: operators
      .sort((a, b) => b.hits - a.hits)
      .slice(0, planOperators)
      .map((operator) => operator.line),
  };
}
