import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { writeWithBackpressure } from '../../../platform/streams/output-flow.ts';
import { readEventRange, type StoredAuditEvent } from '../audit-events.repository.ts';
import { canonicalEventText } from '../chain/canonical-event.ts';
import { listCheckpoints } from '../checkpoints/checkpoints.repository.ts';
import { checkpointLine, eventLine } from './export-format.ts';

const BATCH_SIZE = 5000;

function canonicalEvent({ record, detailsText }: StoredAuditEvent): string {
  try {
    return canonicalEventText(record, detailsText);
  } catch (error) {
    throw new AppError('INTERNAL_ERROR', {
      detail: `Event ${record.seq} holds a value that canonical JSON cannot represent, so it was altered after it was written. Run peytonix audit verify.`,
      internal: error,
    });
  }
}

/**
 * Write the events with seq up to `upTo`, then the checkpoints of at most
 * that tree size, as JSON Lines, reading through `tx`. Writing waits while
 * `out` is full, and fails with OutputClosedError once `out` is closed.
 */
export async function writeTrail(
  tx: Kysely<Database>,
  out: Writable,
  upTo: number,
): Promise<{ events: number; checkpoints: number }> {
  let after = 0;
  let written = 0;
  for (;;) {
    const batch = await readEventRange(tx, after, upTo, BATCH_SIZE);
    if (batch.length === 0) break;
    for (const event of batch) {
      await writeWithBackpressure(out, eventLine(event.hash, canonicalEvent(event)));
    }
    after = batch.at(-1)?.record.seq ?? after;
    written += batch.length;
  }

  const checkpoints = (await listCheckpoints(tx)).filter(
    (signed) => signed.checkpoint.treeSize <= upTo,
  );
  for (const signed of checkpoints) {
    await writeWithBackpressure(
      out,
      checkpointLine({ checkpoint: signed.checkpoint, signature: signed.signature }),
    );
  }
  return { events: written, checkpoints: checkpoints.length };
}

/**
 * Write the audit trail as JSON Lines, events then checkpoints, from one
 * snapshot so that a checkpoint never covers an event the file lacks.
 * Returns the number of events and checkpoints written.
 */
export async function writeExport(
  db: Kysely<Database>,
  out: Writable,
): Promise<{ events: number; checkpoints: number }> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((tx) => writeTrail(tx, out, Number.MAX_SAFE_INTEGER));
}
