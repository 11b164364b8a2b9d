import { getNamedType, getVariableValues, Kind, type FieldNode, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';

import { connectionQuery, nodeByIdQuery, nodeListQuery, type SortKey } from '../../src/data/graph/queries.js';
import { collectSelection, type Selection } from '../../src/data/graph/selection.js';
import { DEFAULT_MAX_RESPONSE_ROWS, type TranslationLimits } from '../../src/data/graph/translate.js';
import { AppError } from '../../src/errors.js';
import { loadSavedOperations } from '../../src/http/explorer.js';
import { parseOperation, schema } from '../support/selection.js';

/**
 * The row budget of the translator (issue 11, case 3): every list a statement projects carries a LIMIT, the
 * worst-case number of values is the product of those LIMITs (real argument values, default page sizes, path
 * lengths), and a statement above MAX_RESPONSE_ROWS is refused with QUERY_TOO_COMPLEX before it is built.
 */

const limits: TranslationLimits = { maxPageSize: 100, maxTraversalDepth: 6 };
const sort: SortKey = { field: 'ID', direction: 'ASC', property: 'id' };

interface RootField {
  readonly name: string;
  readonly args: Record<string, unknown>;
  readonly selection: Selection;
}

/** The root fields of an operation with their coerced arguments and selections, as the resolvers would see them. */
function rootFields(query: string, variables: Record<string, unknown> = {}): RootField[] {
  const { operation, fragments } = parseOperation(query);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw new Error(coerced.errors.map((error) => error.message).join('; '));
  const variableValues = coerced.coerced;
  const queryType = schema.getQueryType()!;
  return operation.selectionSet.selections
    .filter((node): node is FieldNode => node.kind === Kind.FIELD)
    .map((node) => {
      const definition = queryType.getFields()[node.name.value]!;
      const args = Object.fromEntries(
        definition.args.map((arg) => {
          const given = node.arguments?.find((argument) => argument.name.value === arg.name);
          let value: unknown = arg.defaultValue;
          if (given?.value.kind === Kind.VARIABLE) value = variableValues[given.value.name.value];
          else if (given?.value.kind === Kind.INT) value = Number(given.value.value);
          return [arg.name, value];
        }),
      );
      const type = getNamedType(definition.type) as GraphQLObjectType;
      return {
        name: node.name.value,
        args,
        selection: collectSelection(type, [node], { fragments, variableValues }),
      };
    });
}

const BY_ID: Record<string, string> = {
  enterprise: 'Enterprise',
  segment: 'ChainSegment',
  chain: 'IndustrialChain',
  region: 'Region',
};
const CONNECTIONS: Record<string, string> = { enterprises: 'Enterprise', platforms: 'Platform' };
const LISTS: Record<string, string> = {
  chains: 'IndustrialChain',
  regions: 'Region',
  programmes: 'Programme',
  policies: 'Policy',
  targets: 'Target',
  demonstrationBases: 'DemonstrationBase',
};

/** Translates a root field the way its resolver does; null for fields not answered by the translator alone. */
function translate(field: RootField, withLimits: TranslationLimits) {
  if (BY_ID[field.name]) return nodeByIdQuery(BY_ID[field.name]!, 'x', field.selection, withLimits);
  if (CONNECTIONS[field.name]) {
    const first = (field.args['first'] as number | undefined) ?? 20;
    return connectionQuery(
      {
        typeName: CONNECTIONS[field.name]!,
        where: () => [],
        references: [],
        sort,
        first,
        after: null,
        selection: field.selection,
      },
      withLimits,
    );
  }
  if (LISTS[field.name]) return nodeListQuery(LISTS[field.name]!, {}, field.selection, withLimits);
  return null;
}

/** The worst-case figure the translator computes for a root field (per node for a root list). */
function worstCase(field: RootField): number {
  try {
    translate(field, { ...limits, maxResponseRows: 0 });
  } catch (error) {
    if (error instanceof AppError && error.extensions['limit'] === 'maxResponseRows') {
      return error.extensions['rows'] as number;
    }
    throw error;
  }
  return 0;
}

function refusal(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the translator to refuse');
}

const ATTACK = `query($n: Int) { enterprises(first: $n) { nodes { upstream(depth: 6) { enterprises(first: $n) {
  path { downstream(depth: 6) { enterprises(first: $n) { path { id name } } } } } } } } }`;

describe('the row budget of a statement', () => {
  it('refuses the ~33 MB query of the issue with QUERY_TOO_COMPLEX, naming the widest list and the figure', () => {
    const [field] = rootFields(ATTACK, { n: 100 });
    const error = refusal(() => translate(field!, limits));
    expect(error.code).toBe('QUERY_TOO_COMPLEX');
    expect(error.extensions['limit']).toBe('maxResponseRows');
    // 101 rows × 100 reached firms × 7 path steps × 100 reached firms × 7 path steps × (id, name and the entries).
    const rows = error.extensions['rows'] as number;
    expect(rows).toBeGreaterThan(101 * 100 * 7 * 100 * 7 * 2);
    expect(error.message).toContain(rows.toLocaleString('en'));
    expect(error.message).toContain("'nodes.upstream.enterprises.path.downstream.enterprises.path'");
    expect(error.message).toContain(`MAX_RESPONSE_ROWS ${DEFAULT_MAX_RESPONSE_ROWS.toLocaleString('en')}`);
  });

  it('counts an omitted first as the default page size (20 for a root page, MAX_PAGE_SIZE nested)', () => {
    const omitted = rootFields(ATTACK.replaceAll('(first: $n)', '').replace('query($n: Int)', 'query'))[0]!;
    const explicit = rootFields(
      ATTACK.replace('enterprises(first: $n)', 'enterprises(first: 20)').replaceAll(
        '(first: $n)',
        '(first: 100)',
      ),
    )[0]!;
    expect(worstCase(omitted)).toBe(worstCase(explicit));
    expect(refusal(() => translate(omitted, { ...limits, maxResponseRows: 1_000_000 })).code).toBe(
      'QUERY_TOO_COMPLEX',
    );
  });

  it('multiplies the nested LIMITs exactly: one value more than the budget is refused', () => {
    const [field] = rootFields('{ enterprises(first: 10) { nodes { id suppliers { enterprise { id } } } } }');
    // 11 rows × (the row, its key and id, `id`, `suppliers`, and 100 suppliers × (entry, `enterprise`, `id`)).
    const expected = 11 * (1 + 2 + 1 + 1 + 100 * 3);
    expect(worstCase(field!)).toBe(expected);
    expect(() => translate(field!, { ...limits, maxResponseRows: expected })).not.toThrow();
    expect(refusal(() => translate(field!, { ...limits, maxResponseRows: expected - 1 })).code).toBe(
      'QUERY_TOO_COMPLEX',
    );
  });

  it('uses the real argument values: a smaller first is a smaller figure', () => {
    const figure = (n: number) => worstCase(rootFields(ATTACK, { n })[0]!);
    expect(figure(2)).toBeLessThan(figure(3));
    expect(figure(100)).toBeGreaterThan(figure(10) * 100);
  });

  it('puts a LIMIT on every list that multiplies the response, and bounds every path', () => {
    const [field] = rootFields(`{ enterprises(first: 5) { nodes {
      suppliers { enterprise { customers { enterprise { id } } segments { segment { id } } } }
      upstream(depth: 3) { segments { path { id } } enterprises(first: 4) { path { id } } }
      region { children { id } demonstrationBases { id } }
    } } }`);
    // A budget above this selection's worst case: the test is about the LIMITs, not the refusal.
    const query = translate(field!, { ...limits, maxResponseRows: 10_000_000 })!;
    const subqueries = query.cypher.split('COLLECT {').length - 1;
    expect(subqueries).toBeGreaterThan(6);
    // Every COLLECT subquery carries a LIMIT, and so does the page itself, besides the scan's (LIST_SCAN_LIMIT). A page
    // over a hub (suppliers, customers) is three subqueries — the whole read, the read of the name index, and the
    // projection over the nodes the one taken found, which needs none — and three LIMITs: the whole read's, the index
    // read's LIST_SCAN_LIMIT and its page's.
    expect(query.cypher.match(/ LIMIT /g)!.length).toBe(subqueries + 2);
    // Paths are sliced to depth + 1 nodes.
    expect(query.cypher.match(/\]\[0\.\.\$p\d+\]/g)!.length).toBe(2);
    expect(Object.values(query.params).map(String)).toContain('4');
  });

  it('checks a root list in the statement, from the number of nodes it finds', () => {
    const [field] = rootFields('{ programmes { id projects { enterprises { id } } } }');
    const query = translate(field!, { ...limits, maxResponseRows: 50_000 })!;
    expect(query.cypher).toContain('count(n) AS total');
    expect(query.cypher).toMatch(/total \* \$p\d+ <= \$p\d+/);
    expect(Object.values(query.params).map(String)).toContain('50000');
  });

  it('lets every saved operation in queries/ through with a quarter of the default to spare', () => {
    const figures: Record<string, number> = {};
    // Each saved operation with its example variables (one set per variables file).
    for (const operation of loadSavedOperations()) {
      const file = operation.variant ? `${operation.file} (${operation.variant})` : operation.file;
      const variables = operation.variables
        ? (JSON.parse(operation.variables) as Record<string, unknown>)
        : {};
      for (const field of rootFields(operation.query, variables)) {
        if (translate(field, limits) === null) continue;
        figures[`${file} ${field.name}`] = worstCase(field);
      }
    }
    expect(Object.keys(figures).length).toBeGreaterThan(10);
    for (const [operation, figure] of Object.entries(figures)) {
      expect(figure, operation).toBeLessThanOrEqual(DEFAULT_MAX_RESPONSE_ROWS * 0.75);
    }
    console.info('worst-case values per saved root field:', figures);
  });
});

describe('fields that need a role', () => {
  const [field] = rootFields('{ enterprise(id: "x") { id contact { website } c: contact { phone } } }');

  it('are not read from the graph at all for a caller without the role', () => {
    for (const callerRole of [undefined, null]) {
      const query = translate(field!, { ...limits, callerRole })!;
      expect(query.cypher).toContain('`contact`: null');
      expect(query.cypher).toContain('`c`: null');
      expect(query.cypher).not.toMatch(/contact(Website|Phone|Email|Address|Person)/);
    }
  });

  it('are projected for a viewer and an editor', () => {
    for (const callerRole of ['viewer', 'editor'] as const) {
      const query = translate(field!, { ...limits, callerRole })!;
      expect(query.cypher).toContain('contactWebsite');
      expect(query.cypher).not.toContain('`contact`: null');
    }
  });
});
