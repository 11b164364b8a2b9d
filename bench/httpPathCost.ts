import http from 'node:http';

import neo4j from 'neo4j-driver';

import { loadConfig } from '../src/config.js';
import { Executor } from '../src/data/executor.js';
import { createHttpApp, type HttpApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';

/**
 * `node --import tsx bench/httpPathCost.ts [rounds] [requests per round]`: the CPU time this process spends per
 * POST /graphql of `{ __typename }` (answered without Neo4j, so only the HTTP layer and Apollo's pipeline count),
 * through the lean path and through Express's chain, alternating round by round in one process so that other load
 * on the machine falls on both alike. CPU time (process.cpuUsage) rather than wall-clock: it is what the request
 * path costs, and it hardly moves with how busy the machine is. The client runs in the same process; it does the
 * same work for both paths, so the difference is the server's.
 */

const rounds = Number(process.argv[2] ?? 6);
const perRound = Number(process.argv[3] ?? 2000);
const CONCURRENCY = 10;
const BODY = JSON.stringify({ query: '{ __typename }' });

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      },
      (response) => {
        if (response.statusCode !== 200) reject(new Error(`status ${response.statusCode}`));
        response.resume();
        response.on('end', resolve);
      },
    );
    request.on('error', reject);
    request.end(BODY);
  });
}

async function load(url: URL, count: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      await post(url);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function main(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    NEO4J_URI: 'bolt://127.0.0.1:1',
    PORT: '0',
    LOG_LEVEL: 'silent',
  });
  // Never connected: `{ __typename }` does not reach the database.
  const driver = neo4j.driver('bolt://127.0.0.1:1');
  const executor = new Executor(driver, { database: 'neo4j', txTimeoutMs: 1000, appName: 'httpPathCost' });
  const logger = createLogger('silent');
  const readiness = { migrationsApplied: true };
  const apps: Record<'lean' | 'express', HttpApp> = {
    lean: await createHttpApp({ config, logger, executor, readiness }),
    express: await createHttpApp({ config, logger, executor, readiness, graphqlFastPath: false }),
  };
  const urls = {
    lean: new URL('/graphql', await apps.lean.listen()),
    express: new URL('/graphql', await apps.express.listen()),
  };
  // Warm-up: JIT, Apollo's document cache.
  for (const name of ['lean', 'express'] as const) await load(urls[name], perRound / 4);
  const perRequest: Record<'lean' | 'express', number[]> = { lean: [], express: [] };
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? (['lean', 'express'] as const) : (['express', 'lean'] as const);
    for (const name of order) {
      const before = process.cpuUsage();
      await load(urls[name], perRound);
      const used = process.cpuUsage(before);
      perRequest[name].push((used.user + used.system) / perRound);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const lean = median(perRequest.lean);
  const express = median(perRequest.express);
  console.log(`CPU µs per request (client + server, median of ${rounds} rounds of ${perRound}):`);
  console.log(
    `  lean path: ${lean.toFixed(0)}  (rounds: ${perRequest.lean.map((v) => v.toFixed(0)).join(', ')})`,
  );
  console.log(
    `  express:   ${express.toFixed(0)}  (rounds: ${perRequest.express.map((v) => v.toFixed(0)).join(', ')})`,
  );
  console.log(`  lean / express: ${(lean / express).toFixed(2)}`);
  agent.destroy();
  await apps.lean.close();
  await apps.express.close();
  executor.close();
  await driver.close();
}

await main();
