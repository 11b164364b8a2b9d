import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs (pino). Secrets that may pass through request headers or config are redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'chain-kg' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password'],
      censor: '[redacted]',
    },
  });
}
