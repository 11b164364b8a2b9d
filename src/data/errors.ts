import { Neo4jError } from 'neo4j-driver';

import { AppError, ErrorCode } from '../errors.js';

/** The driver's codes for "no server to talk to" and the server's for "the database is not serving". */
const UNAVAILABLE_CODES = new Set([
  'ServiceUnavailable',
  'SessionExpired',
  'Neo.TransientError.General.DatabaseUnavailable',
]);
/**
 * Messages of connection-level failures the driver does not always give one of the codes above (its own pool
 * being closed, sockets refused, reset or cut while a statement or a commit is on the wire), and the error codes
 * Node's sockets carry for the same.
 */
const UNAVAILABLE_MESSAGE =
  /ECONNREFUSED|ECONNRESET|EPIPE|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|socket hang up|Pool is closed|connection (?:was )?(?:closed|lost|terminated|reset)|failed to connect|could not perform discovery|no routing servers available/i;
const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
]);
const TIMEOUT_CODES = new Set([
  'Neo.ClientError.Transaction.TransactionTimedOut',
  'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration',
  'Neo.TransientError.Transaction.LockAcquisitionTimeout',
  // A transaction that times out while waiting for a lock is stopped with this code instead.
  'Neo.ClientError.Transaction.LockClientStopped',
]);

/**
 * True when the failure means Neo4j cannot be reached or is not serving the database — the failures that make the
 * Executor stop sending statements until a probe gets an answer. A query's own faults (syntax, constraints,
 * timeouts, deadlocks) are not.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  if (error instanceof Neo4jError) {
    return UNAVAILABLE_CODES.has(error.code) || UNAVAILABLE_MESSAGE.test(error.message);
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && SOCKET_ERROR_CODES.has(code)) || UNAVAILABLE_MESSAGE.test(error.message);
}

/**
 * The driver's pool found no connection within connectionAcquisitionTimeout: every pooled connection is busy (a
 * load, or statements stuck on a server that stopped answering). Not "unreachable" by itself — the Executor asks
 * the availability monitor to verify — and never a masked internal error.
 */
export function isNoConnectionInTime(error: unknown): boolean {
  return error instanceof Error && /^Connection acquisition timed out/.test(error.message);
}

/** A request that ran out of its wall-clock budget (REQUEST_TIMEOUT_MS). */
export function deadlineExceeded(budgetMs: number): AppError {
  return new AppError(
    ErrorCode.TIMEOUT,
    `The request did not finish within its time limit of ${budgetMs} ms; try a smaller query or try again later`,
  );
}

/** What clients get while Neo4j is away: a stable code, and nothing of the driver's own text. */
export function databaseUnavailable(): AppError {
  return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'The graph database is unavailable; try again shortly');
}

/**
 * Maps a driver failure to the service's error model, once, here. Errors that are not expected conditions are
 * returned unchanged so that formatError masks them and the logs keep the original.
 */
export function mapDriverError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (isDatabaseUnreachable(error)) return databaseUnavailable();
  if (isNoConnectionInTime(error)) {
    return new AppError(
      ErrorCode.TIMEOUT,
      'No connection to the graph database came free in time; try again',
    );
  }
  if (!(error instanceof Neo4jError)) return error;
  if (TIMEOUT_CODES.has(error.code) || error.code.includes('TransactionTimedOut')) {
    return new AppError(ErrorCode.TIMEOUT, 'The query took longer than the configured transaction timeout');
  }
  if (error.code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
    return new AppError(ErrorCode.CONFLICT, 'The change conflicts with existing data (a unique id is taken)');
  }
  // A transient failure that outlasted the Executor's retries (a deadlock that keeps recurring, a transaction
  // terminated because the database is shutting down, memory pressure): nothing is wrong with the request, so the
  // client is told to try again rather than shown an internal error.
  if (error.code.startsWith('Neo.TransientError.')) {
    const busy = new AppError(
      ErrorCode.DATABASE_UNAVAILABLE,
      'The graph database is busy; try again shortly',
    );
    // Kept for the logs only (the logger's error serializer appends a cause's message; clients never see it): "busy"
    // alone hid that a refresh at a million firms kept failing on Neo4j's transaction memory limit.
    Object.defineProperty(busy, 'cause', { value: error, enumerable: false });
    return busy;
  }
  return error;
}
