import { createHash } from 'node:crypto';

import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import {
  buildASTSchema,
  concatAST,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  OperationTypeNode,
  parse,
  typeFromAST,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hashKey } from '../../src/auth.js';
import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { InternalLabel } from '../../src/data/model.js';
import { loadSavedOperations } from '../../src/http/explorer.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';
import { deleteByPrefix, openTestDatabase, uniquePrefix, type TestDatabase } from '../support/database.js';
import { serveTestApp, type TestServer } from '../support/http.js';

/**
 * Property-based fuzzing of every argument of every operation: each root field (with every argument of the fields
 * it selects), each saved operation in queries/ and each mutation, over real HTTP against the real Neo4j, with
 * values built from the argument's GraphQL type and biased towards trouble — Cypher and Lucene injection
 * payloads, Unicode edge cases (mixed scripts, zero-width and combining characters, bidi overrides, lone
 * surrogates), huge and negative numbers, huge strings, and now and then a value of the wrong type altogether.
 *
 * Every response must be a client answer: no 5xx, no INTERNAL_SERVER_ERROR, nothing that looks like a stack,
 * Cypher or a driver message; and reads must leave the database exactly as it was. FUZZ_RUNS sets the runs per
 * operation (default 25); the test prints how many cases ran.
 */

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 25);
const EDITOR_KEY = 'editor-key-for-fuzzing';
const prefix = uniquePrefix('fuzz');

/** Codes a fuzzed request may legitimately get back. */
const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'QUERY_TOO_COMPLEX',
]);
const LEAK =
  /Neo4j|Neo\.|Cypher|MATCH \(|UNWIND|\bat .+\.(?:ts|js):\d+|node_modules|TypeError|ReferenceError/;

// Real ids, so that hostile values in the other arguments reach the deeper code paths too.
const REAL_IDS = [
  'ic',
  'nev',
  'led',
  'biomedicine',
  'military-civil',
  'shijiazhuang',
  'tianjin',
  'sjz-luquan',
  'ent-shiyao',
  'ic-photoresist',
  'ic-chip-design',
];

const INJECTION = [
  "' OR 1=1 //",
  '") MATCH (n) DETACH DELETE n //',
  "x'}) MATCH (n) DETACH DELETE n RETURN 1 //",
  '`) DETACH DELETE n //',
  '}]->(x) DETACH DELETE x //',
  '$id',
  '{id: "ic"}',
  '\\',
  '\\u0027',
  'CALL db.labels()',
  'LOAD CSV FROM "file:///etc/passwd" AS l RETURN l',
  // Lucene query syntax reaches the full-text index through search.
  '*',
  '?',
  'name:*',
  'a AND (b OR',
  '"unterminated',
  '~1',
  'title:[a TO z]',
  '/regex.*/',
  '+-&&||!(){}[]^"~*?:\\/',
];

const UNICODE = [
  '',
  ' ',
  '\u200b',
  '石\u200b药',
  '\u200d\u200c\ufeff',
  'e\u0301\u0301\u0301',
  '\u202e光刻胶\u202c',
  '石药Group集团ΩЖ',
  '\ud800',
  '\udfff',
  'a\ud83db',
  '🀄️👩‍🔬',
  '\u0000',
  '\t\n\r',
  '𠮷野家',
  'Ａ１ｂ',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTION, ...UNICODE) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 4 })
      .map((units) => String.fromCharCode(...units)),
  },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(100_000), '石'.repeat(60_000), 'ab '.repeat(20_000)) },
);

const idOrHostile = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...REAL_IDS) },
  { weight: 3, arbitrary: hostileString },
);

/** Integers GraphQL's Int accepts (32-bit), biased to small, zero, negative and the extremes. */
const hostileInteger = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 30 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)) },
);

/** Values no argument type accepts as they are: they must be refused by coercion, cleanly. */
const wronglyTyped: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 1.5, '12', 'NOT_AN_ENUM_VALUE'),
  hostileString,
);

function scalarArbitrary(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'Int':
      return hostileInteger;
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), hostileInteger);
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return idOrHostile;
    default:
      return hostileString;
  }
}

/** Values of an input type: of the right type, with hostile content. */
function valueArbitrary(type: GraphQLInputType): fc.Arbitrary<unknown> {
  return typedArbitrary(type, 0);
}

