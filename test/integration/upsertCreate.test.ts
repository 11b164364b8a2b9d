import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import { NodeLabel, RelationshipType } from '../../src/data/model.js';
import { upsertAll, type Properties } from '../../src/data/upsert.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/**
 * A differential test of the import's fast path for new firms (upsertAll's `expectNew`, createLocatedEnterprisesQuery)
 * against the general statement (upsertLocatedEnterprisesQuery), which merges. fast-check draws batches of new firms
 * — any subset of the optional properties, defaults, location properties, a region that exists or not — and writes
 * each batch twice under two id prefixes, once each way. The reports must be equal, and so must every stored firm
 * (its properties but the id) and its location (region and properties). The race the fast path falls back on (an id
 * created since the look-up) is tested through the import in importThroughput.test.ts.
 *
 * UPSERT_CREATE_RUNS sets the number of batches.
 */

const RUNS = Number(process.env['UPSERT_CREATE_RUNS'] ?? 12);

interface DrawnFirm {
  readonly properties: Properties;
  readonly region: 'existing' | 'missing';
  readonly locationProperties: Properties;
}

const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const drawnFirm: fc.Arbitrary<DrawnFirm> = fc.record({
  properties: fc.record({
    name: fc.constantFrom('甲', '乙', 'Alpha', '丙 Co.'),
    source: fc.constantFrom('ILLUSTRATIVE', 'PUBLIC'),
    sizeBand: optional(fc.constantFrom('LARGE', 'MEDIUM', 'SMALL', 'MICRO')),
    highTech: optional(fc.boolean()),
    leading: optional(fc.boolean()),
    formerNames: optional(fc.array(fc.constantFrom('旧名', 'Old'), { maxLength: 2 })),
    employees: optional(fc.integer({ min: 0, max: 50_000 })),
  }),
  region: fc.constantFrom('existing', 'existing', 'existing', 'missing'),
  locationProperties: fc.record({
    source: fc.constantFrom('ILLUSTRATIVE', 'PUBLIC'),
    note: optional(fc.constantFrom('registered office', '注册地')),
  }),
});

describe('creating new firms outright gives what the general upsert gives (import fast path, issue 12)', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('upcreate');
  const region = `${prefix}-region`;

  beforeAll(async () => {
    database = await openTestDatabase();
    await database.executor.write(
      'test',
      cypher(`CREATE (:Region { id: $id, name: $id, level: 'DISTRICT', source: 'ILLUSTRATIVE' })`, {
        id: region,
      }),
    );
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  /** Each firm of the batch with its id's run-specific part left out: properties, then its location. */
  async function stored(idPrefix: string) {
    const rows = await database.executor.read(
      'test',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $idPrefix
         OPTIONAL MATCH (e)-[l:LOCATED_IN]->(r:Region)
         RETURN e.id AS id, properties(e) AS firm, r.id AS regionId, properties(l) AS location ORDER BY id`,
        { idPrefix },
      ),
    );
    return rows.map((row) => {
      const { id, ...firm } = row['firm'] as Record<string, unknown>;
      return {
        id: String(id).slice(idPrefix.length),
        firm,
        regionId: row['regionId'],
        location: row['location'],
      };
    });
  }

  let run = 0;
  it('reports and stores the same firms and locations, whatever the properties, defaults and regions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(drawnFirm, { minLength: 1, maxLength: 8 }),
        fc.record({ leading: optional(fc.boolean()), highTech: optional(fc.boolean()) }),
        fc.boolean(),
        async (firms, defaults, withLocationDefaults) => {
          run += 1;
          const write = async (way: 'create' | 'merge') => {
            const idPrefix = `${prefix}-${run}-${way}-`;
            const rows = firms.map((firm, index) => ({ ...firm.properties, id: `${idPrefix}${index}` }));
            const reports = await upsertAll(
              database.executor,
              'test-upsert-create',
              [{ label: NodeLabel.Enterprise, mode: 'merge', rows, defaults }],
              [
                {
                  type: RelationshipType.LOCATED_IN,
                  from: NodeLabel.Enterprise,
                  to: NodeLabel.Region,
                  exclusive: true,
                  mode: 'merge',
                  rows: firms.map((firm, index) => ({
                    from: `${idPrefix}${index}`,
                    to: firm.region === 'existing' ? region : `${prefix}-nowhere`,
                    properties: firm.locationProperties,
                  })),
                  ...(withLocationDefaults ? { defaults: { products: [] as string[] } } : {}),
                },
              ],
              { expectNew: way === 'create' },
            );
            return { reports, stored: await stored(idPrefix) };
          };
          const created = await write('create');
          const merged = await write('merge');
          expect(created.reports).toEqual(merged.reports);
          expect(created.stored).toEqual(merged.stored);
          expect(created.stored).toHaveLength(firms.length);
        },
      ),
      { numRuns: RUNS, seed: 20261204, endOnFailure: true },
    );
  });
});
