/**
 * Plain-data forms of errors that a child process sends to its parent. Each
 * child protocol adds its own error classes; these cover every other error
 * and the cause of any error.
 */

/** An error of a class that the child's protocol does not serialize itself, such as a file-system error. */
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

export function serializeCause(cause: unknown): SerializedCause | undefined {
  if (!(cause instanceof Error)) return undefined;
  return {
    name: cause.name,
    message: cause.message,
    ...(cause.stack === undefined ? {} : { stack: cause.stack }),
  };
}

export function deserializeCause(cause: SerializedCause | undefined): Error | undefined {
  if (cause === undefined) return undefined;
  const error = new Error(cause.message);
  error.name = cause.name;
  if (cause.stack !== undefined) error.stack = cause.stack;
  return error;
}

/** Convert any thrown value into plain data that survives the IPC channel. */
export function serializeOtherError(error: unknown): SerializedOtherError {
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

/** Rebuild a plain Error with the original name, message, stack and Node.js error code. */
export function deserializeOtherError(serialized: SerializedOtherError): Error {
  const error: NodeJS.ErrnoException = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (serialized.code !== undefined) error.code = serialized.code;
  return error;
}
