import { sql } from 'kysely';
import type { Tx } from '../../../platform/db/database.ts';
import type { ExceptionExportRow } from './export-columns.ts';
import type { ExportTarget } from './export-target.ts';

/** Find a test by its entity's code and its key. Row-level security hides tests out of scope. */
export async function findTestForExport(tx: Tx, entityCode: string, testKey: string) {
  return await tx
    .selectFrom('test_definitions')
    .innerJoin('entities', 'entities.id', 'test_definitions.entity_id')
    .select([
      'test_definitions.id as testId',
      'test_definitions.entity_id as entityId',
      'entities.code as entityCode',
      'test_definitions.key as testKey',
    ])
    .where((eb) => eb(eb.fn('lower', ['entities.code']), '=', entityCode.toLowerCase()))
    .where('test_definitions.key', '=', testKey)
    .executeTakeFirst();
}

/** Find a run with its test and entity. Row-level security hides runs out of scope. */
export async function findRunForExport(tx: Tx, runId: string) {
  return await tx
    .selectFrom('runs')
    .innerJoin('test_definitions', 'test_definitions.id', 'runs.test_id')
    .innerJoin('entities', 'entities.id', 'test_definitions.entity_id')
    .select([
      'runs.id as runId',
      'runs.run_number as runNumber',
      'runs.preview',
      'test_definitions.id as testId',
      'test_definitions.entity_id as entityId',
      'entities.code as entityCode',
      'test_definitions.key as testKey',
    ])
    .where('runs.id', '=', runId)
    .executeTakeFirst();
}

/**
 * Turn off JIT compilation for the rest of the export's transaction. The
 * row-level security subqueries inflate the cost estimates of the count
 * and payload-field queries past jit_above_cost. Over 200,000 exceptions
 * (PostgreSQL 15), compiling each took about 200 ms, longer than running it.
 */
export async function disableJit(tx: Tx): Promise<void> {
  await sql`SET LOCAL jit = off`.execute(tx);
}

/** A payload that is not a JSON object (none should be) counts as having no fields. */
const payloadObject = (column: string) =>
  sql`CASE WHEN jsonb_typeof(${sql.ref(column)}) = 'object' THEN ${sql.ref(column)} ELSE '{}'::jsonb END`;

/**
 * Count the rows of an export and collect its payload fields: the union of
 * the payloads' keys, sorted by code point (COLLATE "C"), because jsonb does
 * not keep key order.
 */
export async function summarizeExport(
  tx: Tx,
  target: ExportTarget,
): Promise<{ rowCount: number; payloadKeys: string[] }> {
  const result =
    target.kind === 'test'
      ? await sql<{ row_count: string; payload_keys: string[] }>`
          SELECT
            (SELECT count(*) FROM exceptions WHERE test_id = ${target.testId}) AS row_count,
            ARRAY(
              SELECT DISTINCT field.key COLLATE "C"
              FROM exceptions AS e
              CROSS JOIN LATERAL jsonb_object_keys(${payloadObject('e.payload')}) AS field (key)
              WHERE e.test_id = ${target.testId}
              ORDER BY 1
            ) AS payload_keys`.execute(tx)
      : await sql<{ row_count: string; payload_keys: string[] }>`
          SELECT
            (SELECT count(*) FROM run_exceptions WHERE run_id = ${target.runId}) AS row_count,
            ARRAY(
              SELECT DISTINCT field.key COLLATE "C"
              FROM run_exceptions AS re
              CROSS JOIN LATERAL jsonb_object_keys(${payloadObject('re.payload')}) AS field (key)
              WHERE re.run_id = ${target.runId}
              ORDER BY 1
            ) AS payload_keys`.execute(tx);

  const row = result.rows[0];
  return { rowCount: Number(row?.row_count ?? 0), payloadKeys: row?.payload_keys ?? [] };
}

const ROW_COLUMNS = sql`
  e.id, r.id AS run_id, r.run_number, v.version AS test_version, e.status, e.severity,
  e.due_on::text AS due_on, assignee.email AS assignee_email, e.disposition, e.rationale,
  e.duplicate_of, proposer.email AS proposed_by_email, e.proposed_at,
  reviewer.email AS reviewed_by_email, e.reviewed_at,
  risk_approver.email AS risk_accepted_by_email, e.risk_accepted_at, e.closed_at, e.closed_reason`;

const PEOPLE_JOINS = sql`
  LEFT JOIN users AS assignee ON assignee.id = e.assignee_id
  LEFT JOIN users AS proposer ON proposer.id = e.proposed_by
  LEFT JOIN users AS reviewer ON reviewer.id = e.reviewed_by
  LEFT JOIN users AS risk_approver ON risk_approver.id = e.risk_accepted_by`;

type BatchRow = ExceptionExportRow & { cursor: Buffer | string };

/**
 * Read the next page of a test's exceptions after `after`, by key hash.
 * The unique index on (test_id, key_hash) serves this as a range scan,
 * which an order by id could not. Each row shows the last run that flagged it.
 */
async function testBatch(tx: Tx, testId: string, after: Buffer | string | null, limit: number) {
  const result = await sql<BatchRow>`
    SELECT ${ROW_COLUMNS}, e.payload, e.key_hash AS cursor
    FROM exceptions AS e
    JOIN runs AS r ON r.id = e.last_run_id
    JOIN test_versions AS v ON v.id = r.test_version_id
    ${PEOPLE_JOINS}
    WHERE e.test_id = ${testId} ${after === null ? sql`` : sql`AND e.key_hash > ${after}`}
    ORDER BY e.key_hash
    LIMIT ${limit}`.execute(tx);
  return result.rows;
}

/**
 * Read the next page of the exceptions a run flagged after `after`, by id,
 * with the payload that run saw. The page comes from run_exceptions first (MATERIALIZED), as a
 * range scan of its primary key (run_id, exception_id). Each exception is
 * then looked up by id in a LATERAL subquery that OFFSET 0 keeps apart, so
 * the planner cannot hash-join every exception of the table per page.
 */
async function runBatch(tx: Tx, runId: string, after: Buffer | string | null, limit: number) {
  const result = await sql<BatchRow>`
    WITH page AS MATERIALIZED (
      SELECT exception_id, payload FROM run_exceptions
      WHERE run_id = ${runId} ${after === null ? sql`` : sql`AND exception_id > ${after}`}
      ORDER BY exception_id
      LIMIT ${limit}
    )
    SELECT ${ROW_COLUMNS}, page.payload, page.exception_id AS cursor
    FROM page
    CROSS JOIN LATERAL (
      SELECT * FROM exceptions WHERE exceptions.id = page.exception_id OFFSET 0
    ) AS e
    JOIN runs AS r ON r.id = ${runId}
    JOIN test_versions AS v ON v.id = r.test_version_id
    ${PEOPLE_JOINS}
    ORDER BY page.exception_id`.execute(tx);
  return result.rows;
}

/**
 * Read the exceptions of an export in batches of `batchSize`, paginated by
 * key so each query starts where the last one ended. Only one batch is in
 * memory at a time.
 */
export async function* readExportBatches(
  tx: Tx,
  target: ExportTarget,
  batchSize: number,
): AsyncGenerator<ExceptionExportRow[]> {
  let after: Buffer | string | null = null;

  for (;;) {
    const rows: BatchRow[] =
      target.kind === 'test'
        ? await testBatch(tx, target.testId, after, batchSize)
        : await runBatch(tx, target.runId, after, batchSize);
    if (rows.length === 0) return;

    yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]?.cursor ?? null;
  }
}
