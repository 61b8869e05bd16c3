/**
 * Stable codes of the errors the query sandbox throws. Callers match on
 * `code`, because the wording of `message` may change between releases.
 *
 * - SQL_NOT_SINGLE_SELECT: the text is not exactly one SELECT statement.
 * - SQL_INVALID: DuckDB rejected the query with a syntax, binder, catalog or
 *   conversion error. The message contains DuckDB's own message.
 * - SQL_NOT_ALLOWED: the query uses a function or relation the sandbox does
 *   not allow, or DuckDB rejected a file or extension access.
 * - SANDBOX_TIMEOUT: the run exceeded its time limit, and the query was interrupted.
 * - SANDBOX_LIMIT: the run exceeded its memory or temporary-disk limit.
 * - INPUT_INVALID: an input, parameter or limit of the request is invalid.
 * - SANDBOX_FAILED: an unexpected DuckDB or file-system failure.
 */
export type SandboxErrorCode =
  | 'SQL_NOT_SINGLE_SELECT'
  | 'SQL_INVALID'
  | 'SQL_NOT_ALLOWED'
  | 'SANDBOX_TIMEOUT'
  | 'SANDBOX_LIMIT'
  | 'INPUT_INVALID'
  | 'SANDBOX_FAILED';

export interface SandboxErrorOptions {
  /** Index into the SQL string, in UTF-16 code units, where DuckDB located the error. */
  position?: number;
  cause?: unknown;
}

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  /** Index into the SQL string, in UTF-16 code units, where DuckDB located the error, if it did. */
  readonly position: number | undefined;

  constructor(code: SandboxErrorCode, message: string, options: SandboxErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'SandboxError';
    this.code = code;
    this.position = options.position;
  }
}

/** Error for a run that exceeded `limits.timeoutMs`, after the sandbox interrupted its query. */
export class SandboxTimeoutError extends SandboxError {
  readonly timeoutMs: number;
  /** True when DuckDB stopped within the grace period after the interrupt. */
  readonly interrupted: boolean;

  constructor(timeoutMs: number, interrupted: boolean, options: SandboxErrorOptions = {}) {
    const outcome = interrupted
      ? 'and was interrupted'
      : 'and did not stop within the grace period after the interrupt';
    super(
      'SANDBOX_TIMEOUT',
      `Query timed out after ${timeoutMs} ms ${outcome}. Narrow the query or raise the time limit.`,
      options,
    );
    this.name = 'SandboxTimeoutError';
    this.timeoutMs = timeoutMs;
    this.interrupted = interrupted;
  }
}

export function isSandboxError(value: unknown): value is SandboxError {
  return value instanceof SandboxError;
}
