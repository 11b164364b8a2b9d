import { Neo4jError } from 'neo4j-driver';

import { AppError, ErrorCode } from '../errors.js';

const UNAVAILABLE_CODES = new Set([
  'ServiceUnavailable',
  'SessionExpired',
  'Neo.TransientError.General.DatabaseUnavailable',
]);
const TIMEOUT_CODES = new Set([
  'Neo.ClientError.Transaction.TransactionTimedOut',
  'Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration',
  'Neo.TransientError.Transaction.LockAcquisitionTimeout',
]);

/**
 * Maps a driver failure to the service's error model, once, here. Errors that are not expected conditions are
 * returned unchanged so that formatError masks them and the logs keep the original.
 */
export function mapDriverError(error: unknown): unknown {
  if (!(error instanceof Neo4jError)) return error;
  if (UNAVAILABLE_CODES.has(error.code) || /connect|ECONNREFUSED|Pool is closed/i.test(error.message)) {
    return new AppError(
      ErrorCode.DATABASE_UNAVAILABLE,
      'The graph database is unavailable; try again shortly',
      {
        cause: error.code,
      },
    );
  }
  if (TIMEOUT_CODES.has(error.code) || error.code.includes('TransactionTimedOut')) {
    return new AppError(ErrorCode.TIMEOUT, 'The query took longer than the configured transaction timeout');
  }
  if (error.code === 'Neo.ClientError.Schema.ConstraintValidationFailed') {
    return new AppError(ErrorCode.CONFLICT, 'The change conflicts with existing data (a unique id is taken)');
  }
  return error;
}
