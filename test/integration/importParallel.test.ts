import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { creditCodeCheckCharacter } from '../../src/import/creditCode.js';
import { importSources, type ImportSource } from '../../src/import/importer.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';

/**
 * Enterprise imports are written by several transactions at once (pipelined batches). These tests use batches of a
 * few rows so that a small file takes many of them, and check what the import promises: every valid row written once
 * with exact counts, nothing written when any row is bad, and no batch started after one failed.
 */

let codeCounter = Math.floor(Math.random() * 1e6);
function creditCode(): string {
  const first17 = `91130185MB${String(codeCounter++).padStart(7, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

describe('import written by parallel batches', () => {
  let database: TestDatabase;
  const prefix = uniquePrefix('importpar');

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await deleteByPrefix(database.executor, prefix);
    await database.close();
  });

  const enterprises = (name: string, rows: readonly string[]): ImportSource => ({
    name,
    format: 'csv',
    kind: 'enterprises',
    content: ['id,name,creditCode,regionId,sizeBand,highTech,source', ...rows].join('\n'),
  });
  const firms = (tag: string, count: number, region: (index: number) => string) => {
    const codes = Array.from({ length: count }, creditCode);
    return (highTech: (index: number) => string) =>
      Array.from(
        { length: count },
        (_, index) =>
          `${prefix}-${tag}-${String(index).padStart(3, '0')},并行导入${tag}${index},${codes[index]},${region(index)},SMALL,${highTech(index)},ILLUSTRATIVE`,
      );
  };
  const stored = async (tag: string) =>
    database.executor.read(
      'check',
      cypher(
        `MATCH (e:Enterprise) WHERE e.id STARTS WITH $start
         OPTIONAL MATCH (e)-[located:LOCATED_IN]->(region:Region)
         RETURN e.id AS id, e.highTech AS highTech, collect(region.id) AS regions, count(located) AS locations
         ORDER BY id`,
        { start: `${prefix}-${tag}-` },
      ),
    );

  it('writes every row once, with exact created / updated / unchanged counts, across many concurrent batches', async () => {
    const rows = firms('a', 57, (index) => (index % 2 === 0 ? 'sjz-luquan' : 'sjz-gaoxin'));
    const options = { acceptValid: false, batchSize: 4, writers: 3 };

    const first = await importSources(
      database.executor,
      [
        enterprises(
          'a.csv',
          rows(() => '否'),
        ),
      ],
      options,
    );
    expect(first.written).toBe(true);
    expect(first.summaries).toEqual([
      { kind: 'enterprises', rows: 57, created: 57, updated: 0, unchanged: 0, rejected: 0 },
    ]);
    const afterFirst = await stored('a');
    expect(afterFirst).toHaveLength(57);
    expect(afterFirst.every((row) => row['locations'] === 1 && row['highTech'] === false)).toBe(true);

    const again = await importSources(
      database.executor,
      [
        enterprises(
          'a.csv',
          rows(() => '否'),
        ),
      ],
      options,
    );
    expect(again.summaries[0]).toMatchObject({ created: 0, updated: 0, unchanged: 57 });

    // Every third firm becomes high-tech; each firm keeps exactly one location.
    const changed = await importSources(
      database.executor,
      [
        enterprises(
          'a.csv',
          rows((index) => (index % 3 === 0 ? '是' : '否')),
        ),
      ],
      options,
    );
    expect(changed.summaries[0]).toMatchObject({ created: 0, updated: 19, unchanged: 38 });
    const afterChange = await stored('a');
    expect(afterChange.filter((row) => row['highTech'] === true)).toHaveLength(19);
    expect(afterChange.every((row) => row['locations'] === 1)).toBe(true);
  });

  it('writes nothing when one row of a many-batch file is bad, wherever it is', async () => {
    const rows = firms('b', 40, () => 'sjz-luquan')(() => '否');
    rows[37] = rows[37]!.replace('sjz-luquan', `${prefix}-no-such-region`);
    const result = await importSources(database.executor, [enterprises('b.csv', rows)], {
      acceptValid: false,
      batchSize: 3,
      writers: 2,
    });
    expect(result.written).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ line: 39, column: 'regionId' })]);
    expect(await stored('b')).toEqual([]);
  });

  it('starts no batch after one fails, reports the failure, and keeps only the batches that finished', async () => {
    const rows = firms('c', 30, () => 'sjz-luquan')(() => '否');
    let calls = 0;
    const failing = new Proxy(database.executor, {
      get(target, property, receiver) {
        // Every upsert runs as one `transaction` (its statements and its change record).
        if (property === 'transaction') {
          return async (...args: Parameters<Executor['transaction']>) => {
            calls += 1;
            if (calls === 3) throw new Error('injected write failure');
            return target.transaction(...args);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    await expect(
      importSources(failing, [enterprises('c.csv', rows)], { acceptValid: false, batchSize: 5, writers: 2 }),
    ).rejects.toThrow('injected write failure');
    // Six batches; the third failed while at most one other was in flight, so at most four were started.
    expect(calls).toBeLessThanOrEqual(4);
    const written = await stored('c');
    expect(written.length % 5).toBe(0);
    expect(written.length).toBe((calls - 1) * 5);
  });
});
