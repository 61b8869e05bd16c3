import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';

const BATCH_SIZE = 1000;

/**
 * Seal every event committed to audit_pending so far, in batches of one
 * transaction each. Returns the number sealed. Readers call this first, so
 * they see every event whose change has committed.
 */
export async function sealPendingEvents(db: Kysely<Database>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql<{
      sealed: number;
    }>`SELECT audit_seal_pending(${BATCH_SIZE}) AS sealed`.execute(db);
    const sealed = result.rows[0]?.sealed ?? 0;
    total += sealed;
    if (sealed < BATCH_SIZE) return total;
  }
}
