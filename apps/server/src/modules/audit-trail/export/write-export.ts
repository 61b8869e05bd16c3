import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/app-error.ts';
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

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
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
    .execute(async (tx) => {
      let after = 0;
      let written = 0;
      for (;;) {
        const batch = await readEventRange(tx, after, Number.MAX_SAFE_INTEGER, BATCH_SIZE);
        if (batch.length === 0) break;
        for (const event of batch) {
          await write(out, eventLine(event.hash, canonicalEvent(event)));
        }
        after = batch.at(-1)?.record.seq ?? after;
        written += batch.length;
      }

      const checkpoints = await listCheckpoints(tx);
      for (const signed of checkpoints) {
        await write(
          out,
          checkpointLine({ checkpoint: signed.checkpoint, signature: signed.signature }),
        );
      }
      return { events: written, checkpoints: checkpoints.length };
    });
}
