import type { IncomingMessage, ServerResponse } from 'node:http';

import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';

import { ErrorCode } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Logger } from '../logger.js';

/**
 * The lean path for the common case of POST /graphql: a JSON body of a known length, UTF-8, not compressed. It does
 * what Express's chain did for such a request — request id, deadline start, body size limit, strict JSON parsing,
 * the batch, variable and batch-cost checks, Apollo (which applies its CSRF and content-type rules, batching, the
 * plugins: prices, admission, argument limits, the error model), the same status, headers and bytes — without the
 * generic machinery around it: Express's router and its per-request prototype juggling, body-parser's stream
 * plumbing and charset decoding, `res.send`'s ETag (a SHA-1 of every answer, which no client of a POST can use)
 * and the Apollo integration's URL parse. Under the benchmark's load that chain was about a quarter of the
 * service's CPU on a lookup (bench/results/profile-after.md).
 *
 * Every request that is not exactly that case — another method or path, another content type or charset, a
 * compressed or chunked body, no or an empty body, a declared length above the limit — goes to the Express app
 * untouched (nothing has been read from it yet), which answers it as before. test/integration/httpFastPath.test.ts
 * compares the two paths byte for byte.
 */

/** A refusal before Apollo sees the request, in the shape of a GraphQL error response. */
export interface BodyRefusal {
  readonly status: number;
  readonly code: ErrorCode;
  readonly message: string;
  /** The whole `extensions` object, `code` included, when it holds more than the code. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface FastPathOptions {
  readonly apollo: ApolloServer<GraphQLContext>;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** The id of the request (echoed, or made) — the same rule as the Express path's. */
  readonly requestIdOf: (given: string | undefined) => string;
  /** The checks the Express path runs on the parsed body before Apollo (batch size, variable values, batch cost). */
  readonly checkBody: (body: unknown) => BodyRefusal | null;
  readonly contextOf: (
    requestId: string,
    receivedAt: number,
    headers: { readonly authorization?: string; readonly 'x-api-key'?: string },
  ) => Promise<GraphQLContext>;
}

/** `application/json`, optionally with a UTF-8 charset: what body-parser parses as UTF-8 JSON without a decoder. */
const JSON_CONTENT_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

/** The whitespace JSON allows before a value (body-parser's strict mode looks past it for `{` or `[`). */
const LEADING_JSON_WHITESPACE = /^[ \t\n\r]*/;

/** The body of an error answer, byte for byte what Express's `res.json` wrote for the same refusal. */
export function refusalBody(refusal: BodyRefusal): {
  errors: { message: string; extensions: Readonly<Record<string, unknown>> }[];
} {
  return { errors: [{ message: refusal.message, extensions: refusal.extensions ?? { code: refusal.code } }] };
}

function errorBody(refusal: BodyRefusal): string {
  return JSON.stringify(refusalBody(refusal));
}

function sendJson(response: ServerResponse, status: number, body: string): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
}

/** Whether the request is the case the lean path takes; anything else goes to Express untouched. */
function isPlainJsonPost(request: IncomingMessage, maxBodyBytes: number): boolean {
  if (request.method !== 'POST' || request.url !== '/graphql') return false;
  const { headers } = request;
  if (headers['transfer-encoding'] !== undefined) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = headers['content-type'];
  if (type === undefined || !JSON_CONTENT_TYPE.test(type)) return false;
  const declared = headers['content-length'];
  if (declared === undefined || !/^\d{1,15}$/.test(declared)) return false;
  const length = Number(declared);
  // Zero and over-long bodies take Express's path, which answers them (an empty object; 413) as it always did.
  return length > 0 && length <= maxBodyBytes;
}

/**
 * body-parser's strict JSON: a UTF-8 byte order mark is dropped (iconv-lite does), an empty text is `{}`, and
 * anything that is not an object or an array at the top is refused like malformed JSON.
 */
function parseStrictJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return { ok: true, value: {} };
  const first =
    body[0] === '{' || body[0] === '[' ? body[0] : body[LEADING_JSON_WHITESPACE.exec(body)![0].length];
  if (first !== '{' && first !== '[') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Writes Apollo's answer as the Express integration did (its headers, its status, the body; no ETag). */
async function sendApolloResponse(response: ServerResponse, answer: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of answer.headers) response.setHeader(key, value);
  response.statusCode = answer.status ?? 200;
  if (answer.body.kind === 'complete') {
    const body = answer.body.string;
    response.setHeader('content-length', Buffer.byteLength(body));
    response.end(body);
    return;
  }
  for await (const chunk of answer.body.asyncIterator) response.write(chunk);
  response.end();
}

/**
 * Returns a handler that answers a plain JSON POST /graphql and returns true, or returns false (having touched
 * nothing) for the Express app to answer.
 */
export function graphqlFastPath(
  options: FastPathOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const { apollo, logger, maxBodyBytes, requestIdOf, checkBody, contextOf } = options;

  const answer = async (
    request: IncomingMessage,
    response: ServerResponse,
    requestId: string,
    receivedAt: number,
    text: string,
  ): Promise<void> => {
    const parsed = parseStrictJson(text);
    if (!parsed.ok) {
      sendJson(
        response,
        400,
        errorBody({
          status: 400,
          code: ErrorCode.BAD_USER_INPUT,
          message: 'The request body is not valid JSON',
        }),
      );
      return;
    }
    const refusal = checkBody(parsed.value);
    if (refusal) {
      sendJson(response, refusal.status, errorBody(refusal));
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const { authorization } = request.headers;
    const apiKey = request.headers['x-api-key'];
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body: parsed.value },
      context: () =>
        contextOf(requestId, receivedAt, {
          ...(authorization === undefined ? {} : { authorization }),
          ...(typeof apiKey === 'string' ? { 'x-api-key': apiKey } : {}),
        }),
    });
    await sendApolloResponse(response, result);
  };

  return (request, response) => {
    if (!isPlainJsonPost(request, maxBodyBytes)) return false;
    const given = request.headers['x-request-id'];
    const requestId = requestIdOf(typeof given === 'string' ? given : undefined);
    // The request's deadline counts from here, so time spent reading the body is part of it.
    const receivedAt = Date.now();
    response.setHeader('x-request-id', requestId);

    const chunks: Buffer[] = [];
    let received = 0;
    let failed = false;
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Node's parser stops a body at its declared length, which is within the limit; this is only a backstop.
      if (received > maxBodyBytes) {
        failed = true;
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', () => {
      // An aborted upload: there is no one left to answer.
      failed = true;
    });
    request.on('end', () => {
      if (failed) return;
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
      answer(request, response, requestId, receivedAt, text).catch((error: unknown) => {
        logger.error({ err: error, requestId }, 'Unexpected HTTP error');
        if (response.headersSent) {
          response.destroy();
          return;
        }
        sendJson(
          response,
          500,
          errorBody({ status: 500, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' }),
        );
      });
    });
    return true;
  };
}
