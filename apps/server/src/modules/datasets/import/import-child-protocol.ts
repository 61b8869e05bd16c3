import {
  deserializeCause,
  deserializeOtherError,
  type SerializedCause,
  type SerializedOtherError,
  serializeCause,
  serializeOtherError,
} from '../../../platform/child-process/serialized-error.ts';
import { ImportError, type ImportErrorCode } from './import-error.ts';
import type { ImportResult } from './types.ts';

/**
 * Messages between importDatasetInChild and import-child.ts, over the
 * Node.js IPC channel with advanced serialization. The child sends `ready`,
 * receives one `run` with the ImportRequest, and ends with exactly one
 * `result` or `error`. `ready`, `run` and `log` are the common messages of
 * superviseChild, and the types below are the import's own.
 */

/** An ImportError with every field the service maps to the API response. */
export interface SerializedImportError {
  kind: 'import';
  code: ImportErrorCode;
  message: string;
  fileName: string;
  line?: number;
  column?: string;
  value?: string;
  cause?: SerializedCause;
}

export type SerializedImportFailure = SerializedImportError | SerializedOtherError;

export type ImportChildMessage =
  | { type: 'result'; result: ImportResult }
  | { type: 'error'; error: SerializedImportFailure };

/** Convert an error thrown by importDataset into plain data that survives the IPC channel. */
export function serializeImportFailure(error: unknown): SerializedImportFailure {
  if (!(error instanceof ImportError)) return serializeOtherError(error);
  const cause = serializeCause(error.cause);
  return {
    kind: 'import',
    code: error.code,
    message: error.message,
    fileName: error.fileName,
    ...(error.line === undefined ? {} : { line: error.line }),
    ...(error.column === undefined ? {} : { column: error.column }),
    ...(error.value === undefined ? {} : { value: error.value }),
    ...(cause === undefined ? {} : { cause }),
  };
}

/** Rebuild the error that the child serialized: an ImportError with all its fields, or a plain Error. */
export function deserializeImportFailure(serialized: SerializedImportFailure): Error {
  if (serialized.kind === 'other') return deserializeOtherError(serialized);
  const cause = deserializeCause(serialized.cause);
  return new ImportError(
    {
      code: serialized.code,
      fileName: serialized.fileName,
      ...(serialized.line === undefined ? {} : { line: serialized.line }),
      ...(serialized.column === undefined ? {} : { column: serialized.column }),
      ...(serialized.value === undefined ? {} : { value: serialized.value }),
    },
    serialized.message,
    cause === undefined ? undefined : { cause },
  );
}
