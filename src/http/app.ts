import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';

import { AggregateRefresher } from '../analytics/refresher.js';
import { authenticate } from '../auth.js';
import type { Config } from '../config.js';
import type { Executor } from '../data/executor.js';
import { ErrorCode } from '../errors.js';
import { createApolloServer } from '../graphql/apollo.js';
import { batchCostRefusal, CostBudget } from '../graphql/cost.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { ExplorerPage, loadSavedOperations, renderExplorer } from './explorer.js';
import { createMapRouter } from './map.js';
import { graphqlFastPath, refusalBody, type BodyRefusal } from './graphqlFastPath.js';
import { createReportsRouter } from './reports.js';

export interface Readiness {
  /** Set once migrations have been applied. */
  migrationsApplied: boolean;
}

export interface HttpAppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly executor: Executor;
  readonly readiness: Readiness;
  /** The process's aggregate refresher (the service starts its background checks); made here when not given. */
  readonly refresher?: AggregateRefresher;
  /**
   * Whether plain JSON POSTs to /graphql take the lean path (graphqlFastPath.ts) instead of Express's middleware
   * chain (default true). Off only to compare the two paths (test/integration/httpFastPath.test.ts).
   */
  readonly graphqlFastPath?: boolean;
}

export interface HttpApp {
  readonly httpServer: http.Server;
  readonly apollo: ApolloServer<GraphQLContext>;
  /** Listens on the configured host and port (0 picks a free port) and returns the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, drains in-flight ones and stops Apollo. */
  close(): Promise<void>;
}

/** /ready answers within this even when Neo4j does not (a load balancer's health check must not hang). */
const READY_TIMEOUT_MS = 1_000;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function requestIdOf(given: string | undefined): string {
  return given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

/** A GraphQL-shaped error response, for failures that happen before Apollo sees the request. */
function sendGraphQLError(
  response: express.Response,
  status: number,
  code: ErrorCode,
  message: string,
): void {
  response.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** Batched requests (a JSON array body) are allowed up to a size, so one request cannot carry unbounded work. */
function batchSizeRefusal(body: unknown, maxBatchSize: number): BodyRefusal | null {
  if (Array.isArray(body) && body.length > maxBatchSize) {
    return {
      status: 400,
      code: ErrorCode.QUERY_TOO_COMPLEX,
      message: `A batch may hold at most ${maxBatchSize} operations; this one has ${body.length}`,
    };
  }
  if (Array.isArray(body) && body.length === 0) {
    return {
      status: 400,
      code: ErrorCode.BAD_USER_INPUT,
      message: 'A batch must hold at least one operation',
    };
  }
  return null;
}

/**
 * Counts the JSON values (objects, arrays and scalars, at every depth) of `value`, stopping as soon as the count
 * passes `max`, so the work is bounded by the limit, not by the input. A loop, not recursion: the body parser
 * accepts nesting deep enough to overflow the stack.
 */
export function jsonValuesBeyond(value: unknown, max: number): number | null {
  const pending: unknown[] = [value];
  let count = 0;
  while (pending.length > 0) {
    const next = pending.pop();
    count += 1;
    if (count > max) return count;
    if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const item of Object.values(next)) pending.push(item);
    }
  }
  return null;
}

/**
 * Caps how many values the variables of one request may hold (all operations of a batch together). graphql-js
 * coerces variables synchronously, and our argument checks walk them again: a 2 MB body of a few hundred thousand
 * list items held the event loop — and so /health and every other request — for 0.3 s, while no argument of the
 * schema needs more than a few dozen items (an import's content is one string). Refused before Apollo sees it.
 */
function variableValuesRefusal(body: unknown, maxValues: number): BodyRefusal | null {
  const operations: unknown[] = Array.isArray(body) ? body : [body];
  const variables = operations.map((operation) =>
    typeof operation === 'object' && operation !== null
      ? (operation as { variables?: unknown }).variables
      : undefined,
  );
  // The variables objects themselves are not counted, only what they hold.
  const found = jsonValuesBeyond(variables, maxValues + 1 + variables.length);
  if (found === null) return null;
  return {
    status: 400,
    code: ErrorCode.BAD_USER_INPUT,
    message: `The variables hold more than ${maxValues} values (MAX_VARIABLE_VALUES): send smaller lists`,
  };
}

/** The checks on a parsed /graphql body before Apollo sees it, shared by the lean path and the Express path. */
function bodyChecks(config: Config): (body: unknown) => BodyRefusal | null {
  const batchCost = batchCostRefusal(config);
  return (body) =>
    batchSizeRefusal(body, config.limits.maxBatchSize) ??
    variableValuesRefusal(body, config.limits.maxVariableValues) ??
    batchCost(body);
}

/** The Express form of bodyChecks, for the requests the lean path leaves to Express. */
function checkBody(check: (body: unknown) => BodyRefusal | null): RequestHandler {
  return (request, response, next) => {
    const refusal = check(request.body);
    if (refusal === null) {
      next();
      return;
    }
    response.status(refusal.status).json(refusalBody(refusal));
  };
}

/**
 * Body-parser failures (too large, malformed JSON, unsupported charset) as JSON with a code. Express's default
 * handler would answer with an HTML page, and in development with a stack trace.
 */
