import {
  deserializeCause,
  deserializeOtherError,
  type SerializedCause,
  type SerializedOtherError,
  serializeCause,
  serializeOtherError,
} from '../../../platform/child-process/serialized-error.ts';
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
 * `ready`, `run` and `log` are the common messages of superviseChild, and
 * the types below are the sandbox's own.
 */

/**
 * Rows per `rows` message. A message is serialized whole in the child and
 * buffered whole in the parent, so this bounds the transient copy on each
 * side to about 10,000 × the serialized row size.
 */
export const ROWS_PER_MESSAGE = 10_000;

/** The serializable part of a SandboxRequest: everything except the logger. */
export type ChildRequest = Omit<SandboxRequest, 'logger'>;

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

export type SerializedError = SerializedSandboxError | SerializedOtherError;

export type ChildMessage =
  | { type: 'rows'; rows: JsonValue[][] }
  | { type: 'result'; result: Omit<SandboxResult, 'rows'> }
  | { type: 'error'; error: SerializedError };

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
  return serializeOtherError(error);
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
  return deserializeOtherError(serialized);
}
