import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';

/** Whether the existing row of an upsert reopens: closed as remediated, or closed by a run. */
const reopens = sql.raw(
  "(e.status = 'closed' AND (e.disposition IS NULL OR e.disposition = 'remediated'))",
);

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

/** The run whose rows are recorded, with what new exceptions take from it. */
export interface RecordingRun {
  id: string;
  testId: string;
  entityId: string;
  runNumber: number;
  /** Severity of the run's test version, which new and reopened exceptions take. */
  severity: string;
  /** Days from today to the due date of new and reopened exceptions. */
  dueInDays: number;
}

/**
 * Record a run's flagged rows as exceptions of its test. An unknown key is
 * new. A key seen before is recurring, unless its exception was closed as
 * remediated or closed by a run: then it reopens, unassigned and without a
 * disposition, linked to this run. An exception closed with another
 * disposition (false positive, control deficiency, risk accepted,
 * duplicate) stays closed when its key recurs. Open exceptions of the test
 * that this run did not flag may be closed (see closeAbsentExceptions);
 * exceptions under investigation stay where they are. Every statement
 * works on whole batches through unnest, so a million rows take a few
 * hundred statements, not a million. Reopened and closed exceptions get an
 * exception_events row each, with no actor.
 */
export async function recordRunExceptions(
  tx: Tx,
  run: RecordingRun,
  rows: readonly FlaggedRow[],
): Promise<CarryOverCounts & { reopenedIds: string[] }> {
  const counts: CarryOverCounts = { new: 0, recurring: 0, reopened: 0, closed: 0 };
  const reopenedIds: string[] = [];

  for (const batch of batches(rows)) {
    const result = await upsertBatch(tx, run, batch);
    for (const row of result) {
      counts[row.occurrence] += 1;
      if (row.occurrence === 'reopened') reopenedIds.push(row.id);
    }

    const ids = result.map((row) => row.id);
    const occurrences = result.map((row) => row.occurrence);
    await sql`
      INSERT INTO run_exceptions (run_id, exception_id, occurrence, payload)
      SELECT ${run.id}, r.exception_id, r.occurrence, e.payload
        FROM unnest(${ids}::uuid[], ${occurrences}::text[]) AS r(exception_id, occurrence)
        JOIN exceptions e ON e.id = r.exception_id`.execute(tx);
  }

  if (reopenedIds.length > 0) {
    await sql`
      INSERT INTO exception_events (exception_id, entity_id, action, from_status, to_status, run_id)
      SELECT id, ${run.entityId}, 'reopened', 'closed', 'open', ${run.id}
        FROM unnest(${reopenedIds}::uuid[]) AS id`.execute(tx);
  }

  counts.closed = await closeAbsentExceptions(tx, run);
  return { ...counts, reopenedIds };
}

/**
 * The inputs of a run as closing compares them: per input name, the
 * dataset and the field map, as a JSON array sorted by name.
 */
const INPUT_SIGNATURE = sql<unknown>`(
  SELECT jsonb_agg(jsonb_build_object('name', i->>'name', 'datasetId', i->>'datasetId',
                                      'fields', i->'fields') ORDER BY i->>'name')
    FROM jsonb_array_elements(runs.inputs) AS i)`;

/**
 * Close the open exceptions of the test that this run did not flag, with
 * "not present in run N", and return how many. Only an exception last
 * flagged by a run over the same datasets with the same field maps is
 * closed: a run over other data, or with columns mapped differently, shows
 * nothing about its key. Exceptions that a sign-off covers stay open, so a
 * run cannot close signed work.
 */
