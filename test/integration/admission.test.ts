import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Executor } from '../../src/data/executor.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type GraphQLResponseBody, type TestServer } from '../support/http.js';

/**
 * Issue 11, hostile load: cost-aware admission control. With one expensive slot and no queue, an expensive
 * operation in flight makes a second one get SERVICE_BUSY (HTTP 503, Retry-After) at once, while cheap operations
 * and /health are answered. Before, every operation ran as soon as it arrived, so 50 clients sending the costliest
 * allowed requests left /health and cheap queries waiting for seconds.
 *
 * "In flight" is made deterministic by a gate in front of the real executor: the expensive operation's first read
 * waits for the test to open the gate, then goes on to the real Neo4j.
 */

/** Priced 1 + 100 × 3 = 301: expensive with ADMISSION_CHEAP_MAX_COST=100. */
const EXPENSIVE = '{ enterprises(first: 100) { nodes { id name } } }';
/** Priced 1 + 20 × 2 = 41 and 3: cheap. */
const CHEAP = '{ chains { id } }';
const CHEAPEST = '{ serviceInfo { name version } }';

const OVERRIDES = {
  ADMISSION_CHEAP_MAX_COST: '100',
  ADMISSION_EXPENSIVE_CONCURRENCY: '1',
  ADMISSION_EXPENSIVE_QUEUE: '0',
  // One slot, never more: these tests hold it and expect the next expensive operation refused.
  ADMISSION_EXPENSIVE_IDLE_EXTRA: '0',
  ADMISSION_MAX_WAIT_MS: '2000',
};

/** Holds the next read that starts after `arm()` until `open()`; every other read goes straight through. */
class Gate {
  private armed = false;
  private opened: Promise<void> = Promise.resolve();
  private openIt: () => void = () => undefined;
  private heldIt: () => void = () => undefined;
  /** Resolves once a read is held at the gate. */
  held: Promise<void> = Promise.resolve();

  arm(): void {
    this.armed = true;
    this.opened = new Promise((resolve) => (this.openIt = resolve));
    this.held = new Promise((resolve) => (this.heldIt = resolve));
  }

  open(): void {
    this.openIt();
  }

  async pass(): Promise<void> {
    if (!this.armed) return;
    this.armed = false;
    this.heldIt();
    await this.opened;
  }

  wrap(executor: Executor): Executor {
    return new Proxy(executor, {
      get: (target, property, receiver) => {
        if (property === 'forRequest') {
          return (requestId: string) => this.wrap(target.forRequest(requestId));
        }
        if (property === 'read') {
          return async (...args: Parameters<Executor['read']>) => {
            await this.pass();
            return target.read(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

const codesOf = (body: GraphQLResponseBody) => (body.errors ?? []).map((error) => error.extensions.code);

describe('admission control over HTTP', () => {
  let database: TestDatabase;
  let server: TestServer;
  const gate = new Gate();

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(gate.wrap(database.executor), OVERRIDES);
  });
  afterAll(async () => {
    gate.open();
    await server?.close();
    await database?.close();
  });

  it('refuses a second expensive operation with SERVICE_BUSY and 503 while one runs, and still answers cheap queries and /health', async () => {
    gate.arm();
    const first = postGraphQL<{ enterprises: { nodes: unknown[] } }>(server.url, { query: EXPENSIVE });
    await gate.held;

    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: EXPENSIVE }),
    });
    const body = (await response.json()) as GraphQLResponseBody;
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(body.data).toBeUndefined();
    expect(codesOf(body)).toEqual(['SERVICE_BUSY']);
    expect(body.errors?.[0]?.message).toMatch(/busy with expensive requests.*retry after 2 s/);

    const cheap = await postGraphQL<{ chains: { id: string }[] }>(server.url, { query: CHEAP });
    expect(cheap.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.body.data?.chains.length).toBeGreaterThan(0);
    const cheapest = await postGraphQL(server.url, { query: CHEAPEST });
    expect(cheapest.status).toBe(200);
    expect(cheapest.body.errors).toBeUndefined();
    // A cheap price in a body above ADMISSION_CHEAP_MAX_BYTES (64 KiB by default) takes the expensive lane.
    const padded = await postGraphQL(server.url, {
      query: CHEAPEST,
      variables: { padding: 'x'.repeat(70_000) },
    });
    expect(padded.status).toBe(503);
    expect(codesOf(padded.body)).toEqual(['SERVICE_BUSY']);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);

    gate.open();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data?.enterprises.nodes.length).toBeGreaterThan(0);

    // The slot is free again once the first one has answered.
    const again = await postGraphQL(server.url, { query: EXPENSIVE });
    expect(again.status).toBe(200);
    expect(again.body.errors).toBeUndefined();
  });

  it('admits each operation of a batch by its own price: the cheap one runs, the expensive one is refused', async () => {
    gate.arm();
    const first = postGraphQL(server.url, { query: EXPENSIVE });
    await gate.held;
    const batch = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: CHEAP }, { query: EXPENSIVE }]),
    });
    const answers = (await batch.json()) as GraphQLResponseBody<{ chains?: unknown[] }>[];
    expect(answers).toHaveLength(2);
    expect(answers[0]?.errors).toBeUndefined();
    expect(answers[0]?.data?.chains?.length).toBeGreaterThan(0);
    expect(codesOf(answers[1]!)).toEqual(['SERVICE_BUSY']);
    gate.open();
    expect((await first).status).toBe(200);
  });

  it('gives the slot back after an operation that failed and after a client that went away', async () => {
    // A failure inside execution (a page size the resolver refuses) still frees the slot.
    const refused = await postGraphQL(server.url, {
      query: '{ enterprises(first: 100000) { nodes { id } } }',
    });
    expect(codesOf(refused.body)).toEqual(['BAD_USER_INPUT']);
    const afterError = await postGraphQL(server.url, { query: EXPENSIVE });
    expect(afterError.status).toBe(200);
    expect(afterError.body.errors).toBeUndefined();

    // A client that aborts while its operation runs: the operation ends on the server and frees the slot.
    gate.arm();
    const abort = new AbortController();
    const aborted = fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: EXPENSIVE }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await gate.held;
    abort.abort();
    expect(await aborted).toBeInstanceOf(Error);
    gate.open();
    // The aborted operation finishes on its own time; a request sent after it must be admitted. With no queue, a
    // request arriving before it finished is refused, so ask a few times (never more than the wait budget apart).
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      const response = await postGraphQL(server.url, { query: EXPENSIVE });
      status = response.status;
      if (status !== 200) {
        expect(codesOf(response.body)).toEqual(['SERVICE_BUSY']);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(status).toBe(200);
  });
});

