import { readFile } from 'node:fs/promises';
import type { SignedCheckpoint } from '../../../modules/audit-trail/checkpoints/checkpoint-body.ts';
import { signedCheckpointSchema } from '../../../modules/audit-trail/export/export-format.ts';
import { AppError } from '../../../platform/http/app-error.ts';

function invalid(file: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: `Invalid --trusted-checkpoint ${file}: ${detail}. Pass a file of checkpoint lines, as an export, the server log or peytonix audit checkpoint --json contains them.`,
  });
}

/**
 * Read checkpoints kept outside the database: one JSON object per line,
 * each with `checkpoint` and `signature`. Other members are ignored, so a
 * server log line or an export's checkpoint line can be used as it is.
 */
export async function readTrustedCheckpoints(file: string): Promise<SignedCheckpoint[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(
      file,
      `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }

  const lines = text.split('\n').map((line) => line.trim());
  const checkpoints = lines.flatMap((line, index) => {
    if (line === '') return [];
    let value: { checkpoint?: unknown; signature?: unknown };
    try {
      value = JSON.parse(line) as { checkpoint?: unknown; signature?: unknown };
    } catch {
      throw invalid(file, `line ${index + 1} is not JSON`);
    }
    const parsed = signedCheckpointSchema.safeParse({
      checkpoint: value?.checkpoint,
      signature: value?.signature,
    });
    if (!parsed.success) throw invalid(file, `line ${index + 1} is not a signed checkpoint`);
    return [parsed.data];
  });

  if (checkpoints.length === 0) throw invalid(file, 'it contains no checkpoint');
  return checkpoints;
}
