import type { Executor } from '../../src/data/executor.js';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { testConfig } from './database.js';

export interface TestServer {
  /** The base URL, for example http://127.0.0.1:41234 (GraphQL is at `${url}/graphql`). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The service's real HTTP app on a free port over the test Neo4j: the configuration is the tests' (testConfig) plus
 * the given environment overrides, parsed exactly as the service parses its own. TEST_LOG_LEVEL=error shows the
 * originals of masked errors while debugging.
 */
export async function serveTestApp(
  executor: Executor,
  overrides: NodeJS.ProcessEnv = {},
  logger: Logger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent'),
): Promise<TestServer> {
  const app = await createHttpApp({
    config: testConfig(overrides),
    logger,
    executor,
    readiness: { migrationsApplied: true },
  });
  const url = await app.listen();
  return { url, close: () => app.close() };
}

export interface GraphQLResponseBody<TData = unknown> {
  data?: TData;
  errors?: {
    message: string;
    path?: (string | number)[];
    extensions: { code: string; argument?: string; limit?: string };
  }[];
}

export interface PostedResponse<TData = unknown> {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly body: GraphQLResponseBody<TData>;
}

/** POSTs a GraphQL request (or any JSON, or a raw string) to `${url}/graphql` and reads the answer. */
export async function postGraphQL<TData = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<PostedResponse<TData>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    text,
    body: JSON.parse(text) as GraphQLResponseBody<TData>,
  };
}
