import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Request } from 'express';

import { callerForKey, presentedKey, type Caller } from '../auth.js';
import type { Config } from '../config.js';
import type { Executor } from '../data/executor.js';
import { AppError, ErrorCode } from '../errors.js';
import { createApolloServer } from '../graphql/apollo.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Logger } from '../logger.js';
import { loadSavedOperations, renderExplorer } from './explorer.js';
import { createMapRouter } from './map.js';

export interface Readiness {
  /** Set once migrations have been applied. */
  migrationsApplied: boolean;
}

export interface HttpAppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly executor: Executor;
  readonly readiness: Readiness;
}

export interface HttpApp {
  readonly httpServer: http.Server;
  readonly apollo: ApolloServer<GraphQLContext>;
  /** Listens on the configured host and port (0 picks a free port) and returns the base URL. */
  listen(): Promise<string>;
  /** Stops accepting requests, drains in-flight ones and stops Apollo. */
  close(): Promise<void>;
}

/**
 * The caller of a request. A key that matches nothing is an error even where reads are public: a client sending a
 * wrong key must learn it, not silently get anonymous access.
 */
function authenticate(request: Request, config: Config): Caller | null {
  const key = presentedKey({
    authorization: request.header('authorization'),
    'x-api-key': request.header('x-api-key'),
  });
  if (key === null) {
    if (config.access.reads === 'key') {
      throw new AppError(
        ErrorCode.UNAUTHENTICATED,
        'This service needs an API key (Authorization: Bearer <key>)',
        { http: { status: 401 } },
      );
    }
    return null;
  }
  const caller = callerForKey(key, config.access.apiKeys);
  if (caller === null) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'The API key is not valid', { http: { status: 401 } });
  }
  return caller;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

function requestIdOf(request: Request): string {
  const given = request.header('x-request-id');
  return given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const { config, logger, executor, readiness } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const apollo = createApolloServer(config, logger, [ApolloServerPluginDrainHttpServer({ httpServer })]);
  await apollo.start();

  app.use((request, response, next) => {
    const requestId = requestIdOf(request);
    response.locals['requestId'] = requestId;
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
      await executor.ping();
      response.json({ status: 'ready' });
    } catch {
      response.status(503).json({ status: 'unavailable', reason: 'Neo4j does not answer' });
    }
  });

  if (config.explorerEnabled) {
    const explorerPage = renderExplorer('/graphql', loadSavedOperations());
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
      response.type('html').send(explorerPage);
    };
    app.get(['/', '/graphql'], serveExplorer);
    app.use('/map', createMapRouter());
  }

  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: ({ req, res }) => {
        const requestId = String(res.locals['requestId']);
        return Promise.resolve({
          requestId,
          executor: executor.forRequest(requestId),
          config,
          logger: logger.child({ requestId }),
          caller: authenticate(req, config),
        });
      },
    }),
  );

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
