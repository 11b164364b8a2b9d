import { cypher } from '../src/data/cypher.js';
import { startServiceInProcess } from './inProcess.js';

/**
 * `NEO4J_URI=bolt://… node --import tsx bench/requestCpu.ts [requests]`: the CPU time our process spends per
 * chainGaps and compareRegions (5 cities) request, over HTTP on loopback, one request at a time, with the variables
 * bench/run.ts uses (the generated store's cities and chains). CPU time (process.cpuUsage), not latency, so that other
 * load on a shared machine, and Neo4j's own work, weigh little: the figure is what Node does per request. Also the
 * bytes of each answer and the heap allocated per request (V8's total allocation counter is not exposed, so heap
 * growth between forced collections is left out: the figure is CPU).
 */

const requests = Number(process.argv[2] ?? 200);
const service = await startServiceInProcess('request-cpu');
const { executor, url } = service;

const [row] = await executor.read(
  'bench',
  cypher(
    `CALL { MATCH (r:Region) WHERE r.level IN ['CITY', 'MUNICIPALITY'] WITH r ORDER BY r.id RETURN collect(r.id) AS cities }
     CALL { MATCH (c:IndustrialChain) WITH c ORDER BY c.id RETURN collect(c.id) AS chains }
     RETURN cities, chains`,
    {},
  ),
);
const cities = row?.['cities'] as string[];
const chains = row?.['chains'] as string[];

const OPERATIONS = {
  chainGaps:
    'query Gaps($chainId: ID!, $regionId: ID!) { chainGaps(chainId: $chainId, regionId: $regionId, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { gaps { segment { id name } status score localEnterpriseCount } total { coverageRatio } } }',
  'compareRegions (5 regions)':
    'query Compare($chainId: ID!, $regionIds: [ID!]!) { compareRegions(chainId: $chainId, regionIds: $regionIds, sources: [PLAN, PUBLIC, ILLUSTRATIVE]) { regions { region { id } total { coverageRatio } } segments { segment { id } byRegion { status localEnterpriseCount } } } }',
} as const;

const variablesOf = (name: keyof typeof OPERATIONS, index: number) => {
  const chainId = chains[index % chains.length]!;
  if (name === 'chainGaps') return { chainId, regionId: cities[index % cities.length]! };
  const regionIds = Array.from({ length: 5 }, (_, k) => cities[(index + k * 7) % cities.length]!);
  return { chainId, regionIds };
};

async function post(name: keyof typeof OPERATIONS, index: number): Promise<number> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: OPERATIONS[name], variables: variablesOf(name, index) }),
  });
  const text = await response.text();
  if (!response.ok || text.includes('"errors"')) throw new Error(`${name}: ${text.slice(0, 300)}`);
  return text.length;
}

const lines = [
  `| operation | requests | CPU ms per request (user + system) | answer bytes |`,
  `|---|---|---|---|`,
];
for (const name of Object.keys(OPERATIONS) as (keyof typeof OPERATIONS)[]) {
  // Warm-up: caches, JIT, connections.
  for (let index = 0; index < 30; index += 1) await post(name, index);
  let bytes = 0;
  const start = process.cpuUsage();
  for (let index = 0; index < requests; index += 1) bytes += await post(name, index);
  const used = process.cpuUsage(start);
  lines.push(
    `| ${name} | ${requests} | ${((used.user + used.system) / 1000 / requests).toFixed(2)} | ${Math.round(bytes / requests)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
await service.close();
