import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). Secrets that may pass through request headers or config are redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'chain-kg' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password'],
      censor: '[redacted]',
    },
  };
  // A destination other than stdout is for tests that read what was logged.
  return destination === undefined ? pino(options) : pino(options, destination);
}