async function closeAbsentExceptions(tx: Tx, run: RecordingRun): Promise<number> {
  // Every exception of the test lives in the test's entity, so one sign-off
  // on an engagement above it covers them all. The definer function finds
  // such a sign-off even above the requester's own scope.
  const engagementSigned = await sql<{ signed: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM peytonix_sign_offs_covering(${run.entityId}, ARRAY[]::uuid[])) AS signed`.execute(
    tx,
  );
  if (engagementSigned.rows[0]?.signed) return 0;

  const closed = await sql<{ id: string }>`
    WITH comparable AS (
      SELECT runs.id FROM runs
       WHERE runs.test_id = ${run.testId}
         AND ${INPUT_SIGNATURE} = (SELECT ${INPUT_SIGNATURE} FROM runs WHERE runs.id = ${run.id})
    ),
    closed AS (
      UPDATE exceptions AS e
         SET status = 'closed', closed_run_id = ${run.id}, closed_at = now(),
             closed_reason = ${`not present in run ${run.runNumber}`}
       WHERE e.test_id = ${run.testId} AND e.status = 'open' AND e.last_run_id <> ${run.id}
         AND e.last_run_id IN (SELECT id FROM comparable)
         -- Run sign-offs are in the test's entity, where the requester reads them.
         AND NOT EXISTS (
           SELECT 1 FROM run_exceptions AS flagged
             JOIN sign_offs AS s
               ON s.target_type = 'run' AND s.target_id = flagged.run_id AND s.withdrawn_at IS NULL
            WHERE flagged.exception_id = e.id)
      RETURNING e.id
    )
    INSERT INTO exception_events (exception_id, entity_id, action, from_status, to_status, run_id)
    SELECT id, ${run.entityId}, 'closed_by_run', 'open', 'closed', ${run.id} FROM closed
    RETURNING exception_id AS id`.execute(tx);
  return closed.rows.length;
}

type Occurrence = 'new' | 'recurring' | 'reopened';

/** Insert or carry over one batch, and return each row's exception id and occurrence. */
async function upsertBatch(
  tx: Tx,
  run: RecordingRun,
  batch: readonly FlaggedRow[],
): Promise<{ id: string; occurrence: Occurrence }[]> {
  const hashes = batch.map((row) => row.keyHash);
  const keyValues = batch.map((row) => JSON.stringify(row.keyValues));
  const payloads = batch.map((row) => JSON.stringify(row.payload));

  // `reopens` is true for a closed exception whose key came back and whose
  // closing does not hold any more: remediated, or closed by a run.
  const result = await sql<{ id: string; occurrence: Occurrence }>`
    WITH incoming AS (
      SELECT * FROM unnest(${hashes}::bytea[], ${keyValues}::jsonb[], ${payloads}::jsonb[])
        AS i(key_hash, key_values, payload)
    ),
    previous AS (
      SELECT e.key_hash,
             e.status = 'closed' AND (e.disposition IS NULL OR e.disposition = 'remediated')
               AS reopens
        FROM exceptions e JOIN incoming i ON i.key_hash = e.key_hash
       WHERE e.test_id = ${run.testId}
    ),
    upserted AS (
      INSERT INTO exceptions AS e (test_id, entity_id, key_hash, key_values, status, payload,
                                   first_run_id, last_run_id, severity, due_on)
      SELECT ${run.testId}, ${run.entityId}, i.key_hash, i.key_values, 'open', i.payload,
             ${run.id}, ${run.id}, ${run.severity}, current_date + ${run.dueInDays}::integer
        FROM incoming i
      ON CONFLICT (test_id, key_hash) DO UPDATE
        SET payload = EXCLUDED.payload,
            last_run_id = EXCLUDED.last_run_id,
            status = CASE WHEN ${reopens} THEN 'open' ELSE e.status END,
            severity = CASE WHEN ${reopens} THEN EXCLUDED.severity ELSE e.severity END,
            due_on = CASE WHEN ${reopens} THEN EXCLUDED.due_on ELSE e.due_on END,
            reopened_run_id = CASE WHEN ${reopens} THEN EXCLUDED.last_run_id
                                   ELSE e.reopened_run_id END,
            assignee_id = CASE WHEN ${reopens} THEN NULL ELSE e.assignee_id END,
            disposition = CASE WHEN ${reopens} THEN NULL ELSE e.disposition END,
            rationale = CASE WHEN ${reopens} THEN NULL ELSE e.rationale END,
            duplicate_of = CASE WHEN ${reopens} THEN NULL ELSE e.duplicate_of END,
            proposed_by = CASE WHEN ${reopens} THEN NULL ELSE e.proposed_by END,
            proposed_at = CASE WHEN ${reopens} THEN NULL ELSE e.proposed_at END,
            reviewed_by = CASE WHEN ${reopens} THEN NULL ELSE e.reviewed_by END,
            reviewed_at = CASE WHEN ${reopens} THEN NULL ELSE e.reviewed_at END,
            risk_accepted_by = CASE WHEN ${reopens} THEN NULL ELSE e.risk_accepted_by END,
            risk_accepted_at = CASE WHEN ${reopens} THEN NULL ELSE e.risk_accepted_at END,
            closed_run_id = CASE WHEN ${reopens} THEN NULL ELSE e.closed_run_id END,
            closed_reason = CASE WHEN ${reopens} THEN NULL ELSE e.closed_reason END,
            closed_at = CASE WHEN ${reopens} THEN NULL ELSE e.closed_at END
      RETURNING e.id, e.key_hash
    )
    SELECT u.id,
           CASE WHEN p.key_hash IS NULL THEN 'new'
                WHEN p.reopens THEN 'reopened'
                ELSE 'recurring' END AS occurrence
      FROM upserted u LEFT JOIN previous p ON p.key_hash = u.key_hash`.execute(tx);
  return result.rows;
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
