import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import type { ValidationRule } from 'graphql';

import type { Config } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';

/**
 * Limits on the shape of an operation, checked before anything runs (graphql-armor's validation rules). The cost
 * limit is not here: a validation rule cannot see variable values, so it is priced in cost.ts once they are known. A
 * rejection is a QUERY_TOO_COMPLEX error naming the limit and what the operation had. The defaults sit well above
 * every saved operation in queries/ (a test keeps it so) and below what would let one request pin the database.
 * The token limit is graphql-js's own (Apollo's parseOptions.maxTokens): it aborts parsing of a huge document
 * early, before an AST is built; formatError gives it the same code.
 */

export type QueryLimits = Config['limits']['query'];

/** graphql-armor prefixes its messages with "Syntax Error: ", which is not what they are. */
function tooComplex(limit: string, message: string): AppError {
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, message.replace(/^Syntax Error:\s*/, ''), { limit });
}

function reject(limit: string): { propagateOnRejection: false; onReject: GraphQLArmorRejectCallback[] } {
  return {
    // Reporting to the validation context (instead of throwing) makes the rejection a normal 400 response.
    propagateOnRejection: false,
    onReject: [(context, error) => context?.reportError(tooComplex(limit, error.message))],
  };
}

export function guardrailRules(limits: QueryLimits): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...reject('maxDepth') }),
    maxAliasesRule({ n: limits.maxAliases, ...reject('maxAliases') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reject('maxDirectives') }),
  ] as ValidationRule[];
}
