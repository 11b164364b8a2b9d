import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { connectDriver, DatabaseConnectionError } from '../../src/data/driver.js';
import { Executor } from '../../src/data/executor.js';
import { AppError } from '../../src/errors.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

describe('Executor against the real Neo4j', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('executor');

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('sends the statement compact, with its quoted text unchanged (compactCypher)', async () => {
    const rows = await database.executor.read(
      'test',
      cypher(
        `// a comment line
         RETURN 'a  // not a comment' AS slashes,   /* a block */ "b\\"  c" AS escaped,
                { \`two  words\`: 1 } AS map // a comment at the end`,
      ),
    );
    expect(rows).toEqual([{ slashes: 'a  // not a comment', escaped: 'b"  c', map: { 'two  words': 1 } }]);
  });

  it('returns plain values: numbers for integers, ISO strings for temporals, property maps for nodes', async () => {
    const rows = await database.executor.read(
      'test',
      cypher(
        `RETURN 42 AS count, date('2020-12-31') AS day, datetime('2018-01-01T08:00:00Z') AS instant,
                [1, 2] AS list, { nested: 7 } AS map, null AS nothing`,
      ),
    );
    expect(rows).toEqual([
      {
        count: 42,
        day: '2020-12-31',
        instant: '2018-01-01T08:00:00Z',
        list: [1, 2],
        map: { nested: 7 },
        nothing: null,
      },
    ]);
  });

  it('writes all statements of a transaction, or none of them', async () => {
    const good = cypher('CREATE (:Region { id: $id, name: $id })', { id: `${prefix}-a` });
    const bad = cypher('CREATE (:Region { id: $id })', { id: `${prefix}-a` }); // violates the unique constraint
    await expect(
      database.executor.transaction('test', async (run) => {
        await run(good);
        await run(bad);
      }),
    ).rejects.toMatchObject({
      extensions: { code: 'CONFLICT' },
    });
    const rows = await database.executor.read(
      'test',
      cypher('MATCH (r:Region { id: $id }) RETURN count(r) AS n', { id: `${prefix}-a` }),
    );
    expect(rows[0]?.['n']).toBe(0);
  });

  it('reports every statement to the request observer, tagged with the operation', async () => {
    const seen: string[] = [];
    const view = database.executor.forRequest('req-1', (event) =>
      seen.push(`${event.mode}:${event.operation}`),
    );
    await view.read('first', cypher('RETURN 1'));
    await view.write('second', cypher('RETURN 2'));
    expect(seen).toEqual(['READ:first', 'WRITE:second']);
  });

  it('maps a transaction that runs past its timeout to TIMEOUT', async () => {
    const impatient = new Executor(database.driver, {
      database: database.config.neo4j.database,
      txTimeoutMs: 200,
      appName: 'test',
    });
    const error = await impatient
      .read('slow', cypher('UNWIND range(1, 200000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x)'))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('TIMEOUT');
  });

  it('maps an unreachable database to DATABASE_UNAVAILABLE once the driver is closed', async () => {
    const driver = await connectDriver(database.config.neo4j.uri!, database.config.neo4j);
    const executor = new Executor(driver, {
      database: database.config.neo4j.database,
      txTimeoutMs: 1000,
      appName: 'test',
    });
    await driver.close();
    const error = await executor.ping().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DATABASE_UNAVAILABLE');
  });

  it('fails fast with a one-line reason when NEO4J_URI points nowhere', async () => {
    const error = await connectDriver('bolt://127.0.0.1:1', {
      ...database.config.neo4j,
      connectTimeoutMs: 2000,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseConnectionError);
    expect((error as Error).message).toMatch(/^Cannot reach Neo4j at bolt:\/\/127\.0\.0\.1:1/);
    expect((error as Error).message).not.toContain('\n');
  });
});
