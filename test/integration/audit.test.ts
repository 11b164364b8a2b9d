import { auditServer, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { serveTestApp, type TestServer } from '../support/http.js';

/** GraphQL-over-HTTP conformance, checked by graphql-http's own audit against the running service. */
describe('GraphQL over HTTP', () => {
  let database: TestDatabase;
  let server: TestServer;
  let results: AuditResult[];

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    results = await auditServer({ url: `${server.url}/graphql` });
    const count = (status: string) => results.filter((result) => result.status === status).length;
    process.stdout.write(
      `graphql-http audit: ${results.length} audits, ${count('ok')} ok, ${count('notice')} notice, ` +
        `${count('warn')} warn, ${count('error')} error; MUSTs: ` +
        `${results.filter((result) => result.name.startsWith('MUST') && result.status === 'ok').length}/` +
        `${results.filter((result) => result.name.startsWith('MUST')).length} ok\n`,
    );
    for (const result of results.filter((candidate) => candidate.status !== 'ok')) {
      process.stdout.write(
        `  ${result.status}: ${result.name} — ${'reason' in result ? result.reason : ''}\n`,
      );
    }
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('passes every MUST of the spec', () => {
    const musts = results.filter((result) => result.name.startsWith('MUST'));
    expect(musts.length).toBeGreaterThan(10);
    expect(
      musts
        .filter((result) => result.status !== 'ok')
        .map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`),
    ).toEqual([]);
  });
});
