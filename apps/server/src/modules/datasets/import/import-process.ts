import { lstat, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import {
  HEAP_LIMIT_MESSAGE,
  type SupervisorOutcome,
  superviseChild,
} from '../../../platform/child-process/supervise-child.ts';
import {
  deserializeImportFailure,
  type ImportChildMessage,
  type SerializedImportFailure,
} from './import-child-protocol.ts';
import { defaultImportLimits } from './import-dataset.ts';
import { ImportError } from './import-error.ts';
import type { ImportRequest, ImportResult } from './types.ts';

const CHILD_SCRIPT = fileURLToPath(new URL('./import-child.ts', import.meta.url));

/**
 * Memory that the import process may use beyond DuckDB's memory_limit, in
 * MiB. DuckDB does not count every allocation against its limit, and exceljs
 * keeps an XLSX file's shared-string table on the JavaScript heap. The child
 * peaked at 120 to 150 MiB on files of a few rows, and at 630 MiB on a
 * 200 MB, 3.3-million-row CSV (Node.js 24.21, DuckDB 1.5.6, Linux x64, 2 cores).
 */
const PROCESS_MEMORY_HEADROOM_MB = 1024;

/**
 * Time limit of one import unless the caller sets one, in ms. The platform
 * imported a 385 MB, 10,000,000-row CSV in 21 s in the benchmark of
 * docs/benchmarks.md (2 cores), so a 2 GB CSV would take an estimated 2
 * minutes there, and 30 minutes leaves room for a machine many times slower.
 */
export const DEFAULT_IMPORT_TIMEOUT_MS = 30 * 60_000;

/**
 * Time limit of one preview unless the caller sets one, in ms. A preview
 * parses the whole file like an import, but a person waits for it in the
 * browser, so a file that needs longer is better imported with the CLI.
 */
export const DEFAULT_PREVIEW_TIMEOUT_MS = 2 * 60_000;

/** Limits of the child process that runs one import. */
export type ImportProcessLimits = {
  /**
   * Hard limit on the resident memory (RSS) of the child, and on its V8
   * heap, in MiB. Defaults to DuckDB's memoryMb plus 1024.
   */
  processMemoryMb: number;
  /**
   * Time from the start of the child until it is killed, in ms. Defaults to
   * 2 minutes for a preview (previewRows set) and 30 minutes for an import.
   */
  timeoutMs: number;
};

export type ChildImportRequest = ImportRequest &
  Partial<ImportProcessLimits> & {
    /** Logger for the supervisor's debug lines, warnings and errors. */
    logger?: Logger;
    /** Aborting it kills the child, and the import throws the signal's reason. */
    signal?: AbortSignal;
  };

type ImportOutcome =
  | { kind: 'result'; result: ImportResult }
  | { kind: 'error'; error: SerializedImportFailure };

interface SettleContext extends ImportProcessLimits {
  fileName: string;
  /** Kind of work the child ran, for messages: `import` or `preview`. */
  work: 'import' | 'preview';
  logger: Logger | undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function resolveProcessLimits(request: ChildImportRequest): ImportProcessLimits {
  const { processMemoryMb, timeoutMs } = request;
  for (const [name, value] of Object.entries({ processMemoryMb, timeoutMs })) {
    if (value !== undefined && !isPositiveInteger(value)) {
      throw new RangeError(`${name} must be a positive integer, got ${String(value)}.`);
    }
  }
  // An invalid memoryMb is rejected by the child with importDataset's own message.
  const memoryMb = request.limits?.memoryMb;
  const duckdbMemoryMb = isPositiveInteger(memoryMb) ? memoryMb : defaultImportLimits().memoryMb;
  return {
    processMemoryMb: processMemoryMb ?? duckdbMemoryMb + PROCESS_MEMORY_HEADROOM_MB,
    timeoutMs:
      timeoutMs ??
      (request.previewRows === undefined ? DEFAULT_IMPORT_TIMEOUT_MS : DEFAULT_PREVIEW_TIMEOUT_MS),
  };
}

function describeDuration(ms: number): string {
  const unit = (count: number, name: string) => `${count} ${name}${count === 1 ? '' : 's'}`;
  if (ms % 60_000 === 0) return unit(ms / 60_000, 'minute');
  return unit(ms / 1000, 'second');
}

function memoryLimitError(context: SettleContext): ImportError {
  const { fileName, processMemoryMb } = context;
  return new ImportError(
    { code: 'RESOURCE_LIMIT', fileName },
    `${fileName}: the import exceeded its memory limit of ${processMemoryMb} MiB and was stopped. Split the file into smaller files and import each. An XLSX workbook with many distinct text values needs much less memory when its sheet is saved as CSV.`,
  );
}

/** Turn the child's outcome into the import's result, or throw its error. */
function settleOutcome(
  outcome: ImportOutcome | SupervisorOutcome,
  context: SettleContext,
): ImportResult {
  const { fileName, processMemoryMb, timeoutMs, logger } = context;
  switch (outcome.kind) {
    case 'result':
      return outcome.result;
    case 'error':
      throw deserializeImportFailure(outcome.error);
    case 'memory':
      logger?.warn(
        { processMemoryMb, rssMb: outcome.rssMb },
        'import process exceeded its memory limit and was killed',
      );
      throw memoryLimitError(context);
    case 'timeout': {
      logger?.warn({ timeoutMs }, 'import process exceeded its time limit and was killed');
      const fix =
        context.work === 'preview'
          ? 'Import the file with "peytonix datasets import", which has a longer time limit, or split it into smaller files.'
          : 'Split the file into smaller files and import each.';
      throw new ImportError(
        { code: 'RESOURCE_LIMIT', fileName },
        `${fileName}: the ${context.work} timed out after ${describeDuration(timeoutMs)} and was stopped. ${fix}`,
      );
    }
    case 'aborted':
      logger?.info({ reason: String(outcome.reason) }, 'import process was stopped on request');
      throw outcome.reason instanceof Error
        ? outcome.reason
        : new Error(`The ${context.work} was stopped: ${String(outcome.reason)}`);
    case 'failed':
      logger?.error({ err: outcome.error }, 'supervising the import process failed');
      throw new Error(
        `Running the import process failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
        { cause: outcome.error },
      );
    case 'exited': {
      const { code, signal, stderr } = outcome;
      if (HEAP_LIMIT_MESSAGE.test(stderr)) {
        logger?.warn(
          { processMemoryMb, stderr },
          'import process reached its JavaScript heap limit',
        );
        throw memoryLimitError(context);
      }
      logger?.error({ code, signal, stderr }, 'import process ended without a result');
      if (signal === null) {
        throw new Error(`The import process ended with exit code ${code} before it sent a result.`);
      }
      // A signal without a result is almost always the operating system
      // stopping the process: a native stack overflow (SIGSEGV) on deeply
      // nested data, an abort, or the kernel's out-of-memory killer.
      throw new ImportError(
        { code: 'RESOURCE_LIMIT', fileName },
        `${fileName}: the import process crashed (signal ${signal}) while reading the file, so the file was rejected. Values nested very deeply or very large values can cause this. Simplify or split the file and import it again.`,
      );
    }
  }
}

/**
 * Move the Parquet file that the child wrote into `workDir`. The path comes
 * from the child, which parses untrusted files. So it must name a regular
 * file directly inside the child's directory, and never a link, because
 * otherwise the caller could be made to upload a file that the child chose.
 */
export async function claimParquet(
  result: ImportResult,
  childDirectory: string,
  workDir: string,
): Promise<ImportResult> {
  const name = path.basename(result.parquetPath);
  const inside =
    path.dirname(result.parquetPath) === childDirectory && /^[\w-]+\.parquet$/.test(name);
  const stats = inside ? await lstat(result.parquetPath).catch(() => undefined) : undefined;
  if (stats === undefined || !stats.isFile()) {
    throw new Error(
      `The import process returned the Parquet path ${JSON.stringify(result.parquetPath)}, which is not a regular file in its directory ${childDirectory}.`,
    );
  }
  const parquetPath = path.join(workDir, name);
  await rename(result.parquetPath, parquetPath);
  return { ...result, parquetPath };
}

/**
 * Run importDataset in a child Node.js process, so that a crash, a native
 * stack overflow or runaway memory on a hostile file cannot take the calling
 * process down. Returns the same result and throws the same errors as
 * importDataset, plus RESOURCE_LIMIT (an ImportError) when:
 *
 * - the child's resident memory exceeds processMemoryMb (read from /proc
 *   every 50 ms, on Linux only) or its V8 heap fills,
 * - the child is still running after timeoutMs, or
 * - the child dies from a signal before it sends its outcome.
 *
 * The child is killed with SIGKILL in the first two cases, and when `signal`
 * aborts, which throws the signal's reason. A child that
 * exits with an exit code and no outcome, or one that cannot be started,
 * gives a plain Error, because the cause is not in the file.
 *
 * The child runs with only PATH, HOME and TMPDIR in its environment, in a
 * private directory inside workDir that contains every file it writes (DuckDB's
 * database and spill files, the transcoded text, exceljs's temporary files).
 * That directory is removed once the child has exited, whatever the outcome.
 * On success the Parquet file is moved into workDir and its path returned.
 */
export async function importDatasetInChild(request: ChildImportRequest): Promise<ImportResult> {
  const {
    logger,
    processMemoryMb: _processMemoryMb,
    timeoutMs: _timeoutMs,
    signal,
    ...serializable
  } = request;
  const limits = resolveProcessLimits(request);
  const workDir = path.resolve(request.workDir);
  const childDirectory = await mkdtemp(path.join(workDir, 'import-process-'));
  const context: SettleContext = {
    ...limits,
    fileName: request.fileName,
    work: request.previewRows === undefined ? 'import' : 'preview',
    logger,
  };

  try {
    const outcome = await superviseChild<ImportRequest, ImportChildMessage, ImportOutcome>({
      script: CHILD_SCRIPT,
      name: 'import',
      // The child's working directory is its own directory, so relative paths are resolved here.
      request: {
        ...serializable,
        sourcePath: path.resolve(request.sourcePath),
        workDir: childDirectory,
      },
      childDirectory,
      memoryMb: limits.processMemoryMb,
      deadlineMs: limits.timeoutMs,
      logger,
      signal,
      onMessage(message, controls) {
        switch (message.type) {
          case 'result':
            controls.settle({ kind: 'result', result: message.result });
            return;
          case 'error':
            controls.settle({ kind: 'error', error: message.error });
            return;
          default:
            throw new Error(
              `unknown message type ${JSON.stringify((message as { type: unknown }).type)}`,
            );
        }
      },
    });
    const result = settleOutcome(outcome, context);
    return await claimParquet(result, childDirectory, workDir);
  } finally {
    await rm(childDirectory, { recursive: true, force: true }).catch((error: unknown) => {
      logger?.warn({ err: error, childDirectory }, 'removing the import process directory failed');
    });
  }
}
