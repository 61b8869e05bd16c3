import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import type { ExceptionStatus, Severity } from '../../../platform/db/schema.ts';
import { AGE_BUCKET_THRESHOLDS } from './age-buckets.ts';

// Every query here aggregates in PostgreSQL and returns one row per group,
// never one per exception. Row-level security limits each to the actor's
// scope, and the join to entity_closure limits it to one subtree.

export type CountDimension = 'total' | 'status' | 'severity' | 'entity' | 'test';

export interface CountGroupRow {
  dimension: CountDimension;
  status: ExceptionStatus | null;
  severity: Severity | null;
  entity_code: string | null;
  entity_name: string | null;
  test_key: string | null;
  test_entity_code: string | null;
  total: string;
  not_closed: string;
  overdue: string;
}

/**
 * Count the exceptions of the subtree below `entityId` (itself included)
 * in one scan, with GROUPING SETS: once in total, and once per status,
 * severity, entity and test. Each group also counts the exceptions not
 * closed, and those overdue: not closed with a due date before the
 * database's current date.
 */
export async function countExceptionGroups(tx: Tx, entityId: string) {
  const result = await sql<CountGroupRow>`
    WITH grouped AS (
      SELECT CASE
               WHEN GROUPING(x.status) = 0 THEN 'status'
               WHEN GROUPING(x.severity) = 0 THEN 'severity'
               WHEN GROUPING(x.entity_id) = 0 THEN 'entity'
               WHEN GROUPING(x.test_id) = 0 THEN 'test'
               ELSE 'total'
             END AS dimension,
             x.status, x.severity, x.entity_id, x.test_id,
             count(*) AS total,
             count(*) FILTER (WHERE x.status <> 'closed') AS not_closed,
             count(*) FILTER (WHERE x.status <> 'closed' AND x.due_on < current_date) AS overdue
        FROM exceptions AS x
        JOIN entity_closure AS subtree
          ON subtree.descendant_id = x.entity_id AND subtree.ancestor_id = ${entityId}
       GROUP BY GROUPING SETS ((x.status), (x.severity), (x.entity_id), (x.test_id), ())
    )
    SELECT g.dimension, g.status, g.severity, g.total, g.not_closed, g.overdue,
           e.code AS entity_code, e.name AS entity_name,
           t.key AS test_key, te.code AS test_entity_code
      FROM grouped AS g
      LEFT JOIN entities AS e ON e.id = g.entity_id
      LEFT JOIN test_definitions AS t ON t.id = g.test_id
      LEFT JOIN entities AS te ON te.id = t.entity_id
     ORDER BY g.dimension, e.code, te.code, t.key
  `.execute(tx);
  return result.rows;
}

/**
 * Read the database's current date as YYYY-MM-DD, the date runs use to set
 * due dates. Like now(), it stays the same for the whole transaction.
 */
export async function currentDate(tx: Tx): Promise<string> {
  const result = await sql<{ today: string }>`SELECT current_date::text AS today`.execute(tx);
  return result.rows[0]?.today ?? '';
}

export interface AgeGroupRow {
  bucket: number;
  severity: Severity;
  count: string;
}

/**
 * Count the exceptions of the subtree below `entityId` that are not closed,
 * by age bucket (the index into AGE_BUCKETS) and severity. Groups without
 * exceptions are absent. Also returns the transaction's now(), which the
 * ages are measured from.
 */
export async function countNotClosedByAge(tx: Tx, entityId: string) {
  const asOf = await sql<{ as_of: Date }>`SELECT now() AS as_of`.execute(tx);
  const result = await sql<AgeGroupRow>`
    SELECT width_bucket(
             floor(extract(epoch FROM now() - x.created_at) / 86400)::integer,
             ${AGE_BUCKET_THRESHOLDS}::integer[]
           ) AS bucket,
           x.severity,
           count(*) AS count
      FROM exceptions AS x
      JOIN entity_closure AS subtree
        ON subtree.descendant_id = x.entity_id AND subtree.ancestor_id = ${entityId}
     WHERE x.status <> 'closed'
     GROUP BY 1, 2
  `.execute(tx);
  return { asOf: asOf.rows[0]?.as_of ?? new Date(), groups: result.rows };
}

export interface TrendRunRow {
  id: string;
  run_number: number;
  finished_at: Date | null;
  new: string;
  recurring: string;
  reopened: string;
  closed: string;
}

/**
 * List the latest `limit` succeeded real runs of a test by run number, oldest
 * first, each with the exceptions it flagged by occurrence and the
 * exceptions it closed (closed_by_run events). Previews, and runs that
 * failed, timed out or were cancelled, are left out.
 */
export async function listTrendRuns(tx: Tx, testId: string, limit: number) {
  const result = await sql<TrendRunRow>`
    WITH recent AS (
      SELECT id, run_number, finished_at
        FROM runs
       WHERE test_id = ${testId} AND status = 'succeeded' AND NOT preview
       ORDER BY run_number DESC
       LIMIT ${limit}
    ),
    flagged AS (
      SELECT run_id,
             count(*) FILTER (WHERE occurrence = 'new') AS new,
             count(*) FILTER (WHERE occurrence = 'recurring') AS recurring,
             count(*) FILTER (WHERE occurrence = 'reopened') AS reopened
        FROM run_exceptions
       WHERE run_id IN (SELECT id FROM recent)
       GROUP BY run_id
    ),
    closed AS (
      -- exception_events_closed_by_run_idx makes this a lookup per run.
      SELECT run_id, count(*) AS closed
        FROM exception_events
       WHERE action = 'closed_by_run' AND run_id IN (SELECT id FROM recent)
       GROUP BY run_id
    )
    SELECT r.id, r.run_number, r.finished_at,
           coalesce(f.new, 0) AS new,
           coalesce(f.recurring, 0) AS recurring,
           coalesce(f.reopened, 0) AS reopened,
           coalesce(c.closed, 0) AS closed
      FROM recent AS r
      LEFT JOIN flagged AS f ON f.run_id = r.id
      LEFT JOIN closed AS c ON c.run_id = r.id
     ORDER BY r.run_number
  `.execute(tx);
  return result.rows;
}

/** Find the test with `key` that belongs to the entity `entityId`, if the actor's scope shows it. */
export async function findTestInEntity(tx: Tx, entityId: string, key: string) {
  return await tx
    .selectFrom('test_definitions')
    .select(['id', 'key', 'entity_id'])
    .where('entity_id', '=', entityId)
    .where('key', '=', key)
    .executeTakeFirst();
}
