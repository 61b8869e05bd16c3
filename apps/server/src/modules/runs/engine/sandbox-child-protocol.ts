import type { JsonValue } from './result-values.ts';
import type { SandboxRequest, SandboxResult } from './sandbox.ts';
import { SandboxError, type SandboxErrorCode, SandboxTimeoutError } from './sandbox-errors.ts';

/**
 * Messages between runSandboxedQueryInChild and sandbox-child.ts. They travel
 * over the Node.js IPC channel with advanced serialization (the V8
 * serializer), so bigint parameter values arrive intact.
 *
 * The child sends `ready`, then receives one `run`, then sends any number of
 * `rows` and `log` messages and ends with exactly one `result` or `error`.
 */

/**
 * Rows per `rows` message. A message is serialized whole in the child and
 * buffered whole in the parent, so this bounds the transient copy on each
 * side to about 10,000 × the serialized row size.
 */
export const ROWS_PER_MESSAGE = 10_000;

/** The serializable part of a SandboxRequest: everything except the logger. */
export type ChildRequest = Omit<SandboxRequest, 'logger'>;

export interface RunMessage {
  type: 'run';
  request: ChildRequest;
}

export type ParentMessage = RunMessage;

/** A SandboxError, with the fields of SandboxTimeoutError when it is one. */
export interface SerializedSandboxError {
  kind: 'sandbox';
  code: SandboxErrorCode;
  message: string;
  position?: number;
  timeoutMs?: number;
  interrupted?: boolean;
  cause?: SerializedCause;
}

/** Any other error, such as a file-system error that runSandboxedQuery passes through. */
export interface SerializedOtherError {
  kind: 'other';
  name: string;
  message: string;
  stack?: string;
  /** Node.js error code such as "EACCES", when the error has one. */
  code?: string;
}

export interface SerializedCause {
  name: string;
  message: string;
  stack?: string;
}

export type SerializedError = SerializedSandboxError | SerializedOtherError;

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'rows'; rows: JsonValue[][] }
  /** One log line as written by pino, in JSON. */
  | { type: 'log'; line: string }
  | { type: 'result'; result: Omit<SandboxResult, 'rows'> }
  | { type: 'error'; error: SerializedError };

function serializeCause(cause: unknown): SerializedCause | undefined {
  if (!(cause instanceof Error)) return undefined;
  return {
    name: cause.name,
    message: cause.message,
    ...(cause.stack === undefined ? {} : { stack: cause.stack }),
  };
}

/** Convert an error thrown in the child into plain data that survives the IPC channel. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof SandboxError) {
    const cause = serializeCause(error.cause);
    return {
      kind: 'sandbox',
      code: error.code,
      message: error.message,
      ...(error.position === undefined ? {} : { position: error.position }),
      ...(error instanceof SandboxTimeoutError
        ? { timeoutMs: error.timeoutMs, interrupted: error.interrupted }
        : {}),
      ...(cause === undefined ? {} : { cause }),
    };
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      kind: 'other',
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { kind: 'other', name: 'Error', message: String(error) };
}

function deserializeCause(cause: SerializedCause | undefined): Error | undefined {
  if (cause === undefined) return undefined;
  const error = new Error(cause.message);
  error.name = cause.name;
  if (cause.stack !== undefined) error.stack = cause.stack;
  return error;
}

/**
 * Rebuild the error that the child serialized: a SandboxTimeoutError, a
 * SandboxError with its code and position, or a plain Error with the
 * original name, message, stack and Node.js error code.
 */
export function deserializeError(serialized: SerializedError): Error {
  if (serialized.kind === 'sandbox') {
    const cause = deserializeCause(serialized.cause);
    const options = {
      ...(serialized.position === undefined ? {} : { position: serialized.position }),
      ...(cause === undefined ? {} : { cause }),
    };
    if (serialized.code === 'SANDBOX_TIMEOUT' && serialized.timeoutMs !== undefined) {
      return new SandboxTimeoutError(
        serialized.timeoutMs,
        serialized.interrupted ?? false,
        options,
      );
    }
    return new SandboxError(serialized.code, serialized.message, options);
  }
  const error: NodeJS.ErrnoException = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (serialized.code !== undefined) error.code = serialized.code;
  return error;
}
