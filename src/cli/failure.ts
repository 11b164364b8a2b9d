import { ConfigError } from '../config.js';
import { DatabaseConnectionError } from '../data/driver.js';
import { ImportContentError } from '../import/importer.js';
import { LocalNeo4jError } from '../neo4j/localNeo4j.js';
import { PortInUseError } from '../ports.js';
import { SeedValidationError } from '../seed/validate.js';

/** Failures a user can act on: they are reported as their message alone, without a stack trace. */
const EXPECTED_FAILURES = [
  ConfigError,
  DatabaseConnectionError,
  ImportContentError,
  LocalNeo4jError,
  PortInUseError,
  SeedValidationError,
];

/** Reports a failure on stderr (one readable message if expected, the stack otherwise) and exits with status 1. */
export function exitWithFailure(error: unknown): never {
  const expected = EXPECTED_FAILURES.some((kind) => error instanceof kind);
  process.stderr.write(`${expected ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
}
