import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Executor } from '../../src/data/executor.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * An unexpected failure — here a real one: the service pointed at a database Neo4j does not have — reaches the
 * client masked, with nothing of the driver, Cypher or stack, and reaches the structured log whole, with the
 * request id the client can quote.
 */
describe('unexpected errors', () => {
  let database: TestDatabase;
  let server: TestServer;
  const lines: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    const misconfigured = new Executor(database.driver, {
      database: 'nosuchdatabase',
      txTimeoutMs: 5_000,
      appName: 'chain-kg-test',
    });
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    server = await serveTestApp(misconfigured, {}, logger);
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it('are masked for the client and logged with the request id', async () => {
    const response = await postGraphQL(
      server.url,
      { query: '{ chains { id name } }' },
      { 'x-request-id': 'mask-check-1' },
    );
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors).toEqual([
      {
        message: 'Internal server error; it has been logged with the request id in the x-request-id header',
        locations: [{ line: 1, column: 3 }],
        path: ['chains'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(response.text).not.toMatch(/nosuchdatabase|Neo4j|Neo\.|MATCH|stack|\.ts:\d+/i);

    const logged = lines
      .map(
        (line) =>
          JSON.parse(line) as {
            level: number;
            requestId?: string;
            msg: string;
            err?: { message: string; code?: string; stack?: string };
          },
      )
      .filter((entry) => entry.requestId === 'mask-check-1' && entry.level >= 50);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.msg).toBe('Unexpected error');
    expect(logged[0]?.err?.message).toMatch(/nosuchdatabase/);
    expect(logged[0]?.err?.code).toMatch(/^Neo\.ClientError\.Database\.DatabaseNotFound$/);
    expect(logged[0]?.err?.stack).toBeDefined();
  });
});
