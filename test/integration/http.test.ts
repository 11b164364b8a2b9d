import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { loadSavedOperations } from '../../src/http/explorer.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase, testConfig, type TestDatabase } from '../support/database.js';

describe('HTTP surface', () => {
  let database: TestDatabase;
  let app: HttpApp;
  let baseUrl: string;
  const readiness = { migrationsApplied: true };

  beforeAll(async () => {
    database = await openTestDatabase();
    app = await createHttpApp({
      config: testConfig(),
      logger: createLogger('silent'),
      executor: database.executor,
      readiness,
    });
    baseUrl = await app.listen();
  });
  afterAll(async () => {
    await app.close();
    await database.close();
  });

  it('answers GET /health without touching the database', async () => {
    const response = await fetch(`${baseUrl}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers GET /ready with 200 when Neo4j answers and migrations are applied, 503 before', async () => {
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
    readiness.migrationsApplied = false;
    try {
      const response = await fetch(`${baseUrl}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'starting' });
    } finally {
      readiness.migrationsApplied = true;
    }
  });

  it('answers { __typename } over HTTP POST and echoes a request id', async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('abc-123');
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers GraphQL-over-HTTP GET requests that carry a query', async () => {
    const response = await fetch(`${baseUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves the explorer to browsers, with every saved operation and no external resource', async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain('GraphiQL');
    // Nothing the page loads comes from another host: no src/href to http(s) or protocol-relative URLs,
    // no CSS url() or @import of one. (Inlined code still contains URL-shaped strings such as the SVG namespace;
    // those are identifiers, never fetched — the browser test checks that no request leaves the machine.)
    expect(page).not.toMatch(/\s(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(page).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(page).not.toMatch(/@import\s+["'](?:https?:)?\/\//i);
    const operations = loadSavedOperations();
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      const name = /(?:query|mutation)\s+(\w+)/.exec(operation.query)?.[1];
      expect(name, `${operation.file} names its operation`).toBeDefined();
      expect(page).toContain(name);
    }
  });

  it('returns GraphQL errors with a code for invalid operations', async () => {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ noSuchField }' }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
