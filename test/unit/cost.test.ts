import fc from 'fast-check';
import { buildASTSchema, concatAST, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { operationCost, PRICES, requestCost } from '../../src/graphql/cost.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';

const schema = buildASTSchema(concatAST(loadTypeDefs()));
const config = loadConfig({ NEO4J_URI: 'bolt://127.0.0.1:7687' });
const limits = { maxPageSize: 100, maxTraversalDepth: 6 };

function price(query: string, variables: Record<string, unknown> = {}): number | null {
  return requestCost(schema, { query, variables }, limits, 100_000);
}

describe('the price of an operation', () => {
  it('prices a page passed as a variable like the same literal, and a missing `first` at the default page size', () => {
    // 1 for the connection + 20 rows × (the node + its id).
    expect(price('{ enterprises { nodes { id } } }')).toBe(1 + 20 * 2);
    expect(price('{ enterprises(first: 100) { nodes { id } } }')).toBe(1 + 100 * 2);
    expect(price('query ($n: Int) { enterprises(first: $n) { nodes { id } } }', { n: 100 })).toBe(
      1 + 100 * 2,
    );
    expect(price('query ($n: Int = 100) { enterprises(first: $n) { nodes { id } } }')).toBe(1 + 100 * 2);
    expect(price('query ($n: Int) { enterprises(first: $n) { nodes { id } } }')).toBe(1 + 20 * 2);
    // nodes and edges are both in the answer; totalCount counts every match.
    expect(price('{ enterprises(first: 10) { totalCount edges { cursor node { id } } } }')).toBe(
      1 + 1 + PRICES.totalCount + 10 * (1 + 1 + 2),
    );
    // search and targetFirms have their own defaults (20 and 10).
    expect(price('{ search(text: "x") { id } }')).toBe(PRICES.search + 20 * 2);
    expect(price('{ targetFirms(chainId: "ic", regionId: "r") { recommendations { score } } }')).toBe(
      PRICES.gapAssessment + PRICES.candidateSearch + 1 + 10 * 2,
    );
  });

  it('prices nested lists at MAX_PAGE_SIZE when `first` is left out, and multiplies through them', () => {
    // A region's firms are a page over a hub: its read of the name index is priced on top of its values.
    expect(price('{ region(id: "r") { enterprises { id } } }')).toBe(1 + PRICES.hubPage + 100 * 2);
    expect(price('{ region(id: "r") { enterprises(first: 5) { id } } }')).toBe(1 + PRICES.hubPage + 5 * 2);
    // Every parent's page reads on its own: a chain's segments' firms pay it per segment.
    expect(price('{ chain(id: "c") { segments { enterprises(first: 2) { role } } } }')).toBe(
      1 + 20 * (1 + PRICES.hubPage + 2 * 2),
    );
    // A relation that is no hub pays only its values (a firm's projects, plan structure: 20).
    expect(price('{ enterprise(id: "e") { projects { id } } }')).toBe(1 + 20 * 2);
    // A segment's platforms are a page over a hub (imported platforms have no bound per segment).
    expect(price('{ segment(id: "s") { platforms { id } } }')).toBe(1 + PRICES.hubPage + 100 * 2);
    expect(price('{ segment(id: "s") { platforms(first: 4) { id } } }')).toBe(1 + PRICES.hubPage + 4 * 2);
    // Unpaged lists of firms grow with the data; plan structure is priced at 20 per list.
    // A firm's suppliers are a page too (default MAX_PAGE_SIZE), over a hub for a large buyer.
    expect(price('{ enterprise(id: "e") { suppliers { enterprise { id } } } }')).toBe(
      1 + PRICES.hubPage + 100 * (1 + 2),
    );
    expect(price('{ chains { segments { id } } }')).toBe(20 * (1 + 20 * 2));
    expect(price('{ enterprises(first: 10) { nodes { suppliers { enterprise { id } } } } }')).toBe(
      1 + 10 * (1 + PRICES.hubPage + 100 * (1 + 2)),
    );
  });

  it('prices a traversal by its depth: the traversal itself, the reached segments and the paths', () => {
    const reach = (depth: number) =>
      price(
        `{ enterprise(id: "e") { upstream(depth: ${depth}) { enterprises { enterprise { id } path { id } } } } }`,
      );
    // enterprise + upstream + [traversal + 100 reached × (row + enterprise + path of depth + 1 nodes)].
    expect(reach(3)).toBe(1 + 1 + 3 * PRICES.traversalStep + 100 * (1 + 2 + 4 * 2));
    expect(reach(6)).toBe(1 + 1 + 6 * PRICES.traversalStep + 100 * (1 + 2 + 7 * 2));
    expect(price('{ segment(id: "s") { downstream(depth: 2) { segments { distance } } } }')).toBe(
      1 + 1 + 2 * PRICES.traversalStep + 2 * PRICES.reachedSegmentsPerStep * 2,
    );
    // Out of range: priced at the maximum, and refused by the resolver with BAD_USER_INPUT naming the argument.
    expect(reach(60)).toBe(reach(6));
    expect(price('{ enterprises(first: 1000) { nodes { id } } }')).toBe(1 + 100 * 2);
  });

  it('prices the analytics by the work they do: per region, per scenario, with the candidate search', () => {
    const compare = (regionIds: string[]) =>
      price(
        'query ($r: [ID!]!) { compareRegions(chainId: "ic", regionIds: $r) { regions { region { id } } } }',
        {
          r: regionIds,
        },
      );
    expect(compare(['a', 'b'])).toBe(2 * PRICES.gapAssessment + 1 + 2 * (1 + 2));
    expect(compare(['a', 'b', 'c', 'd'])).toBe(4 * PRICES.gapAssessment + 1 + 4 * (1 + 2));
    expect(compare(['a', 'a', 'b'])).toBe(compare(['a', 'b'])); // the resolver compares distinct regions
    expect(price('{ chainGaps(chainId: "ic", regionId: "r") { total { missing } } }')).toBe(
      PRICES.gapAssessment + 1 + 2,
    );
    expect(price('{ targetFirms(chainId: "ic", regionId: "r", first: 0) { gaps { score } } }')).toBe(
      PRICES.gapAssessment + PRICES.candidateSearch + 1 + 20 * 2,
    );
    expect(price('{ impactOfLosing(enterpriseId: "e", regionId: "r") { region { id } } }')).toBe(
      2 * PRICES.impactChains * PRICES.gapAssessment + PRICES.supplyLosses + 1 + 2,
    );
  });

  it('prices the supply losses of a loss by their pages, a firm loss with its one lost supplier per buyer', () => {
    const losses = (target: string, pages = '') =>
      price(
        `{ impactOfLosing(${target}, regionId: "r") { firmsLosingLocalSupply${pages} { enterprise { id } lostSuppliers { id } } } }`,
      )!;
    const work = 2 * PRICES.impactChains * PRICES.gapAssessment + PRICES.supplyLosses;
    // 20 buyers by default, each: the item, its enterprise with its id, and 20 lost suppliers (item and id each).
    expect(losses('segmentId: "s"')).toBe(work + 1 + 20 * (1 + 2 + 20 * 2));
    expect(losses('segmentId: "s"', '(first: 5)')).toBe(work + 1 + 5 * (1 + 2 + 20 * 2));
    // Losing one firm loses one supplier per buyer, whatever the page asks.
    expect(losses('enterpriseId: "e"')).toBe(work + 1 + 20 * (1 + 2 + 1 * 2));
    // The benchmark's firm loss fits the cheap lane, its segment loss does not.
    expect(losses('enterpriseId: "e"')).toBeLessThanOrEqual(config.admission.cheapMaxCost);
    expect(losses('segmentId: "s"')).toBeGreaterThan(config.admission.cheapMaxCost);
  });

  it('prices fields that merge into one response key once, and leaves out skipped fields and introspection', () => {
    expect(price('{ a: chains { id } a: chains { name } }')).toBe(20 * 3);
    expect(price('{ a: chains { id } b: chains { name } }')).toBe(2 * 20 * 2);
    expect(price('{ ...F ...F } fragment F on Query { chains { id } }')).toBe(20 * 2);
    expect(
      price('query ($s: Boolean!) { chains @skip(if: $s) { id } serviceInfo { name } }', { s: true }),
    ).toBe(2);
    expect(
      price('query ($s: Boolean!) { chains @skip(if: $s) { id } serviceInfo { name } }', { s: false }),
    ).toBe(2 + 20 * 2);
    expect(price('{ __schema { types { name fields { name args { name } } } } }')).toBe(0);
  });

  it('prices nothing it cannot run: unparseable, unknown operation, variables that do not coerce', () => {
    expect(price('{ chains { id }')).toBeNull();
    expect(
      requestCost(schema, { query: 'query A { chains { id } }', operationName: 'B' }, limits, 100),
    ).toBeNull();
    expect(price('query ($n: Int) { enterprises(first: $n) { nodes { id } } }', { n: 'many' })).toBeNull();
    // A fragment cycle (refused by validation) is priced as infinite, not walked forever.
    const cyclic =
      '{ enterprise(id: "e") { ...F } } fragment F on Enterprise { suppliers { enterprise { ...F } } }';
    expect(price(cyclic)).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses the issue's queries at the default limit, by a wide margin", () => {
    const nested = (first: string) =>
      `query ($n: Int) { enterprises${first} { nodes { upstream(depth: 6) { enterprises${first} { path { downstream(depth: 6) { enterprises${first} { path { id name } } } } } } } } }`;
    expect(price(nested('(first: $n)'), { n: 100 })).toBeGreaterThan(100 * config.limits.query.maxCost);
    expect(price(nested(''))).toBeGreaterThan(10 * config.limits.query.maxCost);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property: asking for more never costs less. Random operations nest connections, relations, traversals and
// analytics, with every page size and depth a variable; raising any one of them never lowers the price.

const PAGES = ['p0', 'p1', 'p2', 'p3'] as const;
const DEPTHS = ['d0', 'd1', 'd2'] as const;

function enterpriseSelection(level: number): fc.Arbitrary<string> {
  const leaves = fc.subarray(['id', 'name', 'sizeBand', 'flags { leading }', 'provenance { source }'], {
    minLength: 1,
  });
  if (level === 0) return leaves.map((fields) => fields.join(' '));
  const inner = enterpriseSelection(level - 1);
  const page = fc.constantFrom(...PAGES);
  const depth = fc.constantFrom(...DEPTHS);
  const nested = fc.oneof(
    inner.map((selection) => `suppliers { enterprise { ${selection} } }`),
    fc
      .tuple(depth, page, inner, inner)
      .map(
        ([d, p, a, b]) =>
          `upstream(depth: $${d}) { enterprises(first: $${p}) { enterprise { ${a} } path { ${b} } } segments { distance } }`,
      ),
    fc.tuple(page, inner).map(([p, selection]) => `region { enterprises(first: $${p}) { ${selection} } }`),
  );
  return fc
    .tuple(leaves, fc.array(nested, { maxLength: 2 }))
    .map(([fields, relations]) => [...fields, ...relations].join(' '));
}

const operationArbitrary = fc
  .array(
    fc.oneof(
      enterpriseSelection(2).map((selection) => `enterprises(first: $p0) { nodes { ${selection} } }`),
      enterpriseSelection(2).map((selection) => `enterprise(id: "e") { ${selection} }`),
      enterpriseSelection(1).map(
        (selection) =>
          `targetFirms(chainId: "ic", regionId: "r", first: $p1) { recommendations { enterprise { ${selection} } } }`,
      ),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map(
    (fields) =>
      `query (${[...PAGES, ...DEPTHS].map((name) => `$${name}: Int`).join(', ')}) { ${fields
        .map((field, index) => `f${index}: ${field}`)
        .join(' ')} }`,
  );

describe('the price is monotone', () => {
  it('never decreases when a page size or a depth grows', () => {
    fc.assert(
      fc.property(
        operationArbitrary,
        fc.record({
          p0: fc.integer({ min: 0, max: 120 }),
          p1: fc.integer({ min: 0, max: 120 }),
          p2: fc.integer({ min: 0, max: 120 }),
          p3: fc.integer({ min: 0, max: 120 }),
          d0: fc.integer({ min: 1, max: 8 }),
          d1: fc.integer({ min: 1, max: 8 }),
          d2: fc.integer({ min: 1, max: 8 }),
        }),
        fc.constantFrom(...PAGES, ...DEPTHS),
        fc.integer({ min: 1, max: 50 }),
        (query, values, grown, step) => {
          const document = parse(query);
          const operation = getOperationAST(document)!;
          const before = operationCost(schema, document, operation, values, limits);
          const after = operationCost(
            schema,
            document,
            operation,
            { ...values, [grown]: values[grown] + step },
            limits,
          );
          expect(after).toBeGreaterThanOrEqual(before);
          expect(before).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
