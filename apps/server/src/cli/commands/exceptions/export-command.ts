import { createHash } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  exceptionExportQuerySchema,
  exportFilterOf,
} from '../../../modules/exceptions/export/export-query.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { OutputClosedError } from '../../../platform/streams/output-flow.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, CommandFailure, EXIT, printResult } from '../../cli-io.ts';

export interface ExceptionsExportOptions extends ActingOptions {
  entity?: string;
  test?: string;
  run?: string;
  format: string;
  out: string;
}

/** Validate the flags with the HTTP query's schema, and name the flag at fault. */
function parseFlags(options: ExceptionsExportOptions) {
  const parsed = exceptionExportQuerySchema.safeParse({
    format: options.format,
    entity: options.entity,
    test: options.test,
    run: options.run,
  });
  if (parsed.success) return parsed.data;

  const issue = parsed.error.issues[0];
  const flag = issue?.path[0] === undefined ? 'flags' : `--${String(issue.path[0])}`;
  throw new AppError('VALIDATION_FAILED', {
    detail: `Invalid ${flag}: ${issue?.message ?? 'invalid value'}. See "peytonix exceptions export --help".`,
  });
}

async function createOutputFile(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CommandFailure(
        'OUTPUT_EXISTS',
        `${file} exists already. Choose another --out, or remove the file first.`,
      );
    }
    throw error;
  }
}

/** Create a pass-through stream that hashes and counts the bytes that go through it. */
function hashingStream() {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, digest: () => ({ sha256: hash.digest('hex'), bytes }) };
}

/**
 * Write the exceptions of a test (--entity and --test) or of a run (--run)
 * to a new file as CSV or XLSX, and print its path, row count and SHA-256.
 * A failed export removes the file it started.
 */
export async function runExceptionsExport(
  io: CliIo,
  options: ExceptionsExportOptions,
): Promise<number> {
  const query = parseFlags(options);
  const file = path.resolve(options.out);

  return await withActingRuntime(io, options, 'exceptions export', async (runtime, actor) => {
    const handle = await createOutputFile(file);
    const hashing = hashingStream();
    const fileStream = handle.createWriteStream();
    // Settles with the file's write error, if any, so a failure before the
    // export ends is never an unhandled rejection.
    const written = pipeline(hashing.stream, fileStream).then(
      () => undefined,
      (error: unknown) => error,
    );

    let rows: number;
    try {
      const result = await runtime.services.exceptionExports.exportExceptions(
        actor,
        { format: query.format, filter: exportFilterOf(query) },
        // The export succeeds only once the file stream has written the last byte.
        () => ({ stream: hashing.stream, destination: fileStream }),
      );
      const writeError = await written;
      if (writeError !== undefined) throw writeError;
      rows = result.rows;
    } catch (error) {
      hashing.stream.destroy();
      const writeError = await written;
      await rm(file, { force: true });
      // When writing the file failed, the export only saw its output close.
      throw error instanceof OutputClosedError && writeError !== undefined ? writeError : error;
    }

    const { sha256, bytes } = hashing.digest();
    printResult(io, options.json === true, { file, format: query.format, rows, bytes, sha256 }, [
      `Wrote ${rows} exceptions to ${file} (${query.format}, ${bytes} bytes, SHA-256 ${sha256}).`,
    ]);
    return EXIT.ok;
  });
}
