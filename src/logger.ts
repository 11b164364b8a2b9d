import { pino, type DestinationStream, type Logger } from 'pino';

import type { Config } from './config.js';
import { formatPretty, type LogRecord } from './logFormat.js';

export type { Logger };

/** How records are written: JSON lines (for collectors) or readable lines (for a person at a terminal). */
export interface LogOutput {
  readonly format: 'json' | 'pretty';
  /** ANSI colours in pretty lines. */
  readonly colour: boolean;
}

const JSON_OUTPUT: LogOutput = { format: 'json', colour: false };

/**
 * What LOG_FORMAT and NO_COLOR mean for a given standard output: `auto` is pretty on a terminal and JSON when
 * piped or redirected (a file, a container log, a collector); colours only on a terminal and never with NO_COLOR.
 */
export function logOutputFor(
  config: Pick<Config, 'logFormat' | 'noColor'>,
  stdout: { readonly isTTY?: boolean } = process.stdout,
): LogOutput {
  const terminal = stdout.isTTY === true;
  const format = config.logFormat === 'auto' ? (terminal ? 'pretty' : 'json') : config.logFormat;
  return { format, colour: format === 'pretty' && terminal && !config.noColor };
}

/** Turns pino's JSON lines into readable ones before they reach the real destination. */
function prettyStream(target: DestinationStream, output: LogOutput): DestinationStream {
  return {
    write(line: string) {
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        // Never lose a record to the formatter: pass on what pino wrote.
        target.write(line);
        return;
      }
      target.write(formatPretty(record, { colour: output.colour }));
    },
  };
}

/**
 * Structured logs (pino). Secrets that may pass through request headers or config are redacted. JSON lines unless
 * `output` asks for pretty ones; fields stay structured either way (a summary is a list of records, which pretty
 * output lays out as a table).
 */
export function createLogger(
  level: string,
  destination?: DestinationStream,
  output: LogOutput = JSON_OUTPUT,
): Logger {
  const options = {
    level,
    base: { service: 'chain-kg' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password'],
      censor: '[redacted]',
    },
  };
  if (output.format === 'pretty') {
    // Synchronous like pino's own stdout destination, so that the last lines before an exit are not lost.
    return pino(options, prettyStream(destination ?? pino.destination({ dest: 1, sync: true }), output));
  }
  // A destination other than stdout is for tests that read what was logged.
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** The logger of a command or the service: level from LOG_LEVEL (or `level`), format from LOG_FORMAT and stdout. */
export function createConfiguredLogger(
  config: Pick<Config, 'logLevel' | 'logFormat' | 'noColor'>,
  level: string = config.logLevel,
): Logger {
  return createLogger(level, undefined, logOutputFor(config));
}
