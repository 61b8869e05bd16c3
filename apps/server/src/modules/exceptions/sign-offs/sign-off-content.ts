import { createHash, type Hash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';

/** Rows hashed per query, so a run of a million exceptions never sits in memory at once. */
const PAGE_SIZE = 5_000;

/**
 * The state of an exception that a sign-off covers: its workflow columns,
 * as a JSON array. Payload and last run are left out, so a later run that
 * only flags the key again does not make an earlier run's sign-off stale.
 * A reopening or a closing by a run changes the status, and does.
 */
const EXCEPTION_LINE = sql<string>`jsonb_build_array(
  e.id, e.status, e.disposition, e.rationale, e.duplicate_of, e.assignee_id, e.proposed_by,
  e.reviewed_by, e.risk_accepted_by, e.closed_run_id, e.reopened_run_id)::text`;

/** Feed `hash` one line per exception that `scope` selects, in id order, page by page. */
async function hashExceptionLines(
  tx: Tx,
  hash: Hash,
  scope: (after: string) => RawBuilder<{ id: string; line: string }>,
): Promise<number> {
  let after = '00000000-0000-0000-0000-000000000000';
  let count = 0;
  for (;;) {
    const { rows } = await scope(after).execute(tx);
    for (const row of rows) hash.update(`\n${row.line}`, 'utf8');
    count += rows.length;
    const last = rows.at(-1);
    if (last === undefined || rows.length < PAGE_SIZE) return count;
    after = last.id;
  }
}

/**
 * SHA-256 of a run's results as a sign-off covers them: the run, its
 * result hash and exception count, then the workflow state of each
 * exception it flagged. Throws when the run is not visible.
 */
export async function runContentSha256(tx: Tx, runId: string): Promise<Buffer> {
  const run = await tx
    .selectFrom('runs')
    .select(
      sql<string>`jsonb_build_array('run', id, encode(result_hash, 'hex'), exception_count)::text`.as(
        'line',
      ),
    )
    .where('id', '=', runId)
    .executeTakeFirstOrThrow();
  const hash = createHash('sha256').update(run.line, 'utf8');
  await hashExceptionLines(
    tx,
    hash,
    (after) => sql<{ id: string; line: string }>`
      SELECT e.id, ${EXCEPTION_LINE} AS line
        FROM run_exceptions AS r JOIN exceptions AS e ON e.id = r.exception_id
       WHERE r.run_id = ${runId} AND e.id > ${after}
       ORDER BY e.id
       LIMIT ${PAGE_SIZE}`,
  );
  return hash.digest();
}

/**
 * SHA-256 of an engagement's workpapers as a sign-off covers them: every
 * test in the engagement's subtree with its active version and its latest
 * succeeded run and result hash, then the workflow state of every
 * exception of those tests.
 */
export async function engagementContentSha256(tx: Tx, entityId: string): Promise<Buffer> {
  const hash = createHash('sha256').update(JSON.stringify(['engagement', entityId]), 'utf8');
  const tests = await sql<{ line: string }>`
    SELECT jsonb_build_array(
             t.id, t.key,
             (SELECT v.id FROM test_versions AS v WHERE v.test_id = t.id AND v.state = 'active'),
             latest.id, encode(latest.result_hash, 'hex'))::text AS line
      FROM test_definitions AS t
      JOIN entity_closure AS c ON c.descendant_id = t.entity_id AND c.ancestor_id = ${entityId}
      LEFT JOIN LATERAL (
        SELECT r.id, r.result_hash FROM runs AS r
         WHERE r.test_id = t.id AND NOT r.preview AND r.status = 'succeeded'
         ORDER BY r.run_number DESC LIMIT 1) AS latest ON true
     ORDER BY t.id`.execute(tx);
  for (const row of tests.rows) hash.update(`\n${row.line}`, 'utf8');

  await hashExceptionLines(
    tx,
    hash,
    (after) => sql<{ id: string; line: string }>`
      SELECT e.id, ${EXCEPTION_LINE} AS line
        FROM exceptions AS e
        JOIN entity_closure AS c ON c.descendant_id = e.entity_id AND c.ancestor_id = ${entityId}
       WHERE e.id > ${after}
       ORDER BY e.id
       LIMIT ${PAGE_SIZE}`,
  );
  return hash.digest();
}
