import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { cypher } from '../../src/data/cypher.js';
import { importSources } from '../../src/import/importer.js';
import { storedAndRecountedAggregates } from '../support/aggregateRecount.js';
import {
  alternatingSegmentLinks,
  csvSource,
  feedingSegments,
  importCityTree,
} from '../support/importFixtures.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/**
 * An incremental refresh folds a write into the stored sums of the recounted homes' ancestors (stored − replaced
 * cells + new cells) instead of summing every cell of the store again — the nation is an ancestor of every home, so
 * that read every cell for a one-firm change. These tests check, against the real Neo4j, that it no longer does,
 * that the sums still equal a from-scratch recount, and that a home deleted behind the service's back (no change
 * record names it) does not stay counted in its former ancestors.
 */

/** A statement that reads cells' counts beyond the recounted homes' (`$homeIds`): every cell, or a subtree's. */
const readsOtherCells = (text: string) =>
  text.includes('AggregateCell') && text.includes('c.data') && !text.includes('$homeIds');

/**
 * The refresh's two statements on the touched firms (their rank keys, then the most segments any firm operates in)
 * are sent before its first DELETE: an index seek in a transaction that has deleted nodes costs time per deleted
 * node, which made them take minutes after imports of 250,000 firms (src/analytics/aggregates.ts).
 */
