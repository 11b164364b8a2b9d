import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * The one error model. Every error a client sees carries `extensions.code` from this list (or one of Apollo's
 * request-level codes such as GRAPHQL_VALIDATION_FAILED); anything else is masked as INTERNAL_SERVER_ERROR.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  CONFLICT: 'CONFLICT',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  /** Too many expensive operations in flight (admission control, src/graphql/admission.ts): HTTP 503, retry later. */
  SERVICE_BUSY: 'SERVICE_BUSY',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure whose message is safe to show to the client. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }

  get code(): ErrorCode {
    return this.extensions['code'] as ErrorCode;
  }
}

/** How much of a client's value an error message may quote. */
export const MAX_ECHOED_CHARACTERS = 64;

/**
 * A client's value as an error message may quote it: cut to MAX_ECHOED_CHARACTERS with an ellipsis, so that a
 * megabyte id is not sent back whole (nor written whole into the logs).
 */
export function clip(value: string, max = MAX_ECHOED_CHARACTERS): string {
  if (value.length <= max) return value;
  // Never cut a surrogate pair in half.
  const end = /[\uD800-\uDBFF]/.test(value[max - 1] ?? '') ? max - 1 : max;
  return `${value.slice(0, end)}…`;
}

/** Longest message sent to a client: a backstop for any message that quotes a client's value unclipped. */
const MAX_MESSAGE_CHARACTERS = 1_000;

/**
 * A client-safe message as sent: graphql-js quotes values in double quotes (`Variable "$s" got invalid value
 * "…"`, `Cannot query field "…"`) without bounding them, so every double-quoted run is clipped, and the whole
 * message is cut at MAX_MESSAGE_CHARACTERS.
 */
export function boundedMessage(message: string): string {
  const clipped = message.replace(/"((?:[^"\\]|\\.)*)"/g, (quoted, inner: string) =>
    inner.length > MAX_ECHOED_CHARACTERS ? `"${clip(inner)}"` : quoted,
  );
  return clip(clipped, MAX_MESSAGE_CHARACTERS);
}

/** A bad argument, named so the caller knows exactly what to fix. */
export function badUserInput(argument: string, message: string): AppError {
  return new AppError(ErrorCode.BAD_USER_INPUT, `Argument '${argument}': ${message}`, { argument });
}

const MASKED_MESSAGE =
  'Internal server error; it has been logged with the request id in the x-request-id header';

// Apollo's request-level codes describe the request (parse, validation, variable coercion), never our internals.
const REQUEST_ERROR_CODES = new Set<string>(
  Object.values(ApolloServerErrorCode).filter((code) => code !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR),
);

interface GraphQLErrorLike {
  readonly extensions?: Record<string, unknown>;
  readonly originalError?: unknown;
}

/**
 * Structural, not `instanceof`: graphql can be loaded twice (its ESM and CommonJS builds, for example under a
 * test runner), and an error from one copy is not an instance of the other's GraphQLError.
 */
function graphQLErrorLike(error: unknown): GraphQLErrorLike | null {
  return typeof error === 'object' && error !== null && 'extensions' in error
    ? (error as GraphQLErrorLike)
    : null;
}

/** True when the error is one we raised on purpose, or describes the request itself, so it is safe to show. */
export function isClientSafe(error: unknown): boolean {
  const wrapper = graphQLErrorLike(error);
  if (error instanceof AppError || wrapper?.originalError instanceof AppError) return true;
  if (wrapper === null) return false;
  const code = wrapper.extensions?.['code'];
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) return true;
  // graphql-js's own execution errors (for example a null for a non-null field) have no underlying cause;
  // anything wrapping a thrown Error is unexpected.
  return wrapper.originalError === undefined || wrapper.originalError === null;
}

/**
 * Apollo's own request errors that carry an HTTP 4xx status but no code: an automatic-persisted-query hash that
 * does not match the query, an unsupported persisted-query version. Without a code Apollo would label them
 * INTERNAL_SERVER_ERROR, yet the client sent them.
 */
function isCodelessRequestError(error: unknown): boolean {
  const wrapper = graphQLErrorLike(error);
  if (wrapper === null || wrapper.extensions?.['code'] !== undefined) return false;
  if (wrapper.originalError !== undefined && wrapper.originalError !== null) return false;
  const status = (wrapper.extensions?.['http'] as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

// Clearer words for Apollo's terse request errors, naming the field the client has to fix.
const REQUEST_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  'provided sha does not match query':
    'extensions.persistedQuery.sha256Hash does not match the SHA-256 hash of the query sent with it',
  'Unsupported persisted query version':
    'Unsupported persisted query version; extensions.persistedQuery.version must be 1',
};

// graphql-js's own token limit (parseOptions.maxTokens) reports itself as a syntax error (spelt "more that").
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens/;

/**
 * The code a client-safe error should carry. Apollo re-labels errors raised during validation (our guardrail
 * rules) as GRAPHQL_VALIDATION_FAILED; the AppError inside says precisely what was wrong.
 */
function clientCode(formatted: GraphQLFormattedError, error: unknown): unknown {
  const original = graphQLErrorLike(error)?.originalError;
  if (original instanceof AppError) return original.code;
  if (isCodelessRequestError(error)) return ApolloServerErrorCode.BAD_REQUEST;
  if (
    formatted.extensions?.['code'] === ApolloServerErrorCode.GRAPHQL_PARSE_FAILED &&
    TOKEN_LIMIT.test(formatted.message)
  ) {
    return ErrorCode.QUERY_TOO_COMPLEX;
  }
  return formatted.extensions?.['code'];
}

/** Apollo's formatError: masks everything that is not client-safe and never sends stack traces. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (isClientSafe(error)) {
    const { stacktrace, ...extensions } = formatted.extensions ?? {};
    const code = clientCode(formatted, error);
    const tokenLimit = TOKEN_LIMIT.exec(formatted.message)?.[1];
    const message =
      tokenLimit !== undefined && code === ErrorCode.QUERY_TOO_COMPLEX
        ? `The operation has more than ${tokenLimit} tokens, the limit`
        : boundedMessage(
            code === ApolloServerErrorCode.BAD_REQUEST
              ? (REQUEST_ERROR_MESSAGES[formatted.message] ?? formatted.message)
              : formatted.message,
          );
    return { ...formatted, message, extensions: { ...extensions, code } };
  }
  return {
    message: MASKED_MESSAGE,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
