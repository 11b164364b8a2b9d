import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

import { AggregateRefresher } from '../../src/analytics/refresher.js';
import type { Caller } from '../../src/auth.js';
import type { Config } from '../../src/config.js';
import type { Executor } from '../../src/data/executor.js';
import { createApolloServer } from '../../src/graphql/apollo.js';
import type { GraphQLContext } from '../../src/graphql/context.js';
import { QUERIES_DIR } from '../../src/http/explorer.js';
import { createLogger } from '../../src/logger.js';

export interface OperationResult<TData> {
  readonly data: TData | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** How many Cypher statements the request sent to Neo4j. */
  readonly roundTrips: number;
  /** The statements themselves, in order. */
  readonly statements: readonly string[];
}

export interface RunOptions {
  /** The authenticated caller (default: anonymous). */
  readonly caller?: Caller | null;
}

export interface TestGraphQL {
  run<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RunOptions,
  ): Promise<OperationResult<TData>>;
  /** Runs, and fails the test on any GraphQL error, returning the data. */
  data<TData = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RunOptions,
  ): Promise<TData>;
  stop(): Promise<void>;
}

/** The service's own Apollo Server, executed in-process against the real test Neo4j. */
export async function createTestGraphQL(executor: Executor, config: Config): Promise<TestGraphQL> {
  // TEST_LOG_LEVEL=error shows the originals of masked errors while debugging a failing test.
  const logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const server: ApolloServer<GraphQLContext> = createApolloServer(config, logger);
  await server.start();
  // One per process, as in the service: analytics answers fold in the test's own writes first.
  const refresher = new AggregateRefresher(executor, {
    waitMs: config.aggregates.waitMs,
    pollMs: 0,
    timeoutMs: config.aggregates.refreshTimeoutMs,
  });
  let requestNumber = 0;
  const run = async <TData>(
    query: string,
    variables?: Record<string, unknown>,
    options: RunOptions = {},
  ): Promise<OperationResult<TData>> => {
    const statements: string[] = [];
    const requestId = `test-${++requestNumber}`;
    const response = await server.executeOperation<TData>(
      { query, ...(variables ? { variables } : {}) },
      {
        contextValue: {
          requestId,
          executor: executor.forRequest(requestId, (event) => {
            statements.push(event.query.cypher);
          }),
          config,
          logger,
          refresher,
          caller: options.caller ?? null,
        },
      },
    );
    assert(response.body.kind === 'single', 'expected a single (non-incremental) result');
    const { data, errors } = response.body.singleResult;
    return {
      data: (data ?? undefined) as TData | undefined,
      errors,
      roundTrips: statements.length,
      statements,
    };
  };
  return {
    run,
    data: async <TData>(query: string, variables?: Record<string, unknown>, options?: RunOptions) => {
      const result = await run<TData>(query, variables, options);
      assert.equal(result.errors, undefined, `GraphQL errors: ${JSON.stringify(result.errors)}`);
      assert(result.data !== undefined, 'no data');
      return result.data;
    },
    stop: () => server.stop(),
  };
}

/** The text of a saved operation in queries/, by file name without extension. */
export function savedOperation(name: string): string {
  return readFileSync(path.join(QUERIES_DIR, `${name}.graphql`), 'utf8');
}

/** The example variables a saved operation is run with for one variant (`queries/<name>.variables/<variant>.json`). */
export function savedVariables(name: string, variant: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(path.join(QUERIES_DIR, `${name}.variables`, `${variant}.json`), 'utf8'),
  ) as Record<string, unknown>;
}
