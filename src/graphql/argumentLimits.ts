import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNullableType,
  getVariableValues,
  isInputObjectType,
  isListType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';
import type { GraphQLContext } from './context.js';
import { allStringsWithin, shapeOf } from './requestCache.js';

/**
 * One length limit for every ID and String argument of every field, wherever it appears (root fields, nested
 * relations, input object fields, list items) and however it is given (a literal, a variable, a default). It runs
 * once the operation is known and before anything executes, over the argument values as the resolvers will see
 * them (variables coerced), so a megabyte id or cursor never reaches a resolver, Cypher or an error message.
 * A refusal is BAD_USER_INPUT (HTTP 400) naming the argument, its length and the maximum — never the value.
 */

export type ArgumentLimits = Config['limits']['arguments'];

/**
 * Arguments that carry a payload rather than a name: bounded by MAX_BODY_BYTES and their own limits (an import
 * takes at most 5,000 rows), not by the text limit.
 */
const PAYLOAD_ARGUMENTS = new Set(['Mutation.importRecords.content']);

function tooLong(argument: string, length: number, max: number, setting: string): AppError {
  return new AppError(
    ErrorCode.BAD_USER_INPUT,
    `Argument '${argument}': ${length} characters long; at most ${max} (${setting})`,
    { argument, http: { status: 400 } },
  );
}

/** The first value under `type` that is too long, or null. */
function checkValue(
  value: unknown,
  type: GraphQLInputType,
  argument: string,
  limits: ArgumentLimits,
): AppError | null {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return checkValue(value, nullable.ofType, argument, limits);
    for (const [index, item] of value.entries()) {
      const problem = checkValue(item, nullable.ofType, `${argument}[${index}]`, limits);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      const problem = checkValue(
        (value as Record<string, unknown>)[field.name],
        field.type,
        `${argument}.${field.name}`,
        limits,
      );
      if (problem) return problem;
    }
    return null;
  }
  if (typeof value !== 'string') return null;
  if (nullable.name === 'ID' && value.length > limits.maxIdLength)
    return tooLong(argument, value.length, limits.maxIdLength, 'MAX_ID_LENGTH');
  if (nullable.name === 'String' && value.length > limits.maxStringLength)
    return tooLong(argument, value.length, limits.maxStringLength, 'MAX_STRING_ARGUMENT_LENGTH');
  return null;
}

/** The first over-long argument of the operation (its fragments included), or null. */
export function findOverlongArgument(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: ArgumentLimits,
): AppError | null {
  return checkArguments(schema, document, operation, variables, limits).problem;
}

/** findOverlongArgument, also telling whether the variables coerced (only then was anything checked). */
function checkArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: ArgumentLimits,
): { problem: AppError | null; checked: boolean } {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1 });
  // Variables that do not coerce are refused by execution itself, with graphql-js's own message.
  if (coerced.errors) return { problem: null, checked: false };
  const typeInfo = new TypeInfo(schema);
  let found: AppError | null = null;
  const visitor = visitWithTypeInfo(typeInfo, {
    Field: (node) => {
      const field = typeInfo.getFieldDef();
      const parent = typeInfo.getParentType();
      if (found || !field || !parent || field.args.length === 0) return;
      let values: Record<string, unknown>;
      try {
        values = getArgumentValues(field, node, coerced.coerced);
      } catch {
        return; // an invalid literal: execution reports it
      }
      for (const argument of field.args) {
        if (PAYLOAD_ARGUMENTS.has(`${parent.name}.${field.name}.${argument.name}`)) continue;
        found = checkValue(values[argument.name], argument.type, argument.name, limits);
        if (found) return;
      }
    },
  });
  // The operation and the fragments it may spread (unused fragments fail validation before this runs).
  for (const definition of document.definitions) {
    if (definition === operation || definition.kind === Kind.FRAGMENT_DEFINITION) visit(definition, visitor);
    if (found) return { problem: found, checked: true };
  }
  return { problem: null, checked: true };
}

export function argumentLimitsPlugin(limits: ArgumentLimits): ApolloServerPlugin<GraphQLContext> {
  /**
   * Per operation (Apollo hands the same node to every request with the same query text, see requestCache.ts), the
   * shapes of variables (requestCache.ts shapeOf) it was found clean with, all strings short. A request of the same
   * shape with short strings only takes the same defaults, so an over-long value could only come from the document
   * itself (a literal, a default), which that check already passed: the walk over the document is skipped.
   */
  const clean = new WeakMap<OperationDefinitionNode, Set<string>>();
  const shortest = Math.min(limits.maxIdLength, limits.maxStringLength);
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ schema, document, operation, request }) => {
          if (!operation) return Promise.resolve();
          const variables = request.variables ?? {};
          const short = allStringsWithin(variables, shortest);
          const shape = short ? shapeOf(variables) : '';
          if (short && clean.get(operation)?.has(shape)) return Promise.resolve();
          const { problem, checked } = checkArguments(schema, document, operation, variables, limits);
          if (problem) return Promise.reject(problem);
          if (short && checked) {
            let shapes = clean.get(operation);
            if (!shapes || shapes.size >= 64) clean.set(operation, (shapes = new Set()));
            shapes.add(shape);
          }
          return Promise.resolve();
        },
      }),
  };
}
