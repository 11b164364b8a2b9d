import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { launcherPids } from '../support/launcher.js';
import { startMain } from '../support/mainProcess.js';

/**
 * The service as a user runs it (`npm start` is `node --import tsx src/main.ts`), with the project's own local
 * Neo4j in a temporary store: startup, readiness, persistence across restarts, and that no Java process of ours
 * survives its owner — after SIGTERM, and after the owner is killed outright.
 */

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return condition();
}

async function graphql(baseUrl: string, query: string): Promise<unknown> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

describe('npm start with the local Neo4j', () => {
  let storeDir: string;
  const environment = () => ({
    NEO4J_LOCAL_DATA_DIR: storeDir,
    NEO4J_LOCAL_PORT: '0',
    PORT: '0',
    HOST: '127.0.0.1',
  });

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-e2e-'));
  });
  afterAll(async () => {
    for (const pid of launcherPids(storeDir)) process.kill(pid, 'SIGKILL');
    await rm(storeDir, { recursive: true, force: true });
  });

  it('starts, seeds an empty store, answers GraphQL and /ready, and leaves no Java process after SIGTERM', async () => {
    const service = startMain(environment());
    const ready = await service.waitForLog('GraphQL service ready');
    const baseUrl = String(ready['url']).replace(/\/graphql$/, '');
    expect(service.logs.some((log) => log['msg'] === 'The database is empty: loading the seed data')).toBe(
      true,
    );
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
    expect(await graphql(baseUrl, '{ __typename }')).toEqual({ data: { __typename: 'Query' } });
    expect(launcherPids(storeDir)).toHaveLength(1);

    // A marker written straight to the store, to prove the next start reuses it.
    const driver = neo4j.driver(String(ready['neo4j']));
    await driver.executeQuery(
      "CREATE (:Region { id: 'e2e-marker', name: 'marker', source: 'ILLUSTRATIVE' })",
    );
    await driver.close();

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.logs.some((log) => log['msg'] === 'Shutting down')).toBe(true);
    expect(launcherPids(storeDir)).toEqual([]);
    // The first start loads the whole seed with the public data pack (5,400 listed companies) and builds the
    // aggregates; on two shared cores that has taken over a minute with the Neo4j start.
  }, 180_000);

  it('reuses the stored data on the next start instead of seeding again', async () => {
    const service = startMain(environment());
    const ready = await service.waitForLog('GraphQL service ready');
    expect(service.logs.some((log) => log['msg'] === 'The database is empty: loading the seed data')).toBe(
      false,
    );
    const driver = neo4j.driver(String(ready['neo4j']));
    const { records } = await driver.executeQuery(
      "MATCH (r:Region { id: 'e2e-marker' }) RETURN count(r) AS n",
    );
    await driver.close();
    expect(Number(records[0]?.get('n'))).toBe(1);
    service.child.kill('SIGINT');
    expect(await service.exited).toBe(0);
    expect(launcherPids(storeDir)).toEqual([]);
  });

  it('takes the local Neo4j down with it when the service is killed outright (SIGKILL)', async () => {
    const service = startMain(environment());
    await service.waitForLog('GraphQL service ready');
    expect(launcherPids(storeDir)).toHaveLength(1);
    service.child.kill('SIGKILL');
    await service.exited;
    // The launcher sees its stdin close and shuts down by itself.
    expect(await waitUntil(() => launcherPids(storeDir).length === 0, 30_000)).toBe(true);
  });
});

describe('npm start with bad configuration', () => {
  it('exits with one line naming a non-numeric PORT', async () => {
    const service = startMain({ PORT: 'eighty', NEO4J_URI: 'bolt://127.0.0.1:1' });
    expect(await service.exited).toBe(1);
    expect(service.stderr).toEqual([
      expect.stringMatching(/^Invalid configuration: PORT="eighty": expected a whole number/),
    ]);
  });

  it('exits with one line naming a malformed NEO4J_URI', async () => {
    const service = startMain({ NEO4J_URI: 'http://localhost:7474' });
    expect(await service.exited).toBe(1);
    expect(service.stderr).toEqual([
      expect.stringMatching(/^Invalid configuration: NEO4J_URI="http:\/\/localhost:7474"/),
    ]);
  });

  it('exits with one line naming an unreachable NEO4J_URI, starting no local Neo4j', async () => {
    const service = startMain({ NEO4J_URI: 'bolt://127.0.0.1:1', NEO4J_CONNECT_TIMEOUT_MS: '2000' });
    expect(await service.exited).toBe(1);
    expect(service.stderr).toEqual([
      expect.stringMatching(/^Cannot reach Neo4j at bolt:\/\/127\.0\.0\.1:1 /),
    ]);
  });
});
