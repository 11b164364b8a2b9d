import { buildASTSchema, concatAST, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

import { loadConfig } from '../../src/config.js';
import { requestCost } from '../../src/graphql/cost.js';
import { guardrailRules } from '../../src/graphql/guardrails.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';
import { loadSavedOperations } from '../../src/http/explorer.js';

const schema = buildASTSchema(concatAST(loadTypeDefs()));
const config = loadConfig({ NEO4J_URI: 'bolt://127.0.0.1:7687' });
const defaults = config.limits.query;

function rejections(query: string, limits = defaults): { message: string; limit: unknown; code: unknown }[] {
  return validate(schema, parse(query), guardrailRules(limits)).map((error) => ({
    message: error.message,
    limit: error.extensions['limit'],
    code: error.extensions['code'],
  }));
}

describe('query guardrails', () => {
  it('let every saved operation through at the default limits', () => {
    for (const operation of loadSavedOperations()) {
      expect(rejections(operation.query), operation.file).toEqual([]);
      // The cost is priced where the variables are known (src/graphql/cost.ts): here with the operation's example
      // variables (queries/<name>.variables…) and each other variable's default.
      const variables = operation.variables ? (JSON.parse(operation.variables) as unknown) : undefined;
      const cost = requestCost(
        schema,
        { query: operation.query, variables },
        config.limits,
        defaults.maxTokens,
      );
      expect(cost, operation.file).not.toBeNull();
      expect(cost, operation.file).toBeLessThanOrEqual(defaults.maxCost);
    }
  });

  it('reject each limit with QUERY_TOO_COMPLEX, naming the limit and what the operation had', () => {
    const deep = '{ chains { segments { children { children { children { id } } } } } }';
    expect(rejections(deep, { ...defaults, maxDepth: 3 })).toEqual([
      { message: 'Query depth limit of 3 exceeded, found 6.', limit: 'maxDepth', code: 'QUERY_TOO_COMPLEX' },
    ]);
    const aliases = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: chains { id }`).join(' ')} }`;
    expect(rejections(aliases)).toEqual([
      { message: 'Aliases limit of 15 exceeded, found 16.', limit: 'maxAliases', code: 'QUERY_TOO_COMPLEX' },
    ]);
    const directives = `{ chains { ${'id @skip(if: false) '.repeat(21)} } }`;
    expect(rejections(directives)).toEqual([
      {
        message: 'Directives limit of 20 exceeded, found 21.',
        limit: 'maxDirectives',
        code: 'QUERY_TOO_COMPLEX',
      },
    ]);
    // The cost limit is no validation rule any more (it could not see variables): test/unit/cost.test.ts covers it.
    expect(rejections(aliases, { ...defaults, maxCost: 100 })).toHaveLength(1);
  });
});
