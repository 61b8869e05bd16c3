import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** Workflow columns of an exception inserted for a matrix case; emails name users. */
export interface SeededException {
  status?: 'open' | 'in_progress' | 'proposed';
  assignee?: string;
  disposition?: 'false_positive' | 'risk_accepted';
  proposedBy?: string;
  reviewedBy?: string;
}

/**
 * Insert an exception of the run's test as the database owner, in the state
 * a matrix case needs, with a random key so each call gets its own row.
 * Returns its id.
 */
export async function seedException(
  owner: pg.Client,
  runId: string,
  seeded: SeededException = {},
): Promise<string> {
  const proposed = seeded.status === 'proposed';
  const result = await owner.query<{ id: string }>(
    `INSERT INTO exceptions (test_id, entity_id, key_hash, key_values, status, payload, first_run_id,
                             last_run_id, severity, assignee_id, disposition, rationale,
                             proposed_by, proposed_at, reviewed_by, reviewed_at)
     SELECT r.test_id, t.entity_id, $2, '["matrix"]', $3, '{"vendor_id":"matrix"}', r.id, r.id,
            'high', (SELECT id FROM users WHERE email = $4), $5::text,
            CASE WHEN $5::text IS NULL THEN NULL ELSE 'Matrix rationale.' END,
            (SELECT id FROM users WHERE email = $6), CASE WHEN $7 THEN now() END,
            (SELECT id FROM users WHERE email = $8),
            CASE WHEN $8::text IS NULL THEN NULL ELSE now() END
       FROM runs AS r JOIN test_definitions AS t ON t.id = r.test_id
      WHERE r.id = $1
     RETURNING id`,
    [
      runId,
      randomBytes(32),
      seeded.status ?? 'open',
      seeded.assignee ?? null,
      seeded.disposition ?? null,
      seeded.proposedBy ?? null,
      proposed,
      seeded.reviewedBy ?? null,
    ],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`no run ${runId} to seed an exception for`);
  return id;
}

/** Insert a comment by `author` on an exception, as the owner; returns the thread id. */
export async function seedComment(owner: pg.Client, exceptionId: string, author: string) {
  const result = await owner.query<{ id: string }>(
    `INSERT INTO exception_comments (id, exception_id, entity_id, thread_id, version, body, author_id)
     SELECT t.id, e.id, e.entity_id, t.id, 1, 'Matrix comment.', u.id
       FROM exceptions AS e, users AS u, (SELECT gen_random_uuid() AS id) AS t
      WHERE e.id = $1 AND u.email = $2
     RETURNING id`,
    [exceptionId, author],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`no exception ${exceptionId} or user ${author}`);
  return id;
}

/**
 * Copy a succeeded run as a new run of the same test, as the owner, so a
 * sign-off case signs a run that no other case touches. Returns its id.
 */
export async function copyRun(owner: pg.Client, runId: string): Promise<string> {
  // The run takes the test's next run number, as a requested run would.
  const result = await owner.query<{ id: string }>(
    `WITH source AS (SELECT * FROM runs WHERE id = $1),
     numbered AS (
       UPDATE test_definitions SET latest_run_number = latest_run_number + 1
        WHERE id = (SELECT test_id FROM source)
       RETURNING latest_run_number)
     INSERT INTO runs (test_id, test_version_id, preview, run_number, status, requested_by,
                       requested_via, requested_at, started_at, finished_at, sql_executed,
                       parameters, inputs, key_columns, duckdb_version, input_row_counts,
                       exception_count, result_hash)
     SELECT test_id, test_version_id, false, (SELECT latest_run_number FROM numbered),
            'succeeded', requested_by, requested_via, now(), now(), now(), sql_executed,
            parameters, inputs, key_columns, duckdb_version, input_row_counts, 0, result_hash
       FROM source
     RETURNING id`,
    [runId],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`no run ${runId} to copy`);
  return id;
}