/** Now and then one variable gets a value of the wrong type altogether (coercion must reject it cleanly). */
function withOccasionalWrongType(
  record: fc.Arbitrary<Record<string, unknown>>,
  names: readonly string[],
): fc.Arbitrary<Record<string, unknown>> {
  if (names.length === 0) return record;
  return fc.oneof(
    { weight: 6, arbitrary: record },
    {
      weight: 1,
      arbitrary: fc
        .tuple(record, fc.constantFrom(...names), wronglyTyped)
        .map(([values, name, wrong]) => ({ ...values, [name]: wrong })),
    },
  );
}

function typedArbitrary(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return typedArbitrary(type.ofType, depth);
  const nullable = (arbitrary: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 6, arbitrary }, { weight: 1, arbitrary: fc.constant(null) });
  if (isListType(type)) {
    const item = typedArbitrary(type.ofType, depth + 1);
    return nullable(fc.oneof(fc.array(item, { maxLength: 6 }), item));
  }
  if (isEnumType(type)) {
    const names = type.getValues().map((value) => value.name);
    // Values outside the enum come from wronglyTyped, one variable at a time.
    return nullable(fc.constantFrom(...names));
  }
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant(null);
    const fields = Object.values(type.getFields());
    const record = Object.fromEntries(
      fields.map((field) => [field.name, typedArbitrary(field.type, depth + 1)]),
    );
    return nullable(
      fc.record(record, {
        requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
      }),
    );
  }
  return nullable(scalarArbitrary((type as GraphQLNamedType).name));
}

interface FuzzOperation {
  readonly name: string;
  readonly query: string;
  readonly variables: fc.Arbitrary<Record<string, unknown>>;
  readonly mutation: boolean;
}

/**
 * An operation selecting `field` with every argument as a variable, and below it the leaf fields and (to `depth`)
 * the object fields of its type, each with all of its arguments as variables too.
 */
function rootFieldOperation(
  field: GraphQLField<unknown, unknown>,
  kind: 'query' | 'mutation',
): FuzzOperation {
  const declarations: string[] = [];
  const arbitraries: Record<string, fc.Arbitrary<unknown>> = {};
  let counter = 0;
  const argumentList = (owner: GraphQLField<unknown, unknown>) => {
    if (owner.args.length === 0) return '';
    const parts = owner.args.map((argument) => {
      const variable = `v${++counter}_${argument.name}`;
      declarations.push(`$${variable}: ${String(argument.type)}`);
      arbitraries[variable] = valueArbitrary(argument.type);
      return `${argument.name}: $${variable}`;
    });
    return `(${parts.join(', ')})`;
  };
  const selection = (type: GraphQLNamedType, depth: number): string => {
    if (isLeafType(type)) return '';
    if (isAbstractType(type) || !isObjectType(type)) return '{ __typename }';
    const fields = Object.values(type.getFields()).flatMap((child) => {
      const named = getNamedType(child.type);
      if (isLeafType(named)) return [`${child.name}${argumentList(child)}`];
      if (depth <= 0) return [];
      return [`${child.name}${argumentList(child)} ${selection(named, depth - 1)}`];
    });
    return `{ __typename ${fields.join(' ')} }`;
  };
  const body = `${field.name}${argumentList(field)} ${selection(getNamedType(field.type), 1)}`;
  const header = declarations.length > 0 ? `(${declarations.join(', ')})` : '';
  return {
    name: `${kind} ${field.name}`,
    query: `${kind} Fuzz${header} { ${body} }`,
    variables: withOccasionalWrongType(
      fc.record(arbitraries, { requiredKeys: [] }),
      Object.keys(arbitraries),
    ),
    mutation: kind === 'mutation',
  };
}

function savedOperationFuzz(schema: GraphQLSchema, file: string, query: string): FuzzOperation {
  const operation = parse(query).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const arbitraries = Object.fromEntries(
    (operation?.variableDefinitions ?? []).map((definition) => [
      definition.variable.name.value,
      valueArbitrary(typeFromAST(schema, definition.type as never) as GraphQLInputType),
    ]),
  );
  return {
    name: `saved ${file}`,
    query,
    variables: withOccasionalWrongType(
      fc.record(arbitraries, { requiredKeys: [] }),
      Object.keys(arbitraries),
    ),
    mutation: operation?.operation === OperationTypeNode.MUTATION,
  };
}