describe("the expensive lane's extra slot over HTTP", () => {
  let database: TestDatabase;
  let server: TestServer;
  /** Long enough that the request sent right after a cheap answer surely comes within it. */
  const QUIET_MS = 1_000;
  // Two gates, one behind the other: with both armed, the first read is held by the outer one and the next read,
  // passing it, by the inner one — a cheap and an expensive operation held at once.
  const outer = new Gate();
  const inner = new Gate();

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(outer.wrap(inner.wrap(database.executor)), {
      ...OVERRIDES,
      ADMISSION_EXPENSIVE_IDLE_EXTRA: '1',
      ADMISSION_EXPENSIVE_IDLE_QUIET_MS: String(QUIET_MS),
    });
  });
  afterAll(async () => {
    outer.open();
    inner.open();
    await server?.close();
    await database?.close();
  });

  it('runs a second expensive operation while nothing cheap is asked, and refuses it while a cheap one runs', async () => {
    // Nothing cheap: while one expensive operation is held, a second one runs in the extra slot.
    outer.arm();
    const first = postGraphQL(server.url, { query: EXPENSIVE });
    await outer.held;
    const second = await postGraphQL<{ enterprises: { nodes: unknown[] } }>(server.url, { query: EXPENSIVE });
    expect(second.status).toBe(200);
    expect(second.body.errors).toBeUndefined();
    expect(second.body.data?.enterprises.nodes.length).toBeGreaterThan(0);
    outer.open();
    expect((await first).status).toBe(200);

    // A cheap operation held in its read, and an expensive one in its own: the lane has its one slot only.
    outer.arm();
    const cheap = postGraphQL(server.url, { query: CHEAP });
    await outer.held;
    inner.arm();
    const held = postGraphQL(server.url, { query: EXPENSIVE });
    await inner.held;
    const refused = await postGraphQL(server.url, { query: EXPENSIVE });
    expect(refused.status).toBe(503);
    expect(codesOf(refused.body)).toEqual(['SERVICE_BUSY']);

    // The cheap one answers: the extra slot is lent again once the cheap lane has been quiet for QUIET_MS.
    outer.open();
    expect((await cheap).status).toBe(200);
    const tooSoon = await postGraphQL(server.url, { query: EXPENSIVE });
    expect(tooSoon.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS + 200));
    const lent = await postGraphQL(server.url, { query: EXPENSIVE });
    expect(lent.status).toBe(200);
    expect(lent.body.errors).toBeUndefined();
    inner.open();
    expect((await held).status).toBe(200);
  });
});
