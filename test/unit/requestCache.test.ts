import fc from 'fast-check';
import {
  buildASTSchema,
  concatAST,
  getOperationAST,
  getVariableValues,
  parse,
  type DocumentNode,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';

import { argumentLimitsPlugin, findOverlongArgument } from '../../src/graphql/argumentLimits.js';
import { operationCost } from '../../src/graphql/cost.js';
import { allStringsWithin, PriceCache } from '../../src/graphql/requestCache.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';

/**
 * Issue 17: the per-document caches of the request checks (src/graphql/requestCache.ts) answer exactly what the
 * uncached checks answer, for random variable values sent in a random order with the SAME operation node (as Apollo's
 * document store hands it to every request with one query text). A cache keyed too loosely would hand one request
 * the price or the verdict of another's variables, and these properties would fail.
 */

const schema = buildASTSchema(concatAST(loadTypeDefs()));
const limits = { maxPageSize: 100, maxTraversalDepth: 6 };

function operationOf(query: string): { document: DocumentNode; operation: OperationDefinitionNode } {
  const document = parse(query);
  return { document, operation: getOperationAST(document)! };
}

/** Operations whose price depends on variables in every way cost.ts reads them. */
const PRICED = [
  `query ($n: Int, $inc: Boolean, $skip: Boolean) {
     enterprises(first: $n) { totalCount @include(if: $inc) nodes { id name @skip(if: $skip) } }
   }`,
  `query ($id: ID, $d: Int!, $n: Int, $skip: Boolean) {
     enterprise(id: $id) { id upstream(depth: $d) @skip(if: $skip) { enterprises(first: $n) { enterprise { id } } } }
   }`,
  `query ($region: ID, $n: Int, $d: Int!) {
     region(id: $region) { ...Firms }
     segment(id: "s") { downstream(depth: $d, regionId: $region) { segments { segment { id } path { id } } } }
   }
   fragment Firms on Region { enterprises(first: $n) { id upstream(depth: 2) { segments { segment { id } } } } }`,
  `query ($chain: ID!, $regions: [ID!]!) {
     compareRegions(chainId: $chain, regionIds: $regions) { regions { region { id } } segments { byRegion { status } } }
   }`,
  `query ($n: Int, $text: String!) { search(text: $text, first: $n) { id name } }`,
].map(operationOf);

const maybe = <T>(value: fc.Arbitrary<T>): fc.Arbitrary<T | null | undefined> =>
  fc.oneof(fc.constant(undefined), fc.constant(null), value);

const variablesArbitrary = fc.record(
  {
    n: maybe(fc.constantFrom(0, 1, 5, 20, 100, 101, 500, -3)),
    d: maybe(fc.integer({ min: 0, max: 9 })),
    inc: maybe(fc.boolean()),
    skip: maybe(fc.boolean()),
    id: maybe(fc.constantFrom('a', 'b')),
    region: maybe(fc.constantFrom('r1', 'r2')),
    chain: fc.constantFrom('ic', 'bio'),
    regions: fc.array(fc.constantFrom('r1', 'r2', 'r3', 'r4'), { maxLength: 6 }),
    text: fc.constantFrom('x', 'y'),
  },
  { requiredKeys: [] },
);

/** Variables as a client sends them: a key left out is absent, not undefined. */
function sent(variables: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined));
}

