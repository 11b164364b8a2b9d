import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { portProblem } from '../../src/ports.js';
import { launcherPids } from '../support/launcher.js';
import { occupyPort, startMain, type MainProcess } from '../support/mainProcess.js';

/**
 * Issue 11, case 7 (ports): `npm start` when a port it wants is taken. The default Neo4j port (7687, held by
 * another Neo4j or Neo4j Desktop) is swapped for a free one; a port the user chose, Neo4j's or the HTTP one, is
 * reported in one line naming it — the HTTP port before any Neo4j is started — and nothing is left running.
 */

const DEFAULT_BOLT_PORT = 7687;

describe('npm start when a port is taken', () => {
  let storeDir: string;
  let service: MainProcess | undefined;
  const held: { close(): Promise<void> }[] = [];
  const environment = (extra: NodeJS.ProcessEnv) => ({
    NEO4J_LOCAL_DATA_DIR: storeDir,
    NEO4J_LOCAL_HEAP_MB: '512',
    NEO4J_LOCAL_PAGECACHE_MB: '64',
    SEED_WHEN_EMPTY: 'false',
    HOST: '127.0.0.1',
    PORT: '0',
    ...extra,
  });

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(os.tmpdir(), 'chain-kg-ports-'));
  });
  afterEach(async () => {
    if (service !== undefined && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    service = undefined;
    for (const holder of held.splice(0)) await holder.close();
  });
  afterAll(async () => {
    for (const pid of launcherPids(storeDir)) process.kill(pid, 'SIGKILL');
    await rm(storeDir, { recursive: true, force: true });
  });

  it('uses a free port for the local Neo4j, and says so, when 7687 is taken and NEO4J_LOCAL_PORT is not set', async () => {
    // Taken by a plain TCP server, unless something on this machine already holds it (it is taken either way).
    if ((await portProblem('127.0.0.1', DEFAULT_BOLT_PORT)) === null) {
      held.push(await occupyPort(DEFAULT_BOLT_PORT));
    }
    expect(await portProblem('127.0.0.1', DEFAULT_BOLT_PORT)).toBe('EADDRINUSE');

    service = startMain(environment({}));
    const ready = await service.waitForLog('GraphQL service ready');
    const boltPort = Number(new URL(String(ready['neo4j'])).port);
    expect(boltPort).not.toBe(DEFAULT_BOLT_PORT);
    expect(boltPort).toBeGreaterThan(0);
    const notice = service.logs.find((log) => String(log['msg']).startsWith('Port 7687 is in use'));
    expect(notice?.['msg']).toContain(`listens on port ${boltPort} instead`);

    const baseUrl = String(ready['url']).replace(/\/graphql$/, '');
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ chains { id } }' }),
    });
    expect(await response.json()).toEqual({ data: { chains: [] } });

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(launcherPids(storeDir)).toEqual([]);
  });

  it('stops with one line naming NEO4J_LOCAL_PORT when the port set there is taken, leaving no Java process', async () => {
    const holder = await occupyPort();
    held.push(holder);
    service = startMain(environment({ NEO4J_LOCAL_PORT: String(holder.port) }));
    expect(await service.exited).toBe(1);
    expect(service.stderr).toEqual([
      expect.stringMatching(
        new RegExp(`^The local Neo4j's port ${holder.port} \\(NEO4J_LOCAL_PORT\\) is already in use`),
      ),
    ]);
    expect(launcherPids(storeDir)).toEqual([]);
  });

  it('stops with one line naming PORT when the HTTP port is taken, before starting any Neo4j', async () => {
    const holder = await occupyPort();
    held.push(holder);
    service = startMain(environment({ PORT: String(holder.port), NEO4J_LOCAL_PORT: '0' }));
    expect(await service.exited).toBe(1);
    expect(service.stderr).toEqual([
      expect.stringMatching(new RegExp(`^PORT=${holder.port} is already in use on 127\\.0\\.0\\.1`)),
    ]);
    expect(service.logs.map((log) => log['msg'])).not.toContain('Local Neo4j is ready');
    expect(launcherPids(storeDir)).toEqual([]);
  });
});
