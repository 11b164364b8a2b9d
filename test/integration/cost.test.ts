import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSavedOperations } from '../../src/http/explorer.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type GraphQLResponseBody, type TestServer } from '../support/http.js';

/**
 * Issue 11, cases 3 and 4: the cost of an operation is priced with its variables' values and the default page
 * sizes, multiplied through nested lists and traversals, and summed over the operations of one HTTP batch. Before,
 * graphql-armor's cost rule priced `first: $n` (and a missing `first`) as one row, so these requests ran for tens of
 * seconds and stalled even /health; the limits are the defaults here.
 */

/** Twenty scalars of an enterprise, as in the issue (within the default depth and alias limits). */
const TWENTY_SCALARS =
  'a1: id a2: name id name nameEn sizeBand creditCode description __typename ' +
  'flags { highTech leading listed specialised } provenance { source section note } region { id name }';

/** Case 3, verbatim in shape: three nested pages of `$n` through two depth-6 traversals. */
const CASE_3 = `query ($n: Int) { enterprises(first: $n) { nodes { upstream(depth: 6) { enterprises(first: $n) { path {
  downstream(depth: 6) { enterprises(first: $n) { path { ${TWENTY_SCALARS} } } } } } } } } }`;

/** The same with `first` left out everywhere: the default page sizes apply (20 at the root, 100 below). */
const CASE_3_DEFAULTS = `{ enterprises { nodes { upstream(depth: 6) { enterprises { path {
  downstream(depth: 6) { enterprises { path { ${TWENTY_SCALARS} } } } } } } } } }`;

/** Two aliases of the case 3 query in one operation (it ran twice as long). */
const CASE_3_TWO_ALIASES = `query ($n: Int) {
  a: enterprises(first: $n) { nodes { upstream(depth: 6) { enterprises(first: $n) { path {
    downstream(depth: 6) { enterprises(first: $n) { path { id name } } } } } } } }
  b: enterprises(first: $n) { nodes { upstream(depth: 6) { enterprises(first: $n) { path {
    downstream(depth: 6) { enterprises(first: $n) { path { id name } } } } } } } }
}`;

/** Case 4: one operation of 15 `targetFirms(first: $n)` aliases; a batch holds 10 of them. */
const FIFTEEN_TARGET_FIRMS = `query ($n: Int) { ${Array.from(
  { length: 15 },
  (_, index) =>
    `t${index}: targetFirms(chainId: "ic", regionId: "shijiazhuang", first: $n) { recommendations { score enterprise { id name } } }`,
).join(' ')} }`;

function firstError(body: GraphQLResponseBody | GraphQLResponseBody[]) {
  return (Array.isArray(body) ? body[0] : body)?.errors?.[0];
}

