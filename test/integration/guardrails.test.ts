import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import type { Config } from '../../src/config.js';
import { cypher } from '../../src/data/cypher.js';
import { Executor } from '../../src/data/executor.js';
import {
  deleteByPrefix,
  openTestDatabase,
  testConfig,
  uniquePrefix,
  type TestDatabase,
} from '../support/database.js';
import { savedOperation } from '../support/graphql.js';
import { postGraphQL, serveTestApp, type GraphQLResponseBody, type TestServer } from '../support/http.js';

/** The limits a hostile or careless request runs into, over real HTTP, each with its precise code. */

const EDITOR_KEY = 'editor-key-for-guardrail-tests';
const prefix = uniquePrefix('guard');

describe('guardrails', () => {
  let database: TestDatabase;
  const servers: TestServer[] = [];

  async function serve(overrides: NodeJS.ProcessEnv = {}, executor?: Executor): Promise<string> {
    const server = await serveTestApp(executor ?? database.executor, {
      API_KEYS: `ed:editor:${hashKey(EDITOR_KEY)}`,
      ...overrides,
    });
    servers.push(server);
    return server.url;
  }

  const post = postGraphQL;

  let url: string;
  beforeAll(async () => {
    database = await openTestDatabase();
    url = await serve();
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('rejects too deep, too costly, too many aliases, directives or tokens with QUERY_TOO_COMPLEX and 400', async () => {
    const cases: [string, string][] = [
      ['maxDepth', `{ chains { segments { ${'children { '.repeat(9)}id${' }'.repeat(9)} } } }`],
      ['maxAliases', `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: chains { id }`).join(' ')} }`],
      ['maxDirectives', `{ chains { ${'id @skip(if: false) '.repeat(21)} } }`],
    ];
    for (const [limit, query] of cases) {
      const { status, body } = await post(url, { query });
      expect([limit, status, body.errors?.[0]?.extensions.code, body.errors?.[0]?.extensions.limit]).toEqual([
        limit,
        400,
        'QUERY_TOO_COMPLEX',
        limit,
      ]);
      expect(body.data).toBeUndefined();
    }
    // The costliest saved operation, against a server whose cost limit is below it.
    const costly = await post(await serve({ MAX_QUERY_COST: '1000' }), {
      query: savedOperation('map-segment'),
    });
    expect([
      costly.status,
      costly.body.errors?.[0]?.extensions.code,
      costly.body.errors?.[0]?.extensions.limit,
    ]).toEqual([400, 'QUERY_TOO_COMPLEX', 'maxCost']);
    expect(costly.body.errors?.[0]?.message).toMatch(/^Query Cost limit of 1000 exceeded, found \d+/);
    const tokens = await post(url, { query: `{ chains { ${'id '.repeat(2100)}} }` });
    expect([
      tokens.status,
      tokens.body.errors?.[0]?.extensions.code,
      tokens.body.errors?.[0]?.message,
    ]).toEqual([400, 'QUERY_TOO_COMPLEX', 'The operation has more than 2000 tokens, the limit']);
  });

  it('rejects a page above MAX_PAGE_SIZE and a traversal above MAX_TRAVERSAL_DEPTH with BAD_USER_INPUT naming the argument', async () => {
    const page = await post(url, { query: '{ enterprises(first: 101) { nodes { id } } }' });
    expect(page.body.errors?.[0]).toMatchObject({
      message: "Argument 'first': must be a whole number from 0 to 100",
      extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
    });
    const negative = await post(url, { query: '{ enterprises(first: -1) { nodes { id } } }' });
    expect(negative.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'first',
    });
    const traversal = await post(url, {
      query: '{ enterprise(id: "ent-shiyao") { upstream(depth: 7) { segments { distance } } } }',
    });
    expect(traversal.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'depth',
    });
    expect(traversal.body.errors?.[0]?.message).toMatch(/^Argument 'depth': .*1 to 6/);
  });

  it('answers a body above MAX_BODY_BYTES with 413 and unreadable JSON with 400, as GraphQL-shaped JSON', async () => {
    const small = await serve({ MAX_BODY_BYTES: '2048' });
    const big = await post(small, { query: `{ __typename }`, variables: { padding: 'x'.repeat(3000) } });
    expect(big.status).toBe(413);
    expect(big.contentType).toMatch(/application\/json/);
    expect(big.body.errors?.[0]).toEqual({
      message: 'The request body is larger than the limit of 2048 bytes',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const broken = await post(url, '{"query": "{ __typename }"');
    expect([broken.status, broken.body.errors?.[0]?.extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
    expect(broken.text).not.toMatch(/at .*\.js|node_modules|SyntaxError/);
  });

  it('runs batches up to MAX_BATCH_SIZE and refuses larger or empty ones', async () => {
    const two = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ chains { id } }' }]),
    });
    const results = (await two.json()) as GraphQLResponseBody[];
    expect(two.status).toBe(200);
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual({ data: { __typename: 'Query' } });
    const tooMany = await post(
      url,
      Array.from({ length: 11 }, () => ({ query: '{ __typename }' })),
    );
    expect([
      tooMany.status,
      tooMany.body.errors?.[0]?.extensions.code,
      tooMany.body.errors?.[0]?.message,
    ]).toEqual([400, 'QUERY_TOO_COMPLEX', 'A batch may hold at most 10 operations; this one has 11']);
    const empty = await post(url, []);
    expect([empty.status, empty.body.errors?.[0]?.extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
  });

  it('ends a transaction that runs past NEO4J_TX_TIMEOUT_MS with TIMEOUT and leaves nothing half-written', async () => {
    const config: Config = testConfig();
    const impatient = new Executor(database.driver, {
      database: config.neo4j.database,
      txTimeoutMs: 500,
      appName: 'chain-kg-test',
    });
    const timed = await serve({}, impatient);
    const id = `${prefix}-locked`;
    await database.executor.write(
      'test',
      cypher("MERGE (e:Enterprise { id: $id }) SET e.name = '锁定', e.source = 'ILLUSTRATIVE'", { id }),
    );
    // Another transaction holds the write lock on the enterprise, so the import has to wait for it.
    const session = database.driver.session({ database: config.neo4j.database });
    const holder = await session.beginTransaction();
    try {
      await holder.run("MATCH (e:Enterprise { id: $id }) SET e.name = '持锁'", { id });
      const { status, body } = await post(
        timed,
        {
          query: `mutation ($content: String!) { importRecords(kind: ENTERPRISES, format: CSV, content: $content) { written } }`,
          variables: {
            content: `id,name,regionId,sizeBand,source\n${id},超时,sjz-luquan,SMALL,ILLUSTRATIVE\n${prefix}-second,第二,sjz-luquan,SMALL,ILLUSTRATIVE`,
          },
        },
        { authorization: `Bearer ${EDITOR_KEY}` },
      );
      expect(body.errors?.[0]).toMatchObject({
        message: 'The query took longer than the configured transaction timeout',
        extensions: { code: 'TIMEOUT' },
      });
      expect(status).toBe(200);
    } finally {
      await holder.rollback();
      await session.close();
    }
    const rows = await database.executor.read(
      'test',
      cypher('MATCH (e:Enterprise) WHERE e.id IN $ids RETURN e.id AS id, e.name AS name ORDER BY id', {
        ids: [id, `${prefix}-second`],
      }),
    );
    expect(rows).toEqual([{ id, name: '锁定' }]);
  });

  it('turns introspection, field suggestions and the explorer off in production, and keeps CSRF prevention on', async () => {
    const production = await serve({ NODE_ENV: 'production' });
    const introspection = await post(production, { query: '{ __schema { types { name } } }' });
    expect([introspection.status, introspection.body.errors?.[0]?.extensions.code]).toEqual([
      400,
      'GRAPHQL_VALIDATION_FAILED',
    ]);
    const typo = await post(production, { query: '{ chain(id: "ic") { nam } }' });
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "nam" on type "IndustrialChain".');
    const suggested = await post(url, { query: '{ chain(id: "ic") { nam } }' });
    expect(suggested.body.errors?.[0]?.message).toMatch(/Did you mean "name"/);

    const explorer = await fetch(`${production}/graphql`, { headers: { accept: 'text/html' } });
    expect(await explorer.text()).not.toContain('GraphiQL');
    expect((await fetch(`${production}/map`)).status).toBe(404);
    const explicitlyOn = await serve({
      NODE_ENV: 'production',
      INTROSPECTION_ENABLED: 'true',
      EXPLORER_ENABLED: 'true',
    });
    expect((await post(explicitlyOn, { query: '{ __schema { queryType { name } } }' })).body.data).toEqual({
      __schema: { queryType: { name: 'Query' } },
    });

    // A "simple" cross-site request (no preflight) may not run an operation.
    for (const target of [url, production]) {
      const simpleGet = await fetch(`${target}/graphql?query=${encodeURIComponent('{ __typename }')}`);
      expect(simpleGet.status).toBe(400);
      expect(await simpleGet.text()).toMatch(/CSRF/);
      const simplePost = await fetch(`${target}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(simplePost.status).toBe(400);
    }
  });
});
