import { createWriteStream } from 'node:fs';
import { link, rm, unlink } from 'node:fs/promises';
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

/** Give the finished file its final name; link(2), unlike rename(2), refuses to replace one. */
async function publish(partial: string, file: string): Promise<void> {
  try {
    await link(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(file);
    throw error;
  }
  await unlink(partial);
}

/**
 * Export the audit trail as JSON Lines. The file is written 0600 under a
 * temporary name and linked into place when complete, so an interrupted
 * export never leaves a partial file under the final name.
 */
export async function runAuditExport(io: CliIo, options: ExportOptions): Promise<number> {
  const partial = `${options.out}.partial-${process.pid}`;

  return await withActingRuntime(io, options, 'audit export', async (runtime, actor) => {
    const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
    try {
      const counts = await runtime.services.auditTrail.exportTrail(actor, out, {
        correlationId: `cli-${process.pid}`,
      });
      out.end();
      await finished(out);
      await publish(partial, options.out);
      printResult(io, options.json === true, { out: options.out, ...counts }, [
        `Wrote ${counts.events} events and ${counts.checkpoints} checkpoints to ${options.out}.`,
      ]);
      return EXIT.ok;
    } catch (error) {
      out.destroy();
      await rm(partial, { force: true });
      throw error;
    }
  });
}
