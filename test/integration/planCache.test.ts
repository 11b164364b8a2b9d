import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { createTestGraph, type TestGraph } from '../support/graphBuilder.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 17: what the service now does once per document instead of once per request (the price, the argument-length
 * check, both in src/graphql/requestCache.ts; the cache-control header without Apollo's per-field instrumentation)
 * answers every request of one query text as if it were the first: over HTTP, the same document alternates between
 * variables (and callers) that must be answered differently, and each request gets its own answer.
 */

const prefix = uniquePrefix('plancache');
const VIEWER_KEY = 'viewer-key-for-plan-cache-tests';
const PHONE = '+86 311 5550 1717';

describe('per-document caches over HTTP', () => {
  let database: TestDatabase;
  let server: TestServer;
  let graph: TestGraph;

  beforeAll(async () => {
    database = await openTestDatabase();
    graph = await createTestGraph(database.executor, prefix, {
      regions: [{ id: 'city', lat: 38.0, lon: 114.5 }],
      chain: 'chain',
      segments: [{ id: 'up', stage: 'UPSTREAM' }],
      firms: [
        { id: 'a', region: 'city', segments: ['up'] },
        { id: 'b', region: 'city', segments: ['up'] },
      ],
    });
    await database.executor.write(
      'test-contact',
      cypher('MATCH (e:Enterprise {id: $id}) SET e.contactPhone = $phone', {
        id: graph.id('a'),
        phone: PHONE,
      }),
    );
    // A small MAX_QUERY_COST, so that one page size of a document passes and another is refused; short ids.
    server = await serveTestApp(database.executor, {
      MAX_QUERY_COST: '100',
      MAX_ID_LENGTH: '64',
      API_KEYS: `plan-cache-viewer:viewer:${hashKey(VIEWER_KEY)}`,
    });
  });
  afterAll(async () => {
    await server?.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('prices each request of one document with its own page size, in either order', async () => {
    const query = 'query Page($n: Int) { enterprises(first: $n) { nodes { id } } }';
    // 1 + n × 2: n = 5 costs 11, n = 60 costs 121 > 100.
    for (const n of [5, 60, 5, 60, 40, 49, 50]) {
      const response = await postGraphQL(server.url, { query, variables: { n } });
      if (1 + n * 2 > 100) {
        expect(response.status, `n = ${n}`).toBe(400);
        expect(response.body.errors?.[0]?.extensions.code).toBe('QUERY_TOO_COMPLEX');
        expect(response.body.errors?.[0]?.message).toContain(`found ${1 + n * 2}`);
      } else {
        expect(response.body.errors, `n = ${n}`).toBeUndefined();
      }
    }
  });

  it('checks the length of each request’s id, after the same document passed with short ones', async () => {
    const query = 'query One($id: ID!) { enterprise(id: $id) { id } }';
    for (const id of [graph.id('a'), 'x'.repeat(65), graph.id('b'), 'y'.repeat(200), graph.id('a')]) {
      const response = await postGraphQL<{ enterprise: { id: string } | null }>(server.url, {
        query,
        variables: { id },
      });
      if (id.length > 64) {
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
        expect(response.body.errors?.[0]?.message).toContain(`Argument 'id': ${id.length} characters long`);
      } else {
        // Each request reads its own firm: nothing of an earlier request's variables carries over.
        expect(response.body.errors).toBeUndefined();
        expect(response.body.data?.enterprise?.id).toBe(id);
      }
    }
  });

  it('answers contact details per caller, alternating on one document', async () => {
    const query = 'query Contact($id: ID!) { enterprise(id: $id) { id contact { phone } } }';
    for (const caller of ['anonymous', 'viewer', 'anonymous', 'viewer', 'anonymous']) {
      const response = await postGraphQL<{ enterprise: { id: string; contact: { phone: string } | null } }>(
        server.url,
        { query, variables: { id: graph.id('a') } },
        caller === 'viewer' ? { 'x-api-key': VIEWER_KEY } : {},
      );
      if (caller === 'viewer') {
        expect(response.body.errors).toBeUndefined();
        expect(response.body.data?.enterprise).toEqual({ id: graph.id('a'), contact: { phone: PHONE } });
      } else {
        expect(response.body.errors?.map((error) => error.extensions.code)).toEqual(['UNAUTHENTICATED']);
        expect(response.body.data?.enterprise).toEqual({ id: graph.id('a'), contact: null });
        expect(response.text).not.toContain(PHONE);
      }
    }
  });

  it('still marks every answer cache-control: no-store', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ enterprise(id: 1) { nope } }' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});