describe('cost with variables, defaults and batches', () => {
  let database: TestDatabase;
  let server: TestServer;
  let url: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor);
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  /** A refusal for cost: 400, QUERY_TOO_COMPLEX, limit maxCost, and the price and limit in numbers and words. */
  async function expectRefusedForCost(body: unknown): Promise<{ message: string; cost: number }> {
    const response = await postGraphQL(url, body);
    const error = firstError(response.body) as
      { message: string; extensions: Record<string, unknown> } | undefined;
    expect([response.status, error?.extensions['code'], error?.extensions['limit']]).toEqual([
      400,
      'QUERY_TOO_COMPLEX',
      'maxCost',
    ]);
    expect(response.body.data).toBeUndefined();
    const cost = Number(error?.extensions['cost']);
    expect(error?.extensions['maxCost']).toBe(100_000);
    expect(cost).toBeGreaterThan(100_000);
    expect(error?.message).toContain(`Query Cost limit of 100000 exceeded`);
    expect(error?.message).toContain(`found ${cost}`);
    return { message: error?.message ?? '', cost };
  }

  it('refuses case 3 with {"n": 100}: the variable page size is priced, multiplied through both traversals', async () => {
    const { cost } = await expectRefusedForCost({ query: CASE_3, variables: { n: 100 } });
    // 100 root rows × 100 reached firms × 7 path nodes × 100 × 7 × the scalars: far beyond any limit.
    expect(cost).toBeGreaterThan(100 * 100 * 7 * 100 * 7);
  });

  it('refuses case 3 with `first` left out: the default page sizes are priced', async () => {
    const { cost } = await expectRefusedForCost({ query: CASE_3_DEFAULTS });
    expect(cost).toBeGreaterThan(20 * 100 * 7 * 100 * 7);
    // Leaving the variable unset is the same as leaving `first` out.
    await expectRefusedForCost({ query: CASE_3 });
  });

  it('refuses the two-alias variant of case 3', async () => {
    await expectRefusedForCost({ query: CASE_3_TWO_ALIASES, variables: { n: 100 } });
    // Even with small pages, two aliases of the nested traversal are more than one operation may cost.
    await expectRefusedForCost({ query: CASE_3_TWO_ALIASES, variables: { n: 10 } });
  });

  it('refuses the case 4 batch (10 operations × 15 targetFirms) whole, naming the batch total', async () => {
    const batch = Array.from({ length: 10 }, () => ({ query: FIFTEEN_TARGET_FIRMS, variables: { n: 10 } }));
    const response = await postGraphQL(url, batch);
    const error = firstError(response.body);
    expect([response.status, error?.extensions.code, error?.extensions.limit]).toEqual([
      400,
      'QUERY_TOO_COMPLEX',
      'maxCost',
    ]);
    expect(Array.isArray(response.body)).toBe(false); // refused whole: not one answer per operation
    const total = Number((error?.extensions as Record<string, unknown> | undefined)?.['cost']);
    expect(error?.message).toMatch(
      new RegExp(
        `^Query Cost limit of 100000 exceeded by the batch, found ${total}: the sum over its 10 operations`,
      ),
    );
    expect(total).toBeGreaterThan(100_000);
  });

  it('refuses a batch whose operations each pass alone but not together, before any of them runs', async () => {
    const one = `query ($n: Int) { targetFirms(chainId: "ic", regionId: "shijiazhuang", first: $n) { recommendations { score } } }`;
    const alone = await postGraphQL(url, { query: one, variables: { n: 10 } });
    expect(alone.body.errors).toBeUndefined();
    const response = await postGraphQL(
      url,
      Array.from({ length: 10 }, () => ({ query: one, variables: { n: 10 } })),
    );
    const error = firstError(response.body);
    expect([response.status, error?.extensions.code, error?.extensions.limit]).toEqual([
      400,
      'QUERY_TOO_COMPLEX',
      'maxCost',
    ]);
    expect(error?.message).toMatch(
      /^Query Cost limit of 100000 exceeded by the batch, found \d+: the sum over its 10 operations/,
    );
  });

  it('charges persisted-query hashes of a batch to the same budget, as Apollo resolves them', async () => {
    // Priced at about 36,000 with n = 30 (every firm's suppliers and customers, 100 each at most), cheap to run.
    const query = `query ($n: Int) { enterprises(first: $n) { nodes {
      customers { enterprise { id name nameEn sizeBand } } suppliers { enterprise { id name nameEn sizeBand } } } } }`;
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const persisted = { persistedQuery: { version: 1, sha256Hash } };
    const registered = await postGraphQL(url, { query, variables: { n: 30 }, extensions: persisted });
    expect(registered.body.errors).toBeUndefined();
    // A batch of hashes cannot be priced before Apollo looks them up; the shared budget refuses those over it.
    const batch = Array.from({ length: 10 }, () => ({ variables: { n: 30 }, extensions: persisted }));
    const response = await postGraphQL<unknown>(url, batch);
    const answers = response.body as unknown as GraphQLResponseBody[];
    expect(answers).toHaveLength(10);
    const refused = answers.filter((answer) => answer.errors?.[0]?.extensions.code === 'QUERY_TOO_COMPLEX');
    const ran = answers.filter((answer) => answer.data !== undefined && answer.errors === undefined);
    expect([ran.length, refused.length]).toEqual([2, 8]);
    expect(refused[0]?.errors?.[0]?.message).toMatch(
      /^Query Cost limit of 100000 exceeded by the batch, found \d+: the sum over its \d+ operations/,
    );
  });

  it('still runs a batch of cheap operations', async () => {
    const batch = [
      { query: '{ chains { id } }' },
      { query: 'query ($n: Int) { enterprises(first: $n) { nodes { id } } }', variables: { n: 100 } },
      { query: '{ serviceInfo { name } }' },
      { query: 'query ($id: ID!) { enterprise(id: $id) { id name } }', variables: { id: 'ent-shiyao' } },
      ...Array.from({ length: 6 }, () => ({ query: '{ __typename }' })),
    ];
    const response = await postGraphQL<unknown>(url, batch);
    const answers = response.body as unknown as GraphQLResponseBody<Record<string, unknown>>[];
    expect(response.status).toBe(200);
    expect(answers.map((answer) => answer.errors)).toEqual(Array.from({ length: 10 }, () => undefined));
    expect((answers[1]?.data?.['enterprises'] as { nodes: unknown[] }).nodes.length).toBeGreaterThan(20);
    expect(answers[3]?.data).toEqual({
      enterprise: { id: 'ent-shiyao', name: expect.any(String) as string },
    });
  });

  it('refuses variables holding more values than MAX_VARIABLE_VALUES before coercing them, and runs a list at the limit', async () => {
    // A 2 MB body of a quarter of a million list items held the event loop for 0.3 s while graphql-js coerced it.
    const query =
      'query ($s: [ProvenanceSource!]) { enterprises(first: 1, filter: { sources: $s }) { nodes { id } } }';
    const huge = await postGraphQL(url, {
      query,
      variables: { s: Array.from({ length: 200_000 }, () => 'PUBLIC') },
    });
    expect(huge.status).toBe(400);
    expect(huge.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(huge.body.errors?.[0]?.message).toContain('more than 10000 values (MAX_VARIABLE_VALUES)');
    // The limit counts a whole batch: two halves that each pass are refused together.
    const half = { query, variables: { s: Array.from({ length: 6_000 }, () => 'PUBLIC') } };
    const batch = await postGraphQL(url, [half, half]);
    expect(batch.status).toBe(400);
    expect(JSON.stringify(batch.body)).toContain('MAX_VARIABLE_VALUES');
    const atLimit = await postGraphQL(url, {
      query,
      variables: { s: Array.from({ length: 9_999 }, () => 'PUBLIC') },
    });
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.errors).toBeUndefined();
  });

  it(
    'lets every saved operation of queries/ through at the default limit',
    { timeout: 240_000 },
    async () => {
      const operations = loadSavedOperations();
      expect(operations.length).toBeGreaterThan(20);
      // A few at a time: the analytics among them take seconds each on a busy machine.
      for (let start = 0; start < operations.length; start += 4) {
        const group = operations.slice(start, start + 4);
        const answers = await Promise.all(
          group.map((operation) =>
            postGraphQL(url, {
              query: operation.query,
              ...(operation.variables ? { variables: JSON.parse(operation.variables) as unknown } : {}),
            }),
          ),
        );
        expect(answers.map(({ status, body }, index) => [group[index]!.file, status, body.errors])).toEqual(
          group.map((operation) => [operation.file, 200, undefined]),
        );
      }
    },
  );
});
