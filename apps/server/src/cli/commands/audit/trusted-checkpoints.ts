import { readFile } from 'node:fs/promises';
import type { SignedCheckpoint } from '../../../modules/audit-trail/checkpoints/checkpoint-body.ts';
import { signedCheckpointSchema } from '../../../modules/audit-trail/export/export-format.ts';
import { AppError } from '../../../platform/http/app-error.ts';

function invalid(file: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: `Invalid --trusted-checkpoint ${file}: ${detail}. Pass a file of checkpoint lines, as an export, the server log or peytonix audit checkpoint --json contains them.`,
  });
}

type CheckpointCandidate = { checkpoint?: unknown; signature?: unknown } | null;

function toCheckpoint(value: CheckpointCandidate): SignedCheckpoint | null {
  const parsed = signedCheckpointSchema.safeParse({
    checkpoint: value?.checkpoint,
    signature: value?.signature,
  });
  return parsed.success ? parsed.data : null;
}

/** Parse the whole text as one JSON document: an object, or an array of them. */
function parseDocument(text: string): SignedCheckpoint[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const items = (Array.isArray(value) ? value : [value]) as CheckpointCandidate[];
  const checkpoints = items.map(toCheckpoint);
  return checkpoints.every((checkpoint) => checkpoint !== null)
    ? (checkpoints as SignedCheckpoint[])
    : null;
}

function parseLines(file: string, text: string): SignedCheckpoint[] {
  return text.split('\n').flatMap((raw, index) => {
    const line = raw.trim();
    if (line === '') return [];
    let value: CheckpointCandidate;
    try {
      value = JSON.parse(line) as CheckpointCandidate;
    } catch {
      throw invalid(file, `line ${index + 1} is not JSON`);
    }
    // Other lines, such as an export's event lines, are not checkpoints.
    if (value === null || typeof value !== 'object' || !('checkpoint' in value)) return [];
    const checkpoint = toCheckpoint(value);
    if (checkpoint === null) throw invalid(file, `line ${index + 1} is not a signed checkpoint`);
    return [checkpoint];
  });
}

/**
 * Read checkpoints kept outside the database: one JSON document (an object
 * or an array, as peytonix audit checkpoint --json prints), or one JSON
 * object per line. Each needs `checkpoint` and `signature`; other members
 * are ignored, so a server log line or an export's checkpoint line can be
 * used as it is.
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

  const checkpoints = parseDocument(text) ?? parseLines(file, text);
  if (checkpoints.length === 0) throw invalid(file, 'it contains no checkpoint');
  return checkpoints;
}