/** Import content whose new records all carry the file's prefix, so whatever a fuzzed import writes is ours. */
function importContentArbitrary(): fc.Arbitrary<{ kind: string; format: string; content: string }> {
  const ownId = fc.integer({ min: 0, max: 50 }).map((n) => `${prefix}-${n}`);
  const cell = fc.oneof(
    hostileString,
    fc.constantFrom('true', '否', '大型', 'SMALL', 'PLAN', 'ILLUSTRATIVE', '3'),
  );
  const rows: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
    ENTERPRISES: fc.record({
      id: ownId,
      name: cell,
      regionId: idOrHostile,
      sizeBand: cell,
      highTech: cell,
      description: cell,
      source: cell,
    }),
    SEGMENT_LINKS: fc.record({ enterpriseId: ownId, segmentId: idOrHostile, role: cell, mainProducts: cell }),
    SUPPLIES: fc.record({ supplierId: ownId, customerId: ownId, products: cell }),
    PLATFORMS: fc.record({
      id: ownId,
      name: cell,
      level: cell,
      type: cell,
      regionId: idOrHostile,
      hostEnterpriseId: ownId,
      segmentIds: cell,
    }),
    POLICIES: fc.record({
      policyId: ownId,
      policyTitle: cell,
      issuer: cell,
      period: cell,
      measureId: ownId,
      number: fc.oneof(hostileString, fc.integer().map(String)),
      title: cell,
      chainIds: idOrHostile,
    }),
  };
  return fc.oneof(
    ...Object.entries(rows).map(([kind, row]) =>
      fc
        .tuple(fc.constantFrom('CSV', 'JSON'), fc.array(row, { minLength: 0, maxLength: 5 }))
        .map(([format, records]) => ({
          kind,
          format,
          content:
            format === 'JSON' ? JSON.stringify(records) : stringify(records, { header: records.length > 0 }),
        })),
    ),
    fc.record({
      kind: fc.constantFrom('ENTERPRISES', 'POLICIES'),
      format: fc.constantFrom('CSV', 'JSON'),
      content: hostileString,
    }),
  );
}

function sentStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value, JSON.stringify(value).slice(1, -1)];
  if (Array.isArray(value)) return value.flatMap(sentStrings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(sentStrings);
  return [];
}

function withoutSentValues(message: string, variables: Record<string, unknown>): string {
  const sent = sentStrings(variables)
    .filter((text) => text.length > 0)
    .sort((a, b) => b.length - a.length);
  return sent.reduce((remaining, text) => remaining.split(text).join(''), message);
}

/** Everything in the database outside this file's prefix: labels, properties and relationships, hashed. */
async function fingerprint(executor: Executor): Promise<string> {
  // The analytics' aggregates are derived bookkeeping, not data: a read may fold in changes another test file left
  // pending (the refresher polls), which is no write by the read. Everything else must stay as it was.
  const nodes = await executor.read(
    'fuzz fingerprint',
    cypher(
      `MATCH (n) WHERE NOT coalesce(n.id, '') STARTS WITH $prefix AND none(label IN labels(n) WHERE label IN $internal)
       RETURN elementId(n) AS element, labels(n) AS labels, properties(n) AS properties ORDER BY element`,
      { prefix, internal: Object.values(InternalLabel) },
    ),
  );
  const relationships = await executor.read(
    'fuzz fingerprint',
    cypher(
      `MATCH (a)-[r]->(b) WHERE NOT coalesce(a.id, '') STARTS WITH $prefix AND NOT coalesce(b.id, '') STARTS WITH $prefix
       RETURN elementId(r) AS element, type(r) AS type, properties(r) AS properties, elementId(a) AS a, elementId(b) AS b
       ORDER BY element`,
      { prefix },
    ),
  );
  return createHash('sha256')
    .update(JSON.stringify([nodes, relationships]))
    .digest('hex');
}

