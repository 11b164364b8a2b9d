import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { filterKey, refreshAggregates } from '../../src/analytics/aggregates.js';
import { cypher } from '../../src/data/cypher.js';
import { creditCodeCheckCharacter } from '../../src/import/creditCode.js';
import { importSources } from '../../src/import/importer.js';
import { storedAndRecountedAggregates } from '../support/aggregateRecount.js';
import {
  alternatingSegmentLinks,
  csvSource,
  feedingSegments,
  importCityTree,
} from '../support/importFixtures.js';
import {
  deleteByPrefix,
  openTestDatabase,
  uniquePrefix,
  withWriteBefore,
  type TestDatabase,
} from '../support/database.js';

/**
 * An import records, per batch, the home regions its firms count in — read once after the writes, taken from the
 * location rows for the firms the batch creates, and from the replaced location for a firm that moves (issue 12).
 * These tests import through the real pipeline (importSources, as `npm run import` and importRecords) in many
 * small concurrent batches, and check that the recorded homes are the right ones and that the aggregates, once
 * refreshed, equal a from-scratch recount of the same regions — including after firms move, and after a batch fails.
 */

let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185MA${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

describe('import keeps the analytics aggregates exact (issue 12)', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('importagg');
  const city = `${prefix}-city`;
  const districts = [0, 1, 2].map((index) => `${prefix}-d${index}`);
  const regions = [city, ...districts];
  let segments: [string, string];

  beforeAll(async () => {
    database = await openTestDatabase();
    segments = await feedingSegments(database.executor);
    // A region tree of this file's own, so that no other file's firms count in it.
    await importCityTree(
      database.executor,
      { id: city, name: `导入聚合市${prefix}` },
      districts.map((id, index) => ({ id, name: `导入聚合区${index}${prefix}` })),
    );
    await refreshAggregates(database.executor);
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  /** The change records the import's transactions wrote (seen as they are sent; a refresh elsewhere may consume them). */
  const changes: { homeIds: string[]; enterpriseIds: string[] }[] = [];
  const observed = () =>
    database.executor.forRequest(`${prefix}-import`, ({ query }) => {
      if (query.cypher.includes('CREATE (:AggregateChange'))
        changes.push({
          homeIds: query.params['homeIds'] as string[],
          enterpriseIds: query.params['enterpriseIds'] as string[],
        });
    });

  /** The homes the change records name for these firms. */
  function recordedHomes(firmIds: readonly string[]): Set<string> {
    const wanted = new Set(firmIds);
    return new Set(
      changes
        .filter((change) => change.enterpriseIds.some((id) => wanted.has(id)))
        .flatMap((change) => change.homeIds),
    );
  }

  /** Refreshes, then compares the stored aggregates of this file's regions with a recount of its homes. */
  async function expectAggregatesEqualRecount(): Promise<number> {
    // Counted in batches smaller than one district (80 firms), so the stored aggregates add up many statements'
    // rows; the recount counts the same homes in one statement.
    await refreshAggregates(database.executor, { countBatchFirms: 50 });
    const { stored, recounted } = await storedAndRecountedAggregates(database.executor, {
      homeIds: districts,
      regions,
    });
    expect(stored).toEqual(recounted);
    const all = recounted[`${city}|${filterKey(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])}`] as
      Record<string, { enterprises: number }> | undefined;
    return all?.['*']?.enterprises ?? 0;
  }

  const firmId = (tag: string, index: number) => `${prefix}-${tag}-${String(index).padStart(3, '0')}`;

  it('records the homes of a large import of new firms without reading them, and the aggregates equal a recount', async () => {
    const count = 240;
    const ids = Array.from({ length: count }, (_, index) => firmId('a', index));
    const result = await importSources(
      observed(),
      [
        csvSource(
          'enterprises',
          'enterprises.csv',
          'id,name,creditCode,regionId,sizeBand,highTech,leading,source',
          ids.map(
            (id, index) =>
              `${id},导入聚合企业${prefix}${index},${creditCode()},${districts[index % 3]},${['LARGE', 'SMALL', 'MICRO'][index % 3]},${index % 4 === 0 ? '是' : '否'},${index % 10 === 0 ? '是' : '否'},ILLUSTRATIVE`,
          ),
        ),
        alternatingSegmentLinks(ids, segments),
        csvSource(
          'supplies',
          'supplies.csv',
          'supplierId,customerId,source',
          // Suppliers in the feeding segment sell to buyers in the fed one, within a district and across districts.
          ids.flatMap((id, index) =>
            index % 2 === 0 && index + 1 < count
              ? [`${id},${ids[(index + 1 + (index % 6)) % count]},ILLUSTRATIVE`]
              : [],
          ),
        ),
      ],
      { acceptValid: false, batchSize: 25, writers: 3 },
    );
    expect(result.problems).toEqual([]);
    expect(result.summaries.find((summary) => summary.kind === 'enterprises')?.created).toBe(count);
    expect(recordedHomes(ids)).toEqual(new Set(districts));
    expect(await expectAggregatesEqualRecount()).toBe(count);
  });

  it('records the home a firm moves away from, so both districts are recounted and the aggregates equal a recount', async () => {
    const moved = Array.from({ length: 80 }, (_, index) => firmId('a', index * 3)); // the firms of d0
    const result = await importSources(
      observed(),
      [
        csvSource(
          'enterprises',
          'moves.csv',
          'id,name,regionId,sizeBand,source',
          moved.map(
            (id, index) => `${id},导入聚合企业${prefix}${index * 3},${districts[1]},SMALL,ILLUSTRATIVE`,
          ),
        ),
      ],
      { acceptValid: false, batchSize: 15, writers: 2 },
    );
    expect(result.problems).toEqual([]);
    expect(result.summaries[0]?.created).toBe(0);
    // The old home and the new one (and the homes of the firms they supply, d1 and d2).
    expect([...recordedHomes(moved)]).toEqual(expect.arrayContaining([districts[0], districts[1]]));
    const [where] = await database.executor.read(
      'test',
      cypher(
        `MATCH (e:Enterprise)-[:LOCATED_IN]->(r:Region) WHERE e.id IN $ids RETURN collect(DISTINCT r.id) AS homes`,
        { ids: moved },
      ),
    );
    expect(where?.['homes']).toEqual([districts[1]]);
    expect(await expectAggregatesEqualRecount()).toBe(240);
  });

  it('a failing batch leaves neither its firms nor a change record behind, and the aggregates equal a recount', async () => {
    const count = 30;
    const ids = Array.from({ length: count }, (_, index) => firmId('f', index));
    const codes = ids.map(() => creditCode());
    // After validation, just before the second batch is written, another writer takes the credit code of a firm of
    // that batch: the batch fails on the uniqueness constraint, although its validation passed.
    const executor = withWriteBefore(observed(), 'import-enterprises', 2, () =>
      database.executor.write(
        'test',
        cypher(`CREATE (:Enterprise { id: $id, name: $id, creditCode: $code, source: 'ILLUSTRATIVE' })`, {
          id: `${prefix}-clash`,
          code: codes[15],
        }),
      ),
    );
    const attempt = importSources(
      executor,
      [
        csvSource(
          'enterprises',
          'failing.csv',
          'id,name,creditCode,regionId,sizeBand,source',
          ids.map(
            (id, index) =>
              `${id},导入聚合失败${prefix}${index},${codes[index]},${districts[2]},MEDIUM,ILLUSTRATIVE`,
          ),
        ),
        csvSource(
          'segment-links',
          'failing-links.csv',
          'enterpriseId,segmentId,role,source',
          ids.map((id) => `${id},${segments[0]},CORE,ILLUSTRATIVE`),
        ),
      ],
      { acceptValid: false, batchSize: 10, writers: 1 },
    );
    await expect(attempt).rejects.toThrow();
    const [written] = await database.executor.read(
      'test',
      cypher(`MATCH (e:Enterprise) WHERE e.id IN $ids RETURN collect(e.id) AS ids`, { ids }),
    );
    const kept = (written?.['ids'] as string[]).sort();
    // The first batch stays (each batch is its own transaction); the failing batch and those after it wrote nothing.
    expect(kept).toEqual(ids.slice(0, 10));
    expect(recordedHomes(ids.slice(0, 10))).toEqual(new Set([districts[2]]));
    const lost = ids.slice(kept.length);
    expect(recordedHomes(lost)).toEqual(new Set());
    await deleteByPrefix(database.executor, `${prefix}-clash`);
    expect(await expectAggregatesEqualRecount()).toBe(240);
  });
});