describe('the price cache', () => {
  it('prices every request of a document as the uncached pricing does, whatever came before', () => {
    const cache = new PriceCache();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: PRICED.length - 1 }), variablesArbitrary), {
          minLength: 1,
          maxLength: 40,
        }),
        (requests) => {
          for (const [which, variables] of requests) {
            const { document, operation } = PRICED[which]!;
            const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], sent(variables));
            if (!coerced.coerced) continue; // refused before it is priced
            const values = coerced.coerced;
            const expected = operationCost(schema, document, operation, values, limits);
            const cached = cache.price(schema, document.definitions, operation, values, () =>
              operationCost(schema, document, operation, values, limits),
            );
            expect(cached).toBe(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('tells a page size apart from another, and a variable left out from one given as null', () => {
    const cache = new PriceCache();
    const { document, operation } = PRICED[0]!;
    const price = (values: Record<string, unknown>) =>
      cache.price(schema, document.definitions, operation, values, () =>
        operationCost(schema, document, operation, values, limits),
      );
    const fresh = (values: Record<string, unknown>) =>
      operationCost(schema, document, operation, values, limits);
    expect(fresh({ n: 100 }) - fresh({ n: 5 })).toBe(95 * 3);
    for (const values of [{ n: 5 }, { n: 100 }, { n: 5 }, {}, { n: null }, { inc: false }, {}])
      expect(price(values)).toBe(fresh(values));
  });
});

describe('the argument-length fast path', () => {
  const argumentLimits = { maxIdLength: 20, maxStringLength: 30 };
  const LONG_LITERAL = 'L'.repeat(25);
  const OPERATIONS = [
    'query ($id: ID!, $text: String!) { enterprise(id: $id) { id } search(text: $text) { id } }',
    'query ($filter: EnterpriseFilter) { enterprises(filter: $filter) { nodes { id } } }',
    `query ($id: ID = "${LONG_LITERAL}") { enterprise(id: $id) { id } }`,
    `query ($text: String!) { search(text: $text) { id } enterprise(id: "${LONG_LITERAL}") { id } }`,
  ].map(operationOf);
  const text = fc.oneof(
    fc.string({ maxLength: 5 }),
    fc.constantFrom('x'.repeat(20), 'x'.repeat(21), 'x'.repeat(30), 'x'.repeat(31)),
  );
  const variables = fc.record(
    {
      id: text,
      text,
      filter: fc.record({ regionId: text, chainId: text }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );

  /** What the plugin answers for one request: the refusal's message, or null. */
  async function viaPlugin(
    plugin: ReturnType<typeof argumentLimitsPlugin>,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    values: Record<string, unknown>,
  ): Promise<string | null> {
    const context = { schema, document, operation, request: { variables: values } };
    const hooks = await plugin.requestDidStart!(context as never);
    try {
      await hooks!.didResolveOperation!(context as never);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('refuses exactly what the uncached check refuses, whatever came before', async () => {
    const plugin = argumentLimitsPlugin(argumentLimits);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: OPERATIONS.length - 1 }), variables), {
          minLength: 1,
          maxLength: 30,
        }),
        async (requests) => {
          for (const [which, values] of requests) {
            const { document, operation } = OPERATIONS[which]!;
            const expected =
              findOverlongArgument(schema, document, operation, values, argumentLimits)?.message ?? null;
            expect(await viaPlugin(plugin, document, operation, values)).toBe(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('checks a long value again after the same document passed with short ones', async () => {
    const plugin = argumentLimitsPlugin(argumentLimits);
    const { document, operation } = OPERATIONS[0]!;
    expect(await viaPlugin(plugin, document, operation, { id: 'a', text: 'b' })).toBeNull();
    expect(await viaPlugin(plugin, document, operation, { id: 'a', text: 'b' })).toBeNull();
    expect(await viaPlugin(plugin, document, operation, { id: 'i'.repeat(21), text: 'b' })).toMatch(
      /Argument 'id': 21 characters long; at most 20 \(MAX_ID_LENGTH\)/,
    );
    expect(await viaPlugin(plugin, document, operation, { id: 'a', text: 't'.repeat(31) })).toMatch(
      /Argument 'text': 31 characters long; at most 30/,
    );
  });

  it('counts every string and number of the variables, however deep', () => {
    expect(allStringsWithin({ a: ['x', { b: 'yy' }] }, 2)).toBe(true);
    expect(allStringsWithin({ a: ['x', { b: 'yyy' }] }, 2)).toBe(false);
    expect(allStringsWithin({ a: 123 }, 2)).toBe(false);
    expect(allStringsWithin({ a: true, b: null }, 0)).toBe(true);
  });
});