describe('fuzzing every argument of every operation', () => {
  const schema = buildASTSchema(concatAST(loadTypeDefs()));
  let database: TestDatabase;
  let server: TestServer;
  let url: string;
  let cases = 0;
  let executed = 0;
  let answered = 0;
  const codes = new Map<string, number>();
  const timings: string[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    server = await serveTestApp(database.executor, { API_KEYS: `fuzzer:editor:${hashKey(EDITOR_KEY)}` });
    url = server.url;
  });
  afterAll(async () => {
    await server.close();
    await deleteByPrefix(database.executor, prefix);
    await database.close();
    if (process.env['FUZZ_TIMINGS']) console.log(timings.join('\n'));
    process.stdout.write(
      `Fuzzing: ${cases} cases, ${executed} executed (past parsing, validation and coercion), ${answered} with data; error codes seen: ${JSON.stringify(Object.fromEntries([...codes].sort()))}\n`,
    );
  });

  /** Sends one case and checks that the answer is a client answer. */
  async function check(
    operation: FuzzOperation,
    variables: Record<string, unknown>,
    editor = false,
  ): Promise<void> {
    cases += 1;
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(editor ? { authorization: `Bearer ${EDITOR_KEY}` } : {}),
      },
      body: JSON.stringify({ query: operation.query, variables }),
    });
    const text = await response.text();
    const context = `${operation.name} → ${response.status} ${text.slice(0, 400)}`;
    expect(response.status, context).toBeLessThan(500);
    const body = JSON.parse(text) as {
      data?: unknown;
      errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
    };
    // A `data` key, even null, means the operation was executed: the values reached the resolvers.
    if ('data' in body) executed += 1;
    if (body.data !== undefined && body.data !== null) answered += 1;
    for (const error of body.errors ?? []) {
      const code = error.extensions?.code ?? '(none)';
      codes.set(code, (codes.get(code) ?? 0) + 1);
      // Anonymous reads may not see contact details: that field, and only that field, answers UNAUTHENTICATED.
      const contactRefused = code === 'UNAUTHENTICATED' && (error.path ?? []).includes('contact');
      expect(CLIENT_CODES.has(code) || contactRefused, context).toBe(true);
      // The request's own values may come back quoted in a message (an invalid enum value, say); they are not leaks.
      expect(withoutSentValues(error.message, variables), context).not.toMatch(LEAK);
    }
  }

  const roots = Object.values(schema.getQueryType()?.getFields() ?? {}).map((field) =>
    rootFieldOperation(field, 'query'),
  );
  const saved = loadSavedOperations().map((operation) =>
    savedOperationFuzz(schema, operation.file, operation.query),
  );

  it('builds operations that pass validation, so the fuzzing reaches the resolvers', () => {
    expect(roots.length).toBeGreaterThan(15);
    for (const operation of [...roots, ...saved]) {
      expect(() => parse(operation.query), operation.name).not.toThrow();
    }
  });

  it(
    'answers every read with a client answer and leaves the database unchanged',
    { timeout: 600_000 },
    async () => {
      const before = await fingerprint(database.executor);
      for (const operation of [...roots, ...saved].filter((candidate) => !candidate.mutation)) {
        const started = Date.now();
        await fc.assert(
          fc.asyncProperty(operation.variables, (variables) => check(operation, variables)),
          { numRuns: RUNS },
        );
        timings.push(`${operation.name}: ${Date.now() - started} ms`);
      }
      expect(await fingerprint(database.executor)).toBe(before);
    },
  );

  it(
    'answers every mutation with a client answer and writes only under its own ids',
    { timeout: 600_000 },
    async () => {
      const before = await fingerprint(database.executor);
      const mutations = Object.values(schema.getMutationType()?.getFields() ?? {});
      expect(mutations.map((field) => field.name)).toEqual(['importRecords']);
      const operation: FuzzOperation = {
        name: 'mutation importRecords',
        query: `mutation ($kind: ImportKind!, $format: ImportFormat!, $content: String!, $acceptValid: Boolean, $defaultSource: ProvenanceSource) {
        importRecords(kind: $kind, format: $format, content: $content, acceptValid: $acceptValid, defaultSource: $defaultSource) {
          written summaries { kind rows created updated unchanged rejected } problems { line column reason } rejectedLines
        }
      }`,
        variables: fc
          .tuple(
            importContentArbitrary(),
            fc.option(fc.boolean(), { nil: undefined }),
            fc.oneof(
              fc.constantFrom('PLAN', 'PUBLIC', 'ILLUSTRATIVE'),
              hostileString,
              fc.constant(undefined),
            ),
          )
          .map(([content, acceptValid, defaultSource]) => ({ ...content, acceptValid, defaultSource })),
        mutation: true,
      };
      await fc.assert(
        fc.asyncProperty(operation.variables, (variables) => check(operation, variables, true)),
        { numRuns: RUNS * 4 },
      );
      // Without a key the same mutations are refused; with one they touched nothing outside the prefix.
      expect(await fingerprint(database.executor)).toBe(before);
    },
  );
});
