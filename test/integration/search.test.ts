import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestGraphQL, savedOperation, type TestGraphQL } from '../support/graphql.js';

interface Hit {
  kind: string;
  id: string;
  name: string;
  nameEn: string | null;
  score: number;
  matchedBy: string;
  provenance: { source: string };
}

const SEARCH = `query ($text: String!, $kinds: [SearchKind!], $sources: [ProvenanceSource!], $first: Int) {
  search(text: $text, kinds: $kinds, sources: $sources, first: $first) { kind id name nameEn score matchedBy provenance { source } }
}`;

describe('search', () => {
  let database: TestDatabase;
  let graphql: TestGraphQL;
  beforeAll(async () => {
    database = await openTestDatabase();
    graphql = await createTestGraphQL(database.executor, database.config);
  });
  afterAll(async () => {
    await graphql.stop();
    await database.close();
  });

  const search = async (variables: Record<string, unknown>) =>
    (await graphql.data<{ search: Hit[] }>(SEARCH, variables)).search;

  it('finds Chinese text by substring, with scores in descending order', async () => {
    const hits = await search({ text: '光刻' });
    expect(hits.map((hit) => hit.id)).toContain('ic-photoresist');
    expect(hits.every((hit) => hit.name.includes('光刻') || (hit.nameEn ?? '').length > 0)).toBe(true);
    const scores = hits.filter((hit) => hit.matchedBy === 'FULLTEXT').map((hit) => hit.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('finds a substring in the middle of a Chinese name', async () => {
    const hits = await search({ text: '刻胶', kinds: ['SEGMENT'] });
    expect(hits.map((hit) => hit.id)).toContain('ic-photoresist');
  });

  it('finds single Chinese characters by substring', async () => {
    const hits = await search({ text: '瓷', kinds: ['ENTERPRISE'] });
    expect(hits.map((hit) => hit.id)).toContain('ent-zhongci');
    expect(hits.find((hit) => hit.id === 'ent-zhongci')?.matchedBy).toBe('SUBSTRING');
  });

  it('finds English names by word and by prefix, case-insensitively', async () => {
    expect((await search({ text: 'Photoresist', kinds: ['SEGMENT'] })).map((hit) => hit.id)).toContain(
      'ic-photoresist',
    );
    expect((await search({ text: 'photores', kinds: ['SEGMENT'] })).map((hit) => hit.id)).toContain(
      'ic-photoresist',
    );
    const cspc = await search({ text: 'cspc pharma', kinds: ['ENTERPRISE'] });
    expect(cspc.map((hit) => hit.id)).toContain('ent-shiyao');
    expect(cspc.every((hit) => /cspc/i.test(hit.nameEn ?? ''))).toBe(true);
  });

  it('covers every kind and filters by kind and provenance', async () => {
    const all = await search({ text: '石家庄', first: 100 });
    expect(new Set(all.map((hit) => hit.kind)).size).toBeGreaterThan(2);
    const regions = await search({ text: '石家庄', kinds: ['REGION'] });
    expect(regions.map((hit) => hit.id)).toContain('shijiazhuang');
    expect(regions.every((hit) => hit.kind === 'REGION')).toBe(true);
    const real = await search({ text: '示例', sources: ['PLAN', 'PUBLIC'], first: 100 });
    expect(real.every((hit) => hit.provenance.source !== 'ILLUSTRATIVE')).toBe(true);
  });

  it('runs the saved search operation', async () => {
    const data = await graphql.data<{ search: Hit[] }>(savedOperation('search'));
    expect(data.search.length).toBeGreaterThan(0);
  });

  it('treats query syntax and injection attempts as plain text, never as an error of ours', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            '") OR 1=1 //',
            'name:* OR id:*',
            'a~ AND b^3',
            '\\',
            '"',
            'CALL db.labels()',
            '*',
            'AND OR NOT',
            '光刻"胶',
          ),
          fc.string({ minLength: 1, maxLength: 40 }),
        ),
        async (text) => {
          const result = await graphql.run<{ search: Hit[] }>(SEARCH, { text });
          if (result.errors) {
            expect(result.errors[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
            expect(result.errors[0]?.extensions?.['argument']).toBe('text');
          } else {
            expect(Array.isArray(result.data?.search)).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
