import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { TestProject } from 'vitest/node';

import { loadConfig } from '../../src/config.js';
import { connectDriver } from '../../src/data/driver.js';
import { Executor } from '../../src/data/executor.js';
import { applyMigrations } from '../../src/data/migrations.js';
import { startLocalNeo4j, type LocalNeo4jHandle } from '../../src/neo4j/localNeo4j.js';
import { loadSeeds } from '../../src/seed/load.js';
import { refreshAggregates } from '../../src/analytics/aggregates.js';

declare module 'vitest' {
  export interface ProvidedContext {
    neo4jUri: string;
  }
}

/**
 * Starts a throwaway Neo4j for the whole run — a fresh store in a temporary folder on a free port — unless
 * NEO4J_URI names a server to use instead. Applies the migrations and loads the seed data once; tests that need
 * other data create their own under unique ids.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'test' });
  let local: LocalNeo4jHandle | undefined;
  let storeDir: string | undefined;
  let uri = config.neo4j.uri;
  if (uri === undefined) {
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-test-neo4j-'));
    const started = Date.now();
    local = await startLocalNeo4j({
      ...config.localNeo4j,
      dataDir: storeDir,
      port: 0,
      heapMb: 768,
      pageCacheMb: 128,
    });
    uri = local.uri;
    process.stdout.write(
      `Test Neo4j 5.26 started at ${uri} in ${Date.now() - started} ms (store ${storeDir})\n`,
    );
  } else {
    process.stdout.write(`Tests run against NEO4J_URI=${uri}\n`);
  }
  const teardown = async () => {
    await local?.stop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  };
  try {
    const driver = await connectDriver(uri, config.neo4j);
    try {
      const executor = new Executor(driver, {
        database: config.neo4j.database,
        // A fresh JVM on a loaded machine loads the seed slowly (over a minute has been seen with 2 cores shared).
        txTimeoutMs: 300_000,
        appName: 'chain-kg-test',
      });
      await applyMigrations(executor);
      await loadSeeds(executor);
      // Built once here, so that each test's writes are folded in by a small refresh of the homes they touch.
      await refreshAggregates(executor);
    } finally {
      await driver.close();
    }
  } catch (error) {
    // Vitest does not call the teardown when setup throws, so the Neo4j we started is stopped here.
    await teardown();
    throw error;
  }
  project.provide('neo4jUri', uri);
  return teardown;
}
