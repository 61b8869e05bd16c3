import { type FileHandle, link, lstat, open, rm, unlink } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { AppError } from '../../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';

export interface ExportOptions extends ActingOptions {
  out: string;
}

function alreadyExists(file: string): AppError {
  return new AppError('CONFLICT', {
    detail: `${file} already exists. Choose another --out path; an export never overwrites a file.`,
  });
}

function cannotWrite(file: string, error: unknown): AppError {
  const code = (error as NodeJS.ErrnoException).code ?? 'unwritable';
  return new AppError('VALIDATION_FAILED', {
    detail: `Cannot write --out ${file} (${code}). Choose a new file in a writable directory.`,
    internal: error,
  });
}

/** Reject an existing --out before anything is read or audited. */
async function assertAbsent(file: string): Promise<void> {
  try {
    await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw cannotWrite(file, error);
  }
  throw alreadyExists(file);
}

async function openPartial(partial: string, file: string): Promise<FileHandle> {
  try {
    return await open(partial, 'wx', 0o600);
  } catch (error) {
    throw cannotWrite(file, error);
  }
}

/** Give the finished file its final name; link(2), unlike rename(2), refuses to replace one. */
async function publish(partial: string, file: string): Promise<void> {
  try {
    await link(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(file);
    throw cannotWrite(file, error);
  }
  await unlink(partial);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Export the audit trail as JSON Lines. The file is written 0600 under a
 * temporary name and linked into place when complete, so an interrupted
 * export never leaves a partial file under the final name.
 */
export async function runAuditExport(io: CliIo, options: ExportOptions): Promise<number> {
  const partial = `${options.out}.partial-${process.pid}`;
  await assertAbsent(options.out);
  const handle = await openPartial(partial, options.out);
  const out = handle.createWriteStream();

  try {
    return await withActingRuntime(io, options, 'audit export', async (runtime, actor) => {
      const counts = await runtime.services.auditTrail.exportTrail(actor, out, {
        correlationId: `cli-${process.pid}`,
      });
      out.end();
      await finished(out);
      await publish(partial, options.out);
      printResult(io, options.json === true, { out: options.out, ...counts }, [
        `Wrote ${plural(counts.events, 'event')} and ${plural(counts.checkpoints, 'checkpoint')} to ${options.out}.`,
      ]);
      return EXIT.ok;
    });
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}
