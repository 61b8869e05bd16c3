import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

export interface AppErrorOptions {
  /** Public message: names the value at fault and what to do next. */
  detail: string;
  /** Internal detail for logs only; never sent to the client. */
  internal?: unknown;
  /** Extra public members of the problem document, such as field errors. */
  extensions?: Record<string, unknown>;
  /** Response headers to add, such as Retry-After. */
  headers?: Record<string, string>;
}

/**
 * The one error type that services and routes throw. The central error
 * handler turns it into an RFC 9457 problem document.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly internal: unknown;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: AppErrorOptions) {
    super(`${code}: ${options.detail}`, { cause: options.internal });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.detail = options.detail;
    this.internal = options.internal;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