function bodyErrorsAsGraphQL(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (error: unknown, _request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
    if (type === 'entity.too.large') {
      sendGraphQLError(
        response,
        413,
        ErrorCode.BAD_USER_INPUT,
        `The request body is larger than the limit of ${maxBodyBytes} bytes`,
      );
    } else if (type === 'entity.parse.failed') {
      sendGraphQLError(response, 400, ErrorCode.BAD_USER_INPUT, 'The request body is not valid JSON');
    } else if (typeof status === 'number' && status >= 400 && status < 500) {
      sendGraphQLError(response, status, ErrorCode.BAD_USER_INPUT, 'The request body cannot be read');
    } else {
      logger.error({ err: error, requestId: response.locals['requestId'] }, 'Unexpected HTTP error');
      sendGraphQLError(response, 500, ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
    }
  };
}

export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const { config, logger, executor, readiness } = options;
  const refresher =
    options.refresher ??
    new AggregateRefresher(executor, {
      waitMs: config.aggregates.waitMs,
      pollMs: 0,
      timeoutMs: config.aggregates.refreshTimeoutMs,
      structureTtlMs: config.aggregates.structureTtlMs,
      hubMinLinks: config.aggregates.hubMinLinks,
      logger,
    });
  const app = express();
  app.disable('x-powered-by');
  // The lean path answers plain JSON POSTs to /graphql (set below, once Apollo has started); Express the rest.
  let fastPath: ((request: http.IncomingMessage, response: http.ServerResponse) => boolean) | undefined;
  const httpServer = http.createServer((request, response) => {
    if (fastPath?.(request, response) !== true) app(request, response);
  });

  const apollo = createApolloServer(config, logger, [ApolloServerPluginDrainHttpServer({ httpServer })]);
  await apollo.start();

  app.use((request, response, next) => {
    const requestId = requestIdOf(request.header('x-request-id'));
    response.locals['requestId'] = requestId;
    // The request's deadline counts from here, so time spent reading the body is part of it.
    response.locals['receivedAt'] = Date.now();
    response.setHeader('x-request-id', requestId);
    next();
  });

  // Liveness: the process is up. It never touches the database.
  app.get('/health', (_request, response) => {
    response.json({ status: 'ok' });
  });

  // Readiness: Neo4j answers and the migrations have been applied.
  app.get('/ready', async (_request, response) => {
    if (!readiness.migrationsApplied) {
      response.status(503).json({ status: 'starting', reason: 'migrations not applied yet' });
      return;
    }
    try {
      await executor.ping(READY_TIMEOUT_MS);
      response.json({ status: 'ready' });
    } catch {
      response.status(503).json({ status: 'unavailable', reason: 'Neo4j does not answer' });
    }
  });

  if (config.explorerEnabled) {
    const explorerPage = new ExplorerPage(renderExplorer('/graphql', loadSavedOperations()));
    const serveExplorer: express.RequestHandler = (request, response, next) => {
      // Only browsers navigating here get the page; GraphQL-over-HTTP GET requests fall through to Apollo.
      if (request.method !== 'GET' || request.query['query'] !== undefined || !request.accepts('text/html')) {
        next();
        return;
      }
      if (
        request.accepts(['application/json', 'application/graphql-response+json', 'text/html']) !==
        'text/html'
      ) {
        next();
        return;
      }
      explorerPage.send(request, response).catch(next);
    };
    app.get(['/', '/graphql'], serveExplorer);
    app.use('/map', createMapRouter());
  }

  // One context per HTTP request, for /graphql and for the reports (which run saved operations through Apollo).
  const contextOf = async (
    requestId: string,
    receivedAt: number,
    headers: { readonly authorization?: string; readonly 'x-api-key'?: string },
  ): Promise<GraphQLContext> => ({
    requestId,
    executor: executor.forRequest(requestId, undefined, {
      timeoutMs: config.requestTimeoutMs,
      startedAt: receivedAt,
    }),
    config,
    logger: logger.child({ requestId }),
    costBudget: new CostBudget(),
    refresher,
    caller: await authenticate(
      { authorization: headers.authorization, 'x-api-key': headers['x-api-key'] },
      config.access,
    ),
  });
  const contextFor = (req: Request, res: express.Response): Promise<GraphQLContext> => {
    const authorization = req.header('authorization');
    const apiKey = req.header('x-api-key');
    return contextOf(String(res.locals['requestId']), Number(res.locals['receivedAt']), {
      ...(authorization === undefined ? {} : { authorization }),
      ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }),
    });
  };

  app.use('/reports', createReportsRouter(apollo, contextFor));

  const checks = bodyChecks(config);
  app.use(
    '/graphql',
    express.json({ limit: config.limits.maxBodyBytes }),
    checkBody(checks),
    expressMiddleware(apollo, { context: ({ req, res }) => contextFor(req, res) }),
  );
  app.use(bodyErrorsAsGraphQL(logger, config.limits.maxBodyBytes));
  if (options.graphqlFastPath !== false) {
    fastPath = graphqlFastPath({
      apollo,
      logger,
      maxBodyBytes: config.limits.maxBodyBytes,
      requestIdOf,
      checkBody: checks,
      contextOf,
    });
  }

  return {
    httpServer,
    apollo,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.http.port, config.http.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          resolve(`http://${config.http.host}:${port}`);
        });
      }),
    close: () => apollo.stop(),
  };
}
