import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';

/** Rows per statement: large enough to amortize round trips, small enough to bound a statement's memory. */
const BATCH_SIZE = 5_000;

export interface FlaggedRow {
  keyHash: Buffer;
  keyValues: unknown[];
  payload: Record<string, unknown>;
}

export interface CarryOverCounts {
  new: number;
  recurring: number;
  reopened: number;
  closed: number;
}

function batches<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    result.push(items.slice(start, start + BATCH_SIZE));
  }
  return result;
}

/**
 * Record a run's flagged rows as exceptions of its test. A key seen before
 * and still open is recurring; one seen before but closed reopens; an
 * unknown key is new. Open exceptions of the test that this run did not
 * flag are closed with "not present in run N". Every statement works on
 * whole batches through unnest, so a million rows take a few hundred
 * statements, not a million.
 */
export async function recordRunExceptions(
  tx: Tx,
  run: { id: string; testId: string; entityId: string; runNumber: number },
  rows: readonly FlaggedRow[],
): Promise<CarryOverCounts> {
  const counts: CarryOverCounts = { new: 0, recurring: 0, reopened: 0, closed: 0 };

  for (const batch of batches(rows)) {
    const hashes = batch.map((row) => row.keyHash);
    const keyValues = batch.map((row) => JSON.stringify(row.keyValues));
    const payloads = batch.map((row) => JSON.stringify(row.payload));

    const result = await sql<{ id: string; previous_status: string | null }>`
      WITH incoming AS (
        SELECT * FROM unnest(${hashes}::bytea[], ${keyValues}::jsonb[], ${payloads}::jsonb[])
          AS i(key_hash, key_values, payload)
      ),
      previous AS (
        SELECT e.key_hash, e.status
          FROM exceptions e JOIN incoming i ON i.key_hash = e.key_hash
         WHERE e.test_id = ${run.testId}
      ),
      upserted AS (
        INSERT INTO exceptions AS e (test_id, entity_id, key_hash, key_values, status, payload,
                                     first_run_id, last_run_id)
        SELECT ${run.testId}, ${run.entityId}, i.key_hash, i.key_values, 'open', i.payload,
               ${run.id}, ${run.id}
          FROM incoming i
        ON CONFLICT (test_id, key_hash) DO UPDATE
          SET status = 'open', payload = EXCLUDED.payload, last_run_id = EXCLUDED.last_run_id,
              closed_run_id = NULL, closed_reason = NULL, updated_at = now()
        RETURNING e.id, e.key_hash
      )
      SELECT u.id, p.status AS previous_status
        FROM upserted u LEFT JOIN previous p ON p.key_hash = u.key_hash`.execute(tx);

    const occurrences = result.rows.map((row) =>
      row.previous_status === null
        ? 'new'
        : row.previous_status === 'closed'
          ? 'reopened'
          : 'recurring',
    );
    for (const occurrence of occurrences) counts[occurrence] += 1;

    const idsByIndex = result.rows.map((row) => row.id);
    await sql`
      INSERT INTO run_exceptions (run_id, exception_id, occurrence, payload)
      SELECT ${run.id}, r.exception_id, r.occurrence, e.payload
        FROM unnest(${idsByIndex}::uuid[], ${occurrences}::text[]) AS r(exception_id, occurrence)
        JOIN exceptions e ON e.id = r.exception_id`.execute(tx);
  }

  const closed = await tx
    .updateTable('exceptions')
    .set({
      status: 'closed',
      closed_run_id: run.id,
      closed_reason: `not present in run ${run.runNumber}`,
      updated_at: sql`now()`,
    })
    .where('test_id', '=', run.testId)
    .where('status', '=', 'open')
    .where('last_run_id', '<>', run.id)
    .executeTakeFirst();
  counts.closed = Number(closed.numUpdatedRows);
  return counts;
}

/** Keep a preview's rows apart from exceptions, numbered in result order. */
export async function recordPreviewRows(
  tx: Tx,
  runId: string,
  payloads: readonly Record<string, unknown>[],
) {
  let offset = 0;
  for (const batch of batches(payloads)) {
    const numbers = batch.map((_payload, index) => offset + index + 1);
    const texts = batch.map((payload) => JSON.stringify(payload));
    await sql`
      INSERT INTO preview_rows (run_id, row_number, payload)
      SELECT ${runId}, n, p FROM unnest(${numbers}::int[], ${texts}::jsonb[]) AS r(n, p)`.execute(
      tx,
    );
    offset += batch.length;
  }
}
