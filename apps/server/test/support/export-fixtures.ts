import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type pg from 'pg';

/** Insert a test with one active version, as the database owner. Test setup only. */
export async function insertTest(
  owner: pg.Client,
  options: { entityCode: string; testKey: string; ownerEmail: string },
): Promise<{ testId: string; entityId: string; versionId: string; ownerId: string }> {
  const test = await owner.query<{ id: string; entity_id: string; owner_id: string }>(
    `INSERT INTO test_definitions (entity_id, key, owner_id, latest_version)
     SELECT entities.id, $2, users.id, 1 FROM entities, users
     WHERE entities.code = $1 AND users.email = $3
     RETURNING id, entity_id, owner_id`,
    [options.entityCode, options.testKey, options.ownerEmail],
  );
  const row = test.rows[0];
  if (row === undefined) throw new Error(`no entity ${options.entityCode} or user to own a test`);

  const version = await owner.query<{ id: string }>(
    `INSERT INTO test_versions (test_id, version, state, name, severity, sql, inputs, parameters,
                                key_columns, created_by)
     VALUES ($1, 1, 'active', 'Export fixture', 'high', 'SELECT 1 AS k', '[]', '[]', '{k}', $2)
     RETURNING id`,
    [row.id, row.owner_id],
  );
  return {
    testId: row.id,
    entityId: row.entity_id,
    versionId: version.rows[0]?.id ?? '',
    ownerId: row.owner_id,
  };
}

/** Insert a succeeded run of the test, numbered `runNumber`, or a preview when it is null. */
export async function insertRun(
  owner: pg.Client,
  test: { testId: string; versionId: string; ownerId: string },
  runNumber: number | null,
): Promise<string> {
  const run = await owner.query<{ id: string }>(
    `INSERT INTO runs (test_id, test_version_id, preview, run_number, status, requested_by,
                       requested_via, sql_executed, parameters, inputs, key_columns)
     VALUES ($1, $2, $3, $4, 'succeeded', $5, 'api', 'SELECT 1 AS k', '[]', '[]', '{k}')
     RETURNING id`,
    [test.testId, test.versionId, runNumber === null, runNumber, test.ownerId],
  );
  return run.rows[0]?.id ?? '';
}

/** Workflow columns of an exception beyond its status. Migration 0018 states their rules. */
export interface ExceptionFields {
  status?: 'open' | 'in_progress' | 'proposed' | 'closed';
  assigneeId?: string;
  disposition?: string;
  rationale?: string;
  proposedBy?: string;
  closedRunId?: string;
  closedReason?: string;
  dueOn?: string;
}

/**
 * Insert one exception of the test, flagged by `runId` with `runPayload`
 * and carrying `payload` now. Returns its id.
 */
export async function insertException(
  owner: pg.Client,
  test: { testId: string; entityId: string },
  runId: string,
  payload: Record<string, unknown>,
  fields: ExceptionFields = {},
  runPayload: Record<string, unknown> = payload,
): Promise<string> {
  const key = JSON.stringify(payload);
  const keyHash = createHash('sha256').update(key).digest();
  const proposed = fields.disposition !== undefined;
  const closed = fields.status === 'closed';

  const inserted = await owner.query<{ id: string }>(
    `INSERT INTO exceptions (test_id, entity_id, key_hash, key_values, status, payload, first_run_id,
                             last_run_id, severity, due_on, assignee_id, disposition, rationale,
                             proposed_by, proposed_at, closed_run_id, closed_reason, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'high', $8, $9, $10, $11, $12,
             CASE WHEN $13 THEN now() END, $14, $15, CASE WHEN $16 THEN now() END)
     RETURNING id`,
    [
      test.testId,
      test.entityId,
      keyHash,
      JSON.stringify([key]),
      fields.status ?? 'open',
      JSON.stringify(payload),
      runId,
      fields.dueOn ?? null,
      fields.assigneeId ?? null,
      fields.disposition ?? null,
      fields.rationale ?? null,
      fields.proposedBy ?? null,
      proposed,
      fields.closedRunId ?? null,
      fields.closedReason ?? null,
      closed,
    ],
  );
  const id = inserted.rows[0]?.id ?? '';
  await owner.query(
    `INSERT INTO run_exceptions (run_id, exception_id, occurrence, payload) VALUES ($1, $2, 'new', $3)`,
    [runId, id, JSON.stringify(runPayload)],
  );
  return id;
}

/**
 * Insert `count` open exceptions of the test with one SQL statement, each
 * flagged by `runId` with a payload of five fields, about 150 bytes.
 */
export async function insertManyExceptions(
  owner: pg.Client,
  test: { testId: string; entityId: string },
  runId: string,
  count: number,
): Promise<void> {
  await owner.query(
    `INSERT INTO exceptions (test_id, entity_id, key_hash, key_values, status, payload,
                             first_run_id, last_run_id, severity)
     SELECT $1, $2, sha256(convert_to(i::text, 'UTF8')), jsonb_build_array(i), 'open',
            jsonb_build_object(
              'vendor_id', 'V' || lpad((i % 5000)::text, 5, '0'),
              'invoice_number', 'INV-' || i,
              'amount', to_char(i * 1.37, 'FM9999999990.00'),
              'payment_date', (date '2024-01-01' + (i % 365))::text,
              'description', 'Payment ' || i || ' for services rendered to the group'),
            $3, $3, 'medium'
     FROM generate_series(1, $4::integer) AS i`,
    [test.testId, test.entityId, runId, count],
  );
  await owner.query(
    `INSERT INTO run_exceptions (run_id, exception_id, occurrence, payload)
     SELECT $1, id, 'new', payload FROM exceptions WHERE test_id = $2`,
    [runId, test.testId],
  );
}

export type ReadCell = string | number | null;

/**
 * Parse CSV with the fast-csv parser inside exceljs, keeping every field as
 * the text it is. Returns the rows and whether the file began with a UTF-8
 * byte order mark, which is removed before parsing.
 */
export async function readCsv(body: Buffer): Promise<{ bom: boolean; rows: string[][] }> {
  const text = body.toString('utf8');
  const bom = text.startsWith('\uFEFF');
  const workbook = new ExcelJS.Workbook();
  const worksheet = await workbook.csv.read(Readable.from([bom ? text.slice(1) : text]), {
    map: (value: unknown) => value,
  });

  const rows: string[][] = [];
  worksheet.eachRow({ includeEmpty: true }, (row) => {
    const cells: string[] = [];
    for (let column = 1; column <= worksheet.columnCount; column += 1) {
      const value = row.getCell(column).value;
      cells.push(value === null || value === undefined ? '' : String(value));
    }
    rows.push(cells);
  });
  return { bom, rows };
}

/** Read the first worksheet of an XLSX file. Throws on any cell that is not text, a number or empty. */
export async function readXlsx(body: Buffer): Promise<ReadCell[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(body as unknown as ArrayBuffer);
  const worksheet = workbook.worksheets[0];
  if (worksheet === undefined) throw new Error('the workbook has no worksheet');

  const rows: ReadCell[][] = [];
  worksheet.eachRow({ includeEmpty: true }, (row) => {
    const cells: ReadCell[] = [];
    for (let column = 1; column <= worksheet.columnCount; column += 1) {
      const cell = row.getCell(column);
      const value = cell.value;
      if (value !== null && typeof value !== 'string' && typeof value !== 'number') {
        throw new Error(
          `cell ${cell.address} contains ${JSON.stringify(value)}, not text or a number`,
        );
      }
      cells.push(value);
    }
    rows.push(cells);
  });
  return rows;
}