function expectFirmStatementsBeforeDeletes(sent: readonly string[]): void {
  const firmStatements = sent.flatMap((text, index) =>
    /UNWIND \$(ids|enterpriseIds) AS id MATCH \(e:Enterprise/.test(text) ? [index] : [],
  );
  const firstDelete = sent.findIndex((text) => /\bDELETE\b/.test(text));
  expect(firmStatements).toHaveLength(2);
  expect(firstDelete).toBeGreaterThan(-1);
  expect(Math.max(...firmStatements)).toBeLessThan(firstDelete);
}

describe('incremental aggregate refresh (issue 12)', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('aggdelta');
  const city = `${prefix}-city`;
  const districts = [0, 1, 2].map((index) => `${prefix}-d${index}`);
  const doomed = `${prefix}-d9`;
  let segments: [string, string];

  const firmId = (district: number, index: number) => `${prefix}-e${district}-${index}`;

  async function importFirms(district: string, districtIndex: number, count: number, highTech: boolean) {
    const ids = Array.from({ length: count }, (_, index) => firmId(districtIndex, index));
    const result = await importSources(
      database.executor,
      [
        csvSource(
          'enterprises',
          'enterprises.csv',
          'id,name,regionId,sizeBand,highTech,source',
          ids.map(
            (id, index) =>
              `${id},增量聚合企业${prefix}${districtIndex}x${index},${district},SMALL,${highTech ? '是' : '否'},ILLUSTRATIVE`,
          ),
        ),
        alternatingSegmentLinks(ids, segments),
        csvSource(
          'supplies',
          'supplies.csv',
          'supplierId,customerId,source',
          ids.flatMap((id, index) =>
            index % 2 === 0 && index + 1 < count ? [`${id},${ids[index + 1]},ILLUSTRATIVE`] : [],
          ),
        ),
      ],
      { acceptValid: false },
    );
    expect(result.problems).toEqual([]);
  }

  /** Refreshes with an observer; the statements it sent. It must have folded a write in, not recounted everything. */
  async function observedRefresh(): Promise<string[]> {
    const sent: string[] = [];
    const summary = await refreshAggregates(
      database.executor.forRequest(`${prefix}-refresh`, ({ query }) => sent.push(query.cypher)),
    );
    expect(summary).toMatchObject({ full: false });
    expect(summary.changes).toBeGreaterThan(0);
    return sent;
  }

  /**
   * Checks the stored aggregates of the city and the homes against a recount, and returns the city's counts over
   * every segment (`*`) under every source.
   */
  async function cityCountsEqualToRecount(homeIds: readonly string[]) {
    const { stored, recounted } = await storedAndRecountedAggregates(database.executor, {
      homeIds: [...homeIds],
      regions: [city, ...homeIds],
    });
    expect(stored).toEqual(recounted);
    return (
      stored[`${city}|PLAN+PUBLIC+ILLUSTRATIVE`] as Record<string, { enterprises: number; highTech: number }>
    )['*']!;
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    segments = await feedingSegments(database.executor);
    // A region tree of this file's own: no other file's firms count in it.
    await importCityTree(
      database.executor,
      { id: city, name: `增量聚合市${prefix}` },
      [...districts, doomed].map((id, index) => ({ id, name: `增量聚合区${index}${prefix}` })),
    );
    for (const [index, district] of districts.entries()) await importFirms(district, index, 12, false);
    await importFirms(doomed, 9, 6, true);
    // Folds the regions and firms in (a structural change: every cell is summed once).
    await refreshAggregates(database.executor);
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  it('folds a one-firm change into the stored sums without reading every cell, and they equal a recount', async () => {
    // One firm of d1 becomes high-tech: its home (and the homes of the firms it supplies) are recounted.
    await importFirms(districts[1]!, 1, 1, true);
    const sent = await observedRefresh();
    expect(sent.filter(readsOtherCells)).toEqual([]);
    expectFirmStatementsBeforeDeletes(sent);
    expect((await cityCountsEqualToRecount([...districts, doomed])).highTech).toBe(6 + 1);
  });

  it('drops the cell of a home deleted behind its back, so its former city no longer counts it', async () => {
    // Another tool deletes a district and its firms: no change record names them.
    await database.executor.write(
      'test',
      cypher(`MATCH (n) WHERE n.id = $doomed OR n.id STARTS WITH $firms DETACH DELETE n`, {
        doomed,
        firms: `${prefix}-e9-`,
      }),
    );
    // The next write through the service, anywhere under the city, starts a refresh.
    await importFirms(districts[0]!, 0, 1, true);
    const sent = await observedRefresh();
    // The city's sums were taken again from every cell (no record says which regions held the deleted home).
    expect(sent.filter(readsOtherCells)).toHaveLength(1);
    const [left] = await database.executor.read(
      'test',
      cypher(`MATCH (c:AggregateCell { homeId: $doomed }) RETURN count(c) AS cells`, { doomed }),
    );
    expect(Number(left?.['cells'])).toBe(0);
    expect(await cityCountsEqualToRecount(districts)).toMatchObject({ enterprises: 36, highTech: 2 });
  });

  it('recounts every home as a rebuild does, reading no cell back, once the changes name most regions', async () => {
    await importFirms(districts[2]!, 2, 1, true);
    const sent: string[] = [];
    // Share 0: any change names more than it (the default, 0.8 of the regions, takes an import across a province).
    const summary = await refreshAggregates(
      database.executor.forRequest(`${prefix}-recount-all`, ({ query }) => sent.push(query.cypher)),
      { recountAllShare: 0 },
    );
    expect(summary).toMatchObject({ full: true, everyFirm: false });
    expect(summary.changes).toBeGreaterThan(0);
    expect(sent.filter((text) => text.includes('AggregateCell') && text.includes('c.data'))).toEqual([]);
    expectFirmStatementsBeforeDeletes(sent);
    expect(await cityCountsEqualToRecount(districts)).toMatchObject({ enterprises: 36, highTech: 3 });
  });

  it('says when the aggregates were built even when a refresh finds nothing to fold in', async () => {
    const first = await refreshAggregates(database.executor);
    const second = await refreshAggregates(database.executor);
    expect(first.asOf).not.toBeNull();
    expect(second.asOf).not.toBeNull();
    // Another file's write may land in between and be folded in by the second refresh: then it is newer.
    if (second.changes === 0) expect(second.asOf).toBe(first.asOf);
    else expect(Date.parse(second.asOf!)).toBeGreaterThanOrEqual(Date.parse(first.asOf!));
  });
});
