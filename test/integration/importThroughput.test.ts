import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { refreshAggregates } from '../../src/analytics/aggregates.js';
import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { creditCodeCheckCharacter } from '../../src/import/creditCode.js';
import { importSources } from '../../src/import/importer.js';
import { storedAndRecountedAggregates } from '../support/aggregateRecount.js';
import { csvSource, feedingSegments, importCityTree } from '../support/importFixtures.js';
import {
  deleteByPrefix,
  openTestDatabase,
  uniquePrefix,
  withWriteBefore,
  type TestDatabase,
} from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * Issue 12 (import throughput with the aggregates maintained): an enterprise batch of an import writes its firms and
 * their locations in ONE statement, and records the aggregates' change in a second one, in the same transaction
 * (it sent three: nodes, locations, change record — four when firms of the batch existed, to read their homes). A
 * batch in which nothing changes sends only the write. Whatever the rows (new firms, firms that move or change,
 * repeated rows, a batch that fails), the aggregates refreshed afterwards equal a from-scratch recount.
 * Statements are counted as the app sends them, through the executor (like analyticsRoundTrips.test.ts).
 */

const EDITOR_KEY = 'editor-key-for-the-import-throughput-test';
let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185TP${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

const IMPORT = `mutation Import($content: String!) {
  importRecords(kind: ENTERPRISES, format: CSV, content: $content) {
    written
    summaries { kind rows created updated unchanged rejected }
    problems { line column reason }
  }
}`;

interface Sent {
  readonly operation: string;
  readonly cypher: string;
  readonly params: Record<string, unknown>;
}

describe('import: one write statement per enterprise batch, aggregates exact (issue 12)', () => {
  let database: TestDatabase;
  let server: TestServer;
  let observed: Executor;
  let sent: Sent[] = [];
  const prefix = uniquePrefix('impthru');
  const city = `${prefix}-city`;
  const districts = [0, 1, 2].map((index) => `${prefix}-d${index}`);
  const regions = [city, ...districts];
  const HEADER = 'id,name,creditCode,regionId,sizeBand,highTech,leading,source';
  const codes = new Map<string, string>();
  let segments: [string, string];
  const firmId = (tag: string, index: number) => `${prefix}-${tag}-${String(index).padStart(3, '0')}`;
  const row = (id: string, index: number, district: string, highTech = false) => {
    if (!codes.has(id)) codes.set(id, creditCode());
    return `${id},导入吞吐企业${id.slice(-6)},${codes.get(id)},${district},SMALL,${highTech ? '是' : '否'},${index % 10 === 0 ? '是' : '否'},ILLUSTRATIVE`;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    observed = database.executor.forRequest('import-throughput', ({ operation, query }) => {
      sent.push({ operation, cypher: query.cypher, params: query.params });
    });
    segments = await feedingSegments(database.executor);
    server = await serveTestApp(observed, { API_KEYS: `ed:editor:${hashKey(EDITOR_KEY)}` });
    await importCityTree(
      database.executor,
      { id: city, name: `吞吐市${prefix}` },
      districts.map((id, index) => ({ id, name: `吞吐区${index}${prefix}` })),
    );
    await refreshAggregates(database.executor);
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await server.close();
    await database.close();
  });

  /** Posts an enterprise CSV to importRecords and returns its answer with the statements of its write batches. */
  async function importOverHttp(rows: readonly string[]) {
    sent = [];
    const response = await postGraphQL<{
      importRecords: { written: boolean; summaries: Record<string, unknown>[]; problems: unknown[] };
    }>(
      server.url,
      { query: IMPORT, variables: { content: [HEADER, ...rows].join('\n') } },
      { authorization: `Bearer ${EDITOR_KEY}` },
    );
    expect(response.body.errors).toBeUndefined();
    const answer = response.body.data!.importRecords;
    expect(answer.problems).toEqual([]);
    return { answer, writes: sent.filter((statement) => statement.operation === 'import-enterprises') };
  }

  const isChangeRecord = (statement: Sent) => statement.cypher.includes('CREATE (:AggregateChange');
  /** The general statement (upsertLocatedEnterprisesQuery), which merges; the one for new firms creates. */
  const isGeneralWrite = (statement: Sent) => statement.cypher.includes('MERGE (a:Enterprise');

  /** Refreshes, then compares the stored aggregates of this file's regions with a from-scratch recount. */
  async function expectAggregatesEqualRecount(): Promise<void> {
    const { stored, recounted } = await storedAndRecountedAggregates(database.executor, {
      homeIds: districts,
      regions,
    });
    expect(stored).toEqual(recounted);
    expect(Object.keys(recounted).length).toBeGreaterThan(0);
  }

  const newFirms = Array.from({ length: 12 }, (_, index) => firmId('n', index));

  it('new firms: one write statement and one change record per batch, naming the rows’ homes', async () => {
    const { answer, writes } = await importOverHttp(
      newFirms.map((id, index) => row(id, index, districts[index % 3]!, index % 4 === 0)),
    );
    expect(answer.summaries).toEqual([
      { kind: 'ENTERPRISES', rows: 12, created: 12, updated: 0, unchanged: 0, rejected: 0 },
    ]);
    expect(writes).toHaveLength(2);
    expect(isChangeRecord(writes[0]!)).toBe(false);
    // None of the firms was found by the look-up: they are created outright (createLocatedEnterprisesQuery).
    expect(isGeneralWrite(writes[0]!)).toBe(false);
    expect(isChangeRecord(writes[1]!)).toBe(true);
    expect(writes[1]!.params['homeIds']).toEqual([...districts].sort());
    expect(writes[1]!.params['enterpriseIds']).toEqual([...newFirms].sort());
    const [stored] = await database.executor.read(
      'test',
      cypher(
        `MATCH (e:Enterprise)-[l:LOCATED_IN]->(r:Region) WHERE e.id IN $ids
         RETURN count(DISTINCT e) AS firms, count(l) AS locations, sum(CASE WHEN e.highTech THEN 1 ELSE 0 END) AS highTech`,
        { ids: newFirms },
      ),
    );
    expect(stored).toEqual({ firms: 12, locations: 12, highTech: 3 });
    // Segments, so that the firms count in the aggregates (a firm counts under the segments it operates in).
    const links = await importSources(
      database.executor,
      [
        csvSource(
          'segment-links',
          'links.csv',
          'enterpriseId,segmentId,role,source',
          newFirms.map((id, index) => `${id},${segments[index % 2]},CORE,ILLUSTRATIVE`),
        ),
      ],
      { acceptValid: false },
    );
    expect(links.problems).toEqual([]);
    await expectAggregatesEqualRecount();
  });

  it('firms that move or change: still one write statement, and the change record names the former homes and the homes of the firms they supply', async () => {
    // n-000 (d0, the feeding segment) supplies n-005 (d2, the fed one): moving n-000 to d1 changes the supply
    // edges counted at d2.
    await database.executor.write(
      'test',
      cypher(
        `MATCH (s:Enterprise { id: $supplier }), (b:Enterprise { id: $buyer })
         CREATE (s)-[:SUPPLIES { source: 'ILLUSTRATIVE', products: [] }]->(b)`,
        { supplier: newFirms[0], buyer: newFirms[5] },
      ),
    );
    const { answer, writes } = await importOverHttp([
      row(newFirms[0]!, 0, districts[1]!, true), // moves d0 → d1
      row(newFirms[3]!, 3, districts[0]!, true), // stays in d0, becomes high-tech
      row(newFirms[6]!, 6, districts[0]!), // unchanged
    ]);
    expect(answer.summaries).toEqual([
      // The move counts on the location; n-003 is updated; n-000 keeps its properties.
      { kind: 'ENTERPRISES', rows: 3, created: 0, updated: 1, unchanged: 2, rejected: 0 },
    ]);
    expect(writes).toHaveLength(2);
    expect(isGeneralWrite(writes[0]!)).toBe(true);
    expect(isChangeRecord(writes[1]!)).toBe(true);
    expect(writes[1]!.params['homeIds']).toEqual([...districts].sort());
    const [home] = await database.executor.read(
      'test',
      cypher(`MATCH (:Enterprise { id: $id })-[:LOCATED_IN]->(r:Region) RETURN collect(r.id) AS homes`, {
        id: newFirms[0],
      }),
    );
    expect(home?.['homes']).toEqual([districts[1]]);
    await expectAggregatesEqualRecount();
  });

  it('repeated rows: one write statement and no change record, nothing counted as changed', async () => {
    const { answer, writes } = await importOverHttp([
      row(newFirms[0]!, 0, districts[1]!, true),
      row(newFirms[3]!, 3, districts[0]!, true),
      row(newFirms[6]!, 6, districts[0]!),
    ]);
    expect(answer.summaries).toEqual([
      { kind: 'ENTERPRISES', rows: 3, created: 0, updated: 0, unchanged: 3, rejected: 0 },
    ]);
    expect(writes).toHaveLength(1);
    expect(isChangeRecord(writes[0]!)).toBe(false);
    await expectAggregatesEqualRecount();
  });

  it('many batches: two statements each; a batch that fails leaves neither its firms nor its change record, and the aggregates equal a recount', async () => {
    const ids = Array.from({ length: 40 }, (_, index) => firmId('m', index));
    const rows = ids.map((id, index) => row(id, index, districts[index % 3]!));
    // The third batch fails on the uniqueness of credit codes: another writer takes the code of one of its firms
    // after validation, just before the batch is written.
    const executor = withWriteBefore(observed, 'import-enterprises', 3, () =>
      database.executor.write(
        'test',
        cypher(`CREATE (:Enterprise { id: $id, name: $id, creditCode: $code, source: 'ILLUSTRATIVE' })`, {
          id: `${prefix}-clash`,
          code: codes.get(ids[25]!),
        }),
      ),
    );
    sent = [];
    await expect(
      importSources(executor, [csvSource('enterprises', 'many.csv', HEADER, rows)], {
        acceptValid: false,
        batchSize: 10,
        writers: 1,
      }),
    ).rejects.toThrow();
    const writes = sent.filter((statement) => statement.operation === 'import-enterprises');
    // Two batches written (2 statements each); the third's write sent and failed, then its general write (the
    // fallback for an id taken since the look-up) failed alike; no fourth batch.
    expect(writes.map(isChangeRecord)).toEqual([false, true, false, true, false, false]);
    expect(writes.map(isGeneralWrite)).toEqual([false, false, false, false, false, true]);
    expect(
      writes.filter(isChangeRecord).flatMap((write) => write.params['enterpriseIds'] as string[]),
    ).toEqual(ids.slice(0, 20));
    const written = await database.executor.read(
      'test',
      cypher(`MATCH (e:Enterprise) WHERE e.id IN $ids RETURN e.id AS id ORDER BY id`, { ids }),
    );
    expect(written.map((entry) => entry['id'])).toEqual(ids.slice(0, 20));
    const [changes] = await database.executor.read(
      'test',
      cypher(
        `MATCH (c:AggregateChange) WHERE any(id IN c.enterpriseIds WHERE id IN $lost) RETURN count(c) AS n`,
        { lost: ids.slice(20) },
      ),
    );
    expect(changes?.['n']).toBe(0);
    await deleteByPrefix(database.executor, `${prefix}-clash`);
    await expectAggregatesEqualRecount();
  });
  it('a firm created by another writer after the look-up: the batch is written again the general way, the firm updated and not duplicated', async () => {
    const ids = Array.from({ length: 20 }, (_, index) => firmId('r', index));
    const rows = ids.map((id, index) => row(id, index, districts[index % 3]!));
    // Just before the second batch is written, another writer creates one of its firms (no location, another name).
    const executor = withWriteBefore(observed, 'import-enterprises', 2, () =>
      database.executor.write(
        'test',
        cypher(`CREATE (:Enterprise { id: $id, name: $id, source: 'ILLUSTRATIVE' })`, { id: ids[15] }),
      ),
    );
    sent = [];
    const result = await importSources(executor, [csvSource('enterprises', 'race.csv', HEADER, rows)], {
      acceptValid: false,
      batchSize: 10,
      writers: 1,
    });
    expect(result.problems).toEqual([]);
    expect(result.summaries).toEqual([
      { kind: 'enterprises', rows: 20, created: 19, updated: 1, unchanged: 0, rejected: 0 },
    ]);
    const writes = sent.filter((statement) => statement.operation === 'import-enterprises');
    // Batch 1: create, change record. Batch 2: create (fails on the id), general write, change record.
    expect(writes.map(isGeneralWrite)).toEqual([false, false, false, true, false]);
    expect(writes.map(isChangeRecord)).toEqual([false, true, false, false, true]);
    expect(writes[4]!.params['enterpriseIds']).toEqual(ids.slice(10));
    const [stored] = await database.executor.read(
      'test',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id IN $ids
         OPTIONAL MATCH (e)-[:LOCATED_IN]->(r:Region)
         RETURN count(DISTINCT e) AS firms, count(r) AS locations,
                [x IN collect(e) WHERE x.id = $raced | x.name] AS racedNames`,
        { ids, raced: ids[15] },
      ),
    );
    expect(stored).toEqual({ firms: 20, locations: 20, racedNames: [`导入吞吐企业${ids[15]!.slice(-6)}`] });
    await expectAggregatesEqualRecount();
  });
});
