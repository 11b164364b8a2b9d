import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_MAX_RESPONSE_ROWS } from '../../src/config.js';
import { loadSavedOperations } from '../../src/http/explorer.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The row budget over HTTP (issue 11, case 3, the statement side): the single-record query of the issue is refused
 * by the translator itself — the validation-stage cost limit is lifted here, as if it had let it through — while
 * every saved operation runs under the default MAX_RESPONSE_ROWS.
 */

const ATTACK = `query($n: Int) { enterprises(first: $n) { nodes { upstream(depth: 6) { enterprises(first: $n) {
  path { downstream(depth: 6) { enterprises(first: $n) { path { id name nameEn sizeBand creditCode description } } } } } } } } }`;

describe('the row budget of the translator, over HTTP', () => {
  let database: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, { MAX_QUERY_COST: '10000000000' });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it.each([
    ['with first: $n = 100', { n: 100 }, ATTACK],
    [
      'with the default page sizes',
      {},
      ATTACK.replaceAll('(first: $n)', '').replace('query($n: Int)', 'query'),
    ],
  ])('refuses the ~33 MB single-record query %s before it reaches Neo4j', async (_how, variables, query) => {
    const response = await postGraphQL(server.url, { query, variables });
    // enterprises is non-null, so the refusal nulls the whole answer.
    expect(response.body.errors, JSON.stringify(response.body.errors)).toHaveLength(1);
    expect(response.body.data).toBeNull();
    const [error] = response.body.errors!;
    expect(error!.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(error!.extensions.limit).toBe('maxResponseRows');
    expect(error!.path).toEqual(['enterprises']);
    expect(error!.message).toMatch(/could return up to [\d,]+ values/);
    expect(error!.message).toContain('upstream.enterprises.path.downstream.enterprises.path');
    expect(error!.message).toContain(`MAX_RESPONSE_ROWS ${DEFAULT_MAX_RESPONSE_ROWS.toLocaleString('en')}`);
  });

  it('runs every saved operation in queries/ under the default budget', async () => {
    // Each saved operation with its example variables (one run per variables file, as the explorer opens them).
    const operations = loadSavedOperations();
    expect(operations.length).toBeGreaterThan(15);
    for (const operation of operations) {
      const file = operation.variant ? `${operation.file} (${operation.variant})` : operation.file;
      const variables = operation.variables ? (JSON.parse(operation.variables) as unknown) : undefined;
      const response = await postGraphQL(server.url, { query: operation.query, variables });
      expect(response.body.errors, `${file}: ${JSON.stringify(response.body.errors)}`).toBeUndefined();
      expect(response.status, file).toBe(200);
    }
  });
});
