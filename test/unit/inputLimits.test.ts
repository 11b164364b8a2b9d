import fc from 'fast-check';
import { buildASTSchema, concatAST, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';

import { boundedMessage, clip } from '../../src/errors.js';
import { findOverlongArgument } from '../../src/graphql/argumentLimits.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';
import { jsonShape } from '../../src/import/jsonShape.js';

/** The pure parts of issue 11's input limits: JSON shape, clipping, and the argument length check. */

describe('jsonShape', () => {
  it('finds the first place nested too deep, with its record and key, without overflowing on any depth', () => {
    expect(jsonShape('['.repeat(1_000_000) + ']'.repeat(1_000_000)).tooDeep).toEqual({
      record: 1,
      key: null,
    });
    const deepCell = JSON.stringify([
      { id: 'a' },
      { id: 'b', name: JSON.parse('['.repeat(11) + ']'.repeat(11)) },
    ]);
    expect(jsonShape(deepCell).tooDeep).toEqual({ record: 2, key: 'name' });
    expect(jsonShape(JSON.stringify([{ a: [[[[['x']]]]] }])).tooDeep).toBeNull();
  });

  it('reports keys given twice in one object, escaped quotes and all', () => {
    expect(jsonShape('[{"a":"\\"{[","b":1},{"b":1,"c":{"k":1,"k":2},"b":2}]')).toEqual({
      tooDeep: null,
      duplicateKeys: [
        { record: 2, key: 'k' },
        { record: 2, key: 'b' },
      ],
    });
  });

  it('agrees with JSON.parse on the depth of any JSON value', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null
        ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 1, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonShape(text, max).tooDeep === null).toBe(depthOf(value) <= max);
      }),
    );
  });
});

describe('clip and boundedMessage', () => {
  it('cuts a value to 64 characters with an ellipsis, never inside a surrogate pair', () => {
    expect(clip('abc')).toBe('abc');
    expect(clip('a'.repeat(65))).toBe(`${'a'.repeat(64)}…`);
    expect(clip(`${'a'.repeat(63)}😀😀`)).toBe(`${'a'.repeat(63)}…`);
  });

  it('clips every double-quoted run and bounds the whole message', () => {
    const long = 'x'.repeat(10_000);
    expect(boundedMessage(`Variable "$s" got invalid value "${long}"; Value "${long}" does not exist`)).toBe(
      `Variable "$s" got invalid value "${'x'.repeat(64)}…"; Value "${'x'.repeat(64)}…" does not exist`,
    );
    expect(boundedMessage(`unquoted ${long}`)).toHaveLength(1_001);
    expect(boundedMessage('Cannot query field "a\\"b" on type "Query".')).toBe(
      'Cannot query field "a\\"b" on type "Query".',
    );
  });
});

describe('findOverlongArgument', () => {
  const schema = buildASTSchema(concatAST(loadTypeDefs()));
  const limits = { maxIdLength: 10, maxStringLength: 20 };
  const check = (source: string, variables: Record<string, unknown> = {}) => {
    const document = parse(source);
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
    )!;
    const problem = findOverlongArgument(schema, document, operation, variables, limits);
    return problem && { message: problem.message, argument: problem.extensions['argument'] };
  };

  it('passes values within the limits, and leaves invalid variables to execution', () => {
    expect(check('{ enterprise(id: "0123456789") { id } }')).toBeNull();
    expect(check('query ($id: ID!) { enterprise(id: $id) { id } }', { id: 12 })).toBeNull();
    expect(check('query ($id: ID!) { enterprise(id: $id) { id } }', { id: { not: 'an id' } })).toBeNull();
  });

  it('names the argument path in literals, variables, defaults, input objects, lists and fragments', () => {
    expect(check('{ enterprise(id: "01234567890") { id } }')).toEqual({
      message: "Argument 'id': 11 characters long; at most 10 (MAX_ID_LENGTH)",
      argument: 'id',
    });
    expect(check('query ($r: ID = "01234567890") { regions(within: $r) { id } }')).toMatchObject({
      argument: 'within',
    });
    expect(
      check('query ($f: EnterpriseFilter) { enterprises(filter: $f) { totalCount } }', {
        f: { regionId: 'r'.repeat(11) },
      }),
    ).toMatchObject({ argument: 'filter.regionId' });
    expect(
      check('{ compareRegions(chainId: "led", regionIds: ["a", "b", "01234567890"]) { chain { id } } }'),
    ).toMatchObject({ argument: 'regionIds[2]' });
    expect(
      check(
        '{ chains { ...S } } fragment S on IndustrialChain { segments { platforms(regionId: "01234567890") { id } } }',
      ),
    ).toMatchObject({ argument: 'regionId' });
    expect(check('{ search(text: "012345678901234567890") { __typename } }')).toEqual({
      message: "Argument 'text': 21 characters long; at most 20 (MAX_STRING_ARGUMENT_LENGTH)",
      argument: 'text',
    });
  });

  it("leaves an import's content to the body limit", () => {
    expect(
      check(
        'mutation ($c: String!) { importRecords(kind: ENTERPRISES, format: CSV, content: $c) { written } }',
        {
          c: 'x'.repeat(1_000),
        },
      ),
    ).toBeNull();
  });
});
