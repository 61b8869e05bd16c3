import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths removed from every log line. Request and response headers, bodies
 * and error details are covered, so a credential that reaches a log call by
 * mistake is still replaced.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.secret',
  '*.setupSecret',
  '*.clientSecret',
  '*.apiKey',
  '*.privateKey',
  '*.key',
  '*.connectionString',
  '*.databaseUrl',
  '*.ownerUrl',
  '*.appUrl',
  // pg attaches its client to connection errors, and the client carries
  // the backend cancel key and connection parameters.
  '*.client',
  '*.secretKey',
  'password',
  'token',
  'secret',
  'setupSecret',
  'connectionString',
];

export function loggerOptions(level: LoggerOptions['level']): LoggerOptions {
  return {
    level: level ?? 'info',
    base: { service: 'peytonix' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
    },
  };
}

/** Create the process logger. Destination defaults to standard output. */
export function createLogger(
  level: LoggerOptions['level'],
  destination?: pino.DestinationStream,
): Logger {
  const options = loggerOptions(level);
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
