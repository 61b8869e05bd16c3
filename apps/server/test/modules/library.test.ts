import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/modules/runs/engine/result-values.ts';
import {
  runSandboxedQuery,
  SandboxError,
  type SandboxInput,
} from '../../src/modules/runs/engine/sandbox.ts';
import { checkSingleSelect } from '../../src/modules/runs/engine/statement-check.ts';
import { resolveParameters } from '../../src/modules/runs/run-plan.ts';
import { findTemplate, LIBRARY_TEMPLATES } from '../../src/modules/tests/library/library.ts';
import {
  type TemplateField,
  type TestTemplate,
  testTemplateSchema,
} from '../../src/modules/tests/library/template.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import { realDataFile } from '../support/real-data.ts';

// The public extracts stay beside the repository: their licences allow them as test
// input but not redistribution inside the product.
const corporatePayments = realDataFile('nigrini/corporate.payment.csv');
const westlandPurchaseJournal = realDataFile('westland-p2p/purchase_journal.csv');
const westlandDirectory =
  westlandPurchaseJournal === null ? '' : path.dirname(westlandPurchaseJournal);

const LIMITS = { memoryMb: 512, threads: 2, timeoutMs: 60_000, maxResultRows: 10_000 };

type Row = Record<string, JsonValue>;

interface TemplateRun {
  columns: string[];
  rows: Row[];
  /** The single row of summarySql, when the template has one. */
  summary: Row | undefined;
}

let root: string;
let inputRoot: string;
let tempDir: string;
let writer: DuckDBInstance;
let writerConnection: DuckDBConnection;
let inputCount = 0;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'peytonix-library-'));
  inputRoot = path.join(root, 'inputs');
  tempDir = path.join(root, 'tmp');
  mkdirSync(inputRoot);
  mkdirSync(tempDir);
  writer = await DuckDBInstance.create(':memory:');
  writerConnection = await writer.connect();
});

afterAll(() => {
  writerConnection?.closeSync();
  writer?.closeSync();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Write the rows of `select` to a new Parquet file under inputRoot and return its path. */
async function writeParquet(select: string): Promise<string> {
  inputCount += 1;
  const file = path.join(inputRoot, `input-${inputCount}.parquet`);
  await writerConnection.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
  return file;
}

function toObjects(columns: string[], rows: JsonValue[][]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(columns.map((name, index) => [name, row[index] ?? null])),
  );
}

function libraryTemplate(key: string): TestTemplate {
  const template = findTemplate(key);
  if (template === undefined) throw new Error(`library template ${key} not found`);
  return template;
}

/**
 * Run a library template through the sandbox. `inputs` maps each input name
 * to a SELECT whose rows become that input's Parquet file. Checks that the
 * key columns exist and identify each result row.
 */
async function runTemplate(
  key: string,
  inputs: Record<string, string>,
  values: Record<string, string | number> = {},
): Promise<TemplateRun> {
  const template = libraryTemplate(key);
  const sandboxInputs: SandboxInput[] = [];
  for (const [name, select] of Object.entries(inputs)) {
    sandboxInputs.push({ name, parquetPath: await writeParquet(select) });
  }
  // Runs give parameter values as text, as the CLI and the API do.
  const text = Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, String(value)]),
  );
  const parameters = resolveParameters(template.parameters, text);
  const request = { inputs: sandboxInputs, parameters, limits: LIMITS, inputRoot, tempDir };

  const result = await runSandboxedQuery({ ...request, sql: template.sql });
  expect(result.truncated).toBe(false);
  const columns = result.columns.map((column) => column.name);
  const rows = toObjects(columns, result.rows);

  for (const keyColumn of template.keyColumns) expect(columns).toContain(keyColumn);
  const keys = rows.map((row) => JSON.stringify(template.keyColumns.map((name) => row[name])));
  expect(new Set(keys).size).toBe(keys.length);

  let summary: Row | undefined;
  if (template.summarySql !== undefined) {
    const summaryResult = await runSandboxedQuery({ ...request, sql: template.summarySql });
    expect(summaryResult.rowCount).toBe(1);
    summary = toObjects(
      summaryResult.columns.map((column) => column.name),
      summaryResult.rows,
    )[0];
  }
  return { columns, rows, summary };
}

async function templateError(
  key: string,
  inputs: Record<string, string>,
  values: Record<string, string | number>,
): Promise<SandboxError> {
  try {
    await runTemplate(key, inputs, values);
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error(`expected template ${key} to fail with ${JSON.stringify(values)}`);
}

const DUCKDB_TYPES: Record<TemplateField['type'], string> = {
  text: 'VARCHAR',
  integer: 'BIGINT',
  decimal: 'DECIMAL(18,2)',
  date: 'DATE',
  boolean: 'BOOLEAN',
};

/** Return a SELECT that has the columns of a template input and no rows. */
function emptyInput(fields: readonly TemplateField[]): string {
  const columns = fields.map(
    (field) => `CAST(NULL AS ${DUCKDB_TYPES[field.type]}) AS ${field.name}`,
  );
  return `SELECT ${columns.join(', ')} WHERE false`;
}

describe('library templates', () => {
  it('lists every standard test', () => {
    expect(LIBRARY_TEMPLATES.map((template) => template.key)).toEqual([
      'duplicate-payments-exact',
      'duplicate-payments-likely',
      'split-purchases',
      'weekend-holiday-postings',
      'round-amounts',
      'just-below-limit',
      'benford-first-digit',
      'benford-first-two',
      'sequence-gaps-duplicates',
      'three-way-match',
      'vendor-employee-match',
      'terminated-users-with-access',
      'sod-conflicts',
    ]);
  });

  it('finds templates by key', () => {
    expect(findTemplate('three-way-match')?.name).toBe('Three-way match');
    expect(findTemplate('no-such-test')).toBeUndefined();
  });

  it.each(LIBRARY_TEMPLATES.map((template) => [template.key, template] as const))(
    '%s matches the schema',
    (_key, template) => {
      const parsed = testTemplateSchema.safeParse(template);
      expect(parsed.error?.issues ?? []).toEqual([]);
    },
  );

  it.each(LIBRARY_TEMPLATES.map((template) => [template.key, template] as const))(
    '%s uses exactly its declared parameters',
    async (_key, template) => {
      const declared = template.parameters.map((parameter) => parameter.name).sort();
      const relationNames = template.inputs.map((input) => input.name);
      for (const sql of [template.sql, template.summarySql]) {
        if (sql === undefined) continue;
        const checked = await checkSingleSelect(sql, { relationNames });
        expect([...checked.parameterNames].sort()).toEqual(declared);
      }
    },
  );

  it.each(LIBRARY_TEMPLATES.map((template) => [template.key, template] as const))(
    '%s runs on empty inputs',
    async (_key, template) => {
      const inputs = Object.fromEntries(
        template.inputs.map((input) => [input.name, emptyInput(input.fields)]),
      );
      const values = template.parameters.some((parameter) => parameter.name === 'as_of')
        ? { as_of: '2024-06-30' }
        : {};
      const run = await runTemplate(template.key, inputs, values);
      expect(run.rows).toEqual([]);
      if (template.summarySql !== undefined) expect(run.summary?.n).toBe('0');
    },
  );
});

describe('template schema', () => {
  const valid = libraryTemplate('round-amounts');

  function issuesOf(candidate: unknown): string[] {
    const parsed = testTemplateSchema.safeParse(candidate);
    return (parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('rejects a key that is not kebab-case', () => {
    expect(issuesOf({ ...valid, key: 'Round_Amounts' })).toEqual([
      'key: must be kebab-case, such as "duplicate-payments-exact"',
    ]);
  });

  it('rejects a missing description section', () => {
    const description = valid.description.replace('## Limitations', '## Caveats');
    expect(issuesOf({ ...valid, description })).toHaveLength(1);
    expect(issuesOf({ ...valid, description })[0]).toMatch(/^description: must have exactly/);
  });

  it('rejects duplicate names', () => {
    const input = valid.inputs[0];
    if (input === undefined) throw new Error('round-amounts has no input');
    const field = input.fields[0];
    if (field === undefined) throw new Error('round-amounts has no field');
    expect(
      issuesOf({ ...valid, inputs: [{ ...input, fields: [...input.fields, field] }] }),
    ).toEqual(['inputs.0.fields.3: duplicate field name "document_number"']);
    expect(issuesOf({ ...valid, keyColumns: ['amount', 'amount'] })).toEqual([
      'keyColumns.1: duplicate key column name "amount"',
    ]);
  });

  it('rejects a default of the wrong type', () => {
    const parameters = [{ ...valid.parameters[0], default: 1000 }];
    expect(issuesOf({ ...valid, parameters })).toHaveLength(1);
    const badDate = [{ name: 'as_of', type: 'date', default: '2024-02-30', description: 'x' }];
    expect(issuesOf({ ...valid, parameters: badDate })).toEqual([
      'parameters.0.default: must be a calendar date "YYYY-MM-DD"',
    ]);
  });

  it('rejects an unknown property', () => {
    expect(issuesOf({ ...valid, owner: 'audit' })).toHaveLength(1);
  });
});

describe('template parameters', () => {
  const benford = libraryTemplate('benford-first-digit');
  const terminated = libraryTemplate('terminated-users-with-access');

  it('uses defaults', () => {
    expect(resolveParameters(benford.parameters, {})).toEqual([
      { name: 'min_amount', type: 'decimal', value: '10' },
      { name: 'sign', type: 'text', value: 'both' },
      { name: 'z_critical', type: 'decimal', value: '1.96' },
    ]);
  });

  it('applies overrides', () => {
    expect(resolveParameters(benford.parameters, { z_critical: '2.57', sign: 'positive' })).toEqual(
      [
        { name: 'min_amount', type: 'decimal', value: '10' },
        { name: 'sign', type: 'text', value: 'positive' },
        { name: 'z_critical', type: 'decimal', value: '2.57' },
      ],
    );
  });

  it('requires a value without default', () => {
    expect(() => resolveParameters(terminated.parameters, {})).toThrow(AppError);
    expect(() => resolveParameters(terminated.parameters, {})).toThrow(/as_of has no default/);
    expect(resolveParameters(terminated.parameters, { as_of: '2024-06-30' })).toEqual([
      { name: 'as_of', type: 'date', value: '2024-06-30' },
      { name: 'grace_days', type: 'integer', value: '0' },
    ]);
  });

  it('rejects unknown names', () => {
    expect(() => resolveParameters(benford.parameters, { z_crit: '2' })).toThrow(
      'has no parameter "z_crit". Its parameters are min_amount, sign, z_critical.',
    );
  });

  it('rejects values of the wrong type', () => {
    expect(() => resolveParameters(benford.parameters, { z_critical: 'high' })).toThrow(
      'Parameter z_critical is "high"; expected a decimal number',
    );
    expect(() =>
      resolveParameters(terminated.parameters, { as_of: '30/06/2024', grace_days: '0' }),
    ).toThrow(AppError);
  });
});

describe('duplicate-payments-exact', () => {
  const payments = `
    SELECT vendor_id, invoice_number, CAST(amount AS DECIMAL(18,2)) AS amount,
           CAST(payment_date AS DATE) AS payment_date
    FROM (VALUES
      ('V1', 'INV-1', 100.00, '2024-01-05'),
      ('V1', 'INV-1', 100.00, '2024-01-20'),
      ('V1', 'inv-1', 100.00, '2024-01-21'),
      ('V1', 'INV-1', 100.01, '2024-01-22'),
      ('V2', 'INV-1', 100.00, '2024-01-05'),
      ('V3', 'CN-9', -50.00, '2024-02-01'),
      ('V3', 'CN-9', -50.00, '2024-02-01'),
      ('V3', 'CN-9', -50.00, NULL),
      ('V4', NULL, 75.00, '2024-02-02'),
      ('V4', NULL, 75.00, '2024-02-03'),
      (NULL, 'INV-5', 75.00, '2024-02-02'),
      (NULL, 'INV-5', 75.00, '2024-02-03'),
      ('V5', 'INV-0', 0.00, '2024-02-02'),
      ('V5', 'INV-0', 0.00, '2024-02-03'),
      ('V6', 'INV-7', NULL, '2024-02-02'),
      ('V6', 'INV-7', NULL, '2024-02-03'),
      ('V1', 'INV-2', 300.00, '2024-03-03'),
      ('V1', 'INV-2', 300.00, '2024-03-01'),
      ('V1', 'INV-2', 300.00, '2024-03-02')
    ) AS t(vendor_id, invoice_number, amount, payment_date)`;

  it('groups exact duplicates', async () => {
    const run = await runTemplate('duplicate-payments-exact', { payments });

    expect(run.rows).toEqual([
      {
        vendor_id: 'V1',
        invoice_number: 'INV-1',
        amount: '100.00',
        payment_count: '2',
        duplicate_amount: '100.00',
        payment_dates: ['2024-01-05', '2024-01-20'],
      },
      {
        vendor_id: 'V1',
        invoice_number: 'INV-2',
        amount: '300.00',
        payment_count: '3',
        duplicate_amount: '600.00',
        payment_dates: ['2024-03-01', '2024-03-02', '2024-03-03'],
      },
      {
        vendor_id: 'V3',
        invoice_number: 'CN-9',
        amount: '-50.00',
        payment_count: '3',
        duplicate_amount: '-100.00',
        payment_dates: ['2024-02-01', '2024-02-01', null],
      },
    ]);
  });
});

describe('duplicate-payments-likely', () => {
  const payments = `
    SELECT vendor_id, invoice_number, CAST(amount AS DECIMAL(18,2)) AS amount,
           CAST(payment_date AS DATE) AS payment_date
    FROM (VALUES
      ('V1', 'INV-0012', 500.00, '2024-01-01'),
      ('V1', 'inv 12', 500.00, '2024-01-15'),
      ('V2', 'A-1', 200.00, '2024-03-01'),
      ('V2', 'B-7', 200.00, '2024-03-31'),
      ('V2', 'C-9', 200.00, '2024-04-01'),
      ('V3', 'INV-5', 90.00, '2024-05-01'),
      ('V3', 'INV-5', 90.00, '2024-05-02'),
      ('V4', 'Q-1', 90.00, '2024-05-01'),
      ('V4', 'Q-2', 90.01, '2024-05-01'),
      ('V5', 'CR-1', -40.00, '2024-06-01'),
      ('V5', 'CR-001', -40.00, '2024-06-01'),
      ('V6', NULL, 60.00, '2024-07-01'),
      ('V6', 'Z-1', 60.00, '2024-07-02'),
      ('V7', '1002', 10.00, '2024-08-01'),
      ('V7', '102', 10.00, '2024-08-02'),
      ('V7', '0102', 10.00, '2024-08-03'),
      ('V8', 'K-1', 30.00, NULL),
      ('V8', 'K-2', 30.00, '2024-09-01'),
      ('V9', 'M-1', 0.00, '2024-09-01'),
      ('V9', 'M-2', 0.00, '2024-09-01')
    ) AS t(vendor_id, invoice_number, amount, payment_date)`;

  function pair(
    vendor: string,
    amount: string,
    a: [string, string],
    b: [string, string],
    daysApart: string,
    matchType: string,
  ): Row {
    return {
      vendor_id: vendor,
      amount,
      invoice_number_a: a[0],
      payment_date_a: a[1],
      invoice_number_b: b[0],
      payment_date_b: b[1],
      days_apart: daysApart,
      match_type: matchType,
    };
  }

  const v1 = pair(
    'V1',
    '500.00',
    ['INV-0012', '2024-01-01'],
    ['inv 12', '2024-01-15'],
    '14',
    'normalized_invoice_match',
  );
  const v2First = pair(
    'V2',
    '200.00',
    ['A-1', '2024-03-01'],
    ['B-7', '2024-03-31'],
    '30',
    'different_invoice',
  );
  const v2Second = pair(
    'V2',
    '200.00',
    ['B-7', '2024-03-31'],
    ['C-9', '2024-04-01'],
    '1',
    'different_invoice',
  );
  const v5 = pair(
    'V5',
    '-40.00',
    ['CR-001', '2024-06-01'],
    ['CR-1', '2024-06-01'],
    '0',
    'normalized_invoice_match',
  );
  const v7 = [
    pair('V7', '10.00', ['1002', '2024-08-01'], ['102', '2024-08-02'], '1', 'different_invoice'),
    pair('V7', '10.00', ['1002', '2024-08-01'], ['0102', '2024-08-03'], '2', 'different_invoice'),
    pair(
      'V7',
      '10.00',
      ['102', '2024-08-02'],
      ['0102', '2024-08-03'],
      '1',
      'normalized_invoice_match',
    ),
  ];

  it('pairs payments within 30 days', async () => {
    const run = await runTemplate('duplicate-payments-likely', { payments });

    expect(run.rows).toEqual([v1, v2First, v2Second, v5, ...v7]);
  });

  it('narrows the window on override', async () => {
    const run = await runTemplate('duplicate-payments-likely', { payments }, { window_days: 14 });
    expect(run.rows).toEqual([v1, v2Second, v5, ...v7]);

    const sameDay = await runTemplate(
      'duplicate-payments-likely',
      { payments },
      { window_days: 0 },
    );
    expect(sameDay.rows).toEqual([v5]);
  });

  it('rejects a negative window', async () => {
    const error = await templateError(
      'duplicate-payments-likely',
      { payments },
      { window_days: -1 },
    );
    expect(error.code).toBe('SQL_INVALID');
    expect(error.message).toContain('window_days must be 0 or more, got -1');
  });
});

describe('split-purchases', () => {
  const purchases = `
    SELECT purchaser, merchant, CAST(amount AS DECIMAL(18,2)) AS amount,
           CAST(transaction_date AS DATE) AS transaction_date
    FROM (VALUES
      ('C1', 'Acme Supplies', 2500.00, '2024-01-01'),
      ('C1', 'Acme Supplies', 2500.00, '2024-01-02'),
      ('C1', ' ACME  supplies ', 100.00, '2024-01-03'),
      ('C1', 'Acme Supplies', 4999.99, '2024-01-10'),
      ('C1', 'Acme Supplies', 4999.99, '2024-01-14'),
      ('C1', 'Acme Supplies', 5000.00, '2024-01-20'),
      ('C1', 'Acme Supplies', 10.00, '2024-01-20'),
      ('C2', 'Bolt', 3000.00, '2024-02-01'),
      ('C2', 'Bolt', 2000.00, '2024-02-04'),
      ('C2', 'Bolt', 1000.00, '2024-02-05'),
      ('C3', 'Corner', 4999.99, '2024-02-10'),
      ('C3', 'Corner', 0.01, '2024-02-10'),
      ('C3', 'Corner', -100.00, '2024-02-10'),
      ('C3', 'Corner', 4000.00, NULL),
      ('C3', NULL, 4000.00, '2024-02-10'),
      (NULL, 'Corner', 4000.00, '2024-02-10'),
      ('C4', 'Dell', 2000.00, '2024-03-01'),
      ('C4', 'Dell', 2000.00, '2024-03-03'),
      ('C4', 'Dell', 2000.00, '2024-03-05'),
      ('C4', 'Dell', 2000.00, '2024-03-07')
    ) AS t(purchaser, merchant, amount, transaction_date)`;

  function splitGroup(
    purchaser: string,
    merchant: string,
    dates: [string, string],
    total: string,
    amounts: string[],
  ): Row {
    return {
      purchaser,
      merchant,
      first_date: dates[0],
      last_date: dates[1],
      purchase_count: String(amounts.length),
      total_amount: total,
      amounts,
    };
  }

  it('finds splits within 3 days', async () => {
    const run = await runTemplate('split-purchases', { purchases });

    expect(run.rows).toEqual([
      splitGroup('C1', 'acme supplies', ['2024-01-01', '2024-01-03'], '5100.00', [
        '2500.00',
        '2500.00',
        '100.00',
      ]),
      splitGroup('C2', 'bolt', ['2024-02-01', '2024-02-04'], '5000.00', ['3000.00', '2000.00']),
      splitGroup('C3', 'corner', ['2024-02-10', '2024-02-10'], '5000.00', ['0.01', '4999.99']),
    ]);
  });

  it('merges overlapping windows', async () => {
    const run = await runTemplate('split-purchases', { purchases }, { window_days: 5 });

    expect(run.rows).toEqual([
      splitGroup('C1', 'acme supplies', ['2024-01-01', '2024-01-03'], '5100.00', [
        '2500.00',
        '2500.00',
        '100.00',
      ]),
      splitGroup('C1', 'acme supplies', ['2024-01-10', '2024-01-14'], '9999.98', [
        '4999.99',
        '4999.99',
      ]),
      splitGroup('C2', 'bolt', ['2024-02-01', '2024-02-05'], '6000.00', [
        '3000.00',
        '2000.00',
        '1000.00',
      ]),
      splitGroup('C3', 'corner', ['2024-02-10', '2024-02-10'], '5000.00', ['0.01', '4999.99']),
      splitGroup('C4', 'dell', ['2024-03-01', '2024-03-07'], '8000.00', [
        '2000.00',
        '2000.00',
        '2000.00',
        '2000.00',
      ]),
    ]);
  });

  it('applies a lower threshold', async () => {
    const run = await runTemplate('split-purchases', { purchases }, { threshold: '2500' });

    expect(run.rows).toEqual([
      splitGroup('C2', 'bolt', ['2024-02-04', '2024-02-05'], '3000.00', ['2000.00', '1000.00']),
      splitGroup('C4', 'dell', ['2024-03-01', '2024-03-07'], '8000.00', [
        '2000.00',
        '2000.00',
        '2000.00',
        '2000.00',
      ]),
    ]);
  });

  it('rejects a zero threshold', async () => {
    const error = await templateError('split-purchases', { purchases }, { threshold: '0' });
    expect(error.message).toContain('threshold must be greater than 0, got 0');
  });
});

describe('weekend-holiday-postings', () => {
  const postings = `
    SELECT entry_number, CAST(posting_date AS DATE) AS posting_date,
           CAST(amount AS DECIMAL(18,2)) AS amount
    FROM (VALUES
      ('JE1', '2024-01-05', 100.00),
      ('JE1', '2024-01-05', -100.00),
      ('JE2', '2024-01-06', 250.00),
      ('JE2', '2024-01-06', -250.00),
      (NULL, '2024-01-06', 5.00),
      ('JE3', '2024-01-07', 10.00),
      ('JE4', '2024-12-25', 75.50),
      ('JE5', '2024-12-28', -20.00),
      ('JE6', NULL, 1.00),
      ('JE7', '2024-01-08', 1.00),
      ('JE8', '2024-01-01', 42.00)
    ) AS t(entry_number, posting_date, amount)`;
  const holidays = `
    SELECT CAST(holiday_date AS DATE) AS holiday_date, holiday_name
    FROM (VALUES
      ('2024-12-25', 'Christmas Day'),
      ('2024-12-28', 'Company day'),
      ('2024-12-28', 'Bank holiday'),
      (NULL, 'Undated'),
      ('2024-01-01', NULL)
    ) AS t(holiday_date, holiday_name)`;

  it('flags weekends and holidays', async () => {
    const run = await runTemplate('weekend-holiday-postings', { postings, holidays });

    const row = (
      entry: string | null,
      date: string,
      day: string,
      weekend: boolean,
      holiday: string | null | false,
      lines: string,
      amount: string,
    ): Row => ({
      entry_number: entry,
      posting_date: date,
      day_of_week: day,
      is_weekend: weekend,
      is_holiday: holiday !== false,
      holiday_name: holiday === false ? null : holiday,
      line_count: lines,
      absolute_amount: amount,
    });
    expect(run.rows).toEqual([
      row('JE8', '2024-01-01', 'Monday', false, null, '1', '42.00'),
      row('JE2', '2024-01-06', 'Saturday', true, false, '2', '500.00'),
      row(null, '2024-01-06', 'Saturday', true, false, '1', '5.00'),
      row('JE3', '2024-01-07', 'Sunday', true, false, '1', '10.00'),
      row('JE4', '2024-12-25', 'Wednesday', false, 'Christmas Day', '1', '75.50'),
      row('JE5', '2024-12-28', 'Saturday', true, 'Bank holiday; Company day', '1', '20.00'),
    ]);
  });
});

describe('round-amounts', () => {
  const transactions = `
    SELECT document_number, CAST(transaction_date AS DATE) AS transaction_date,
           CAST(amount AS DECIMAL(18,2)) AS amount
    FROM (VALUES
      ('D1', '2024-01-01', 10000.00),
      ('D2', '2024-01-02', 9000.00),
      ('D3', '2024-01-03', 25000.00),
      ('D3', '2024-01-03', 25000.00),
      ('D4', '2024-01-04', -25000.00),
      ('D5', '2024-01-05', 25000.01),
      ('D6', '2024-01-06', 0.00),
      ('D7', '2024-01-07', NULL),
      ('D8', '2024-01-08', 12500.00)
    ) AS t(document_number, transaction_date, amount)`;

  const round = (document: string, date: string, amount: JsonValue, occurrences = '1'): Row => ({
    document_number: document,
    transaction_date: date,
    amount,
    occurrences,
  });

  it('finds thousands from 10000', async () => {
    const run = await runTemplate('round-amounts', { transactions });

    expect(run.rows).toEqual([
      round('D4', '2024-01-04', '-25000.00'),
      round('D3', '2024-01-03', '25000.00', '2'),
      round('D1', '2024-01-01', '10000.00'),
    ]);
  });

  it('applies multiple and threshold overrides', async () => {
    const run = await runTemplate(
      'round-amounts',
      { transactions },
      { multiple: '500', threshold: '9000' },
    );

    expect(run.rows).toEqual([
      round('D4', '2024-01-04', '-25000.00'),
      round('D3', '2024-01-03', '25000.00', '2'),
      round('D8', '2024-01-08', '12500.00'),
      round('D1', '2024-01-01', '10000.00'),
      round('D2', '2024-01-02', '9000.00'),
    ]);
  });

  it('tests DOUBLE amounts exactly', async () => {
    const doubles = `
      SELECT document_number, CAST(transaction_date AS DATE) AS transaction_date,
             CAST(amount AS DOUBLE) AS amount
      FROM (VALUES ('F1', '2024-01-01', 0.3), ('F2', '2024-01-01', 0.35), ('F3', '2024-01-01', 0.7))
        AS t(document_number, transaction_date, amount)`;
    const run = await runTemplate(
      'round-amounts',
      { transactions: doubles },
      { multiple: '0.1', threshold: '0' },
    );

    expect(run.rows).toEqual([round('F3', '2024-01-01', 0.7), round('F1', '2024-01-01', 0.3)]);
  });

  it('rejects a zero multiple', async () => {
    const error = await templateError('round-amounts', { transactions }, { multiple: '0' });
    expect(error.message).toContain('multiple must be at least 0.000001, got 0');
  });
});

describe('just-below-limit', () => {
  const transactions = `
    SELECT document_number, CAST(transaction_date AS DATE) AS transaction_date,
           CAST(amount AS DECIMAL(18,2)) AS amount
    FROM (VALUES
      ('D1', '2024-01-01', 9500.00),
      ('D2', '2024-01-02', 9499.99),
      ('D3', '2024-01-03', 9999.99),
      ('D4', '2024-01-04', 10000.00),
      ('D5', '2024-01-05', -9600.00),
      ('D6', '2024-01-06', NULL),
      ('D7', '2024-01-07', 9750.00),
      ('D7', '2024-01-07', 9750.00),
      ('D8', '2024-01-08', 4875.00),
      ('D9', '2024-01-09', 4874.99),
      ('D10', '2024-01-10', 4999.99)
    ) AS t(document_number, transaction_date, amount)`;

  it('finds amounts within 5 percent below 10000', async () => {
    const run = await runTemplate('just-below-limit', { transactions });

    expect(run.rows).toEqual([
      {
        document_number: 'D3',
        transaction_date: '2024-01-03',
        amount: '9999.99',
        limit_amount: '10000',
        shortfall: '0.01',
        shortfall_pct: 0.0001,
        occurrences: '1',
      },
      {
        document_number: 'D7',
        transaction_date: '2024-01-07',
        amount: '9750.00',
        limit_amount: '10000',
        shortfall: '250.00',
        shortfall_pct: 2.5,
        occurrences: '2',
      },
      {
        document_number: 'D1',
        transaction_date: '2024-01-01',
        amount: '9500.00',
        limit_amount: '10000',
        shortfall: '500.00',
        shortfall_pct: 5,
        occurrences: '1',
      },
    ]);
  });

  it('applies limit and margin overrides', async () => {
    const run = await runTemplate(
      'just-below-limit',
      { transactions },
      { limit: '5000', margin_pct: '2.5' },
    );

    expect(run.rows.map((row) => [row.document_number, row.shortfall, row.shortfall_pct])).toEqual([
      ['D10', '0.01', 0.0002],
      ['D8', '125.00', 2.5],
    ]);
  });

  it('rejects a margin of 100 percent', async () => {
    const error = await templateError('just-below-limit', { transactions }, { margin_pct: '100' });
    expect(error.message).toContain('margin_pct must be greater than 0 and less than 100, got 100');
  });
});

/** Expected Benford statistics of one digit value, computed independently of the SQL. */
interface DigitExpectation {
  digits: number;
  count: number;
  observed: number;
  expected: number;
  z: number;
}

/**
 * Nigrini's z-statistic for each digit value: the continuity correction
 * 1/(2n) is subtracted only when it is smaller than |observed - expected|.
 */
function benfordExpectations(counts: ReadonlyMap<number, number>, first: number, last: number) {
  let n = 0;
  for (const count of counts.values()) n += count;
  const digits: DigitExpectation[] = [];
  for (let value = first; value <= last; value += 1) {
    const count = counts.get(value) ?? 0;
    const observed = count / n;
    const expected = Math.log10(1 + 1 / value);
    const deviation = Math.abs(observed - expected);
    const correction = 1 / (2 * n);
    const numerator = correction < deviation ? deviation - correction : deviation;
    const z = numerator / Math.sqrt((expected * (1 - expected)) / n);
    digits.push({ digits: value, count, observed, expected, z });
  }
  const mad =
    digits.reduce((sum, digit) => sum + Math.abs(digit.observed - digit.expected), 0) /
    digits.length;
  const chiSquare = digits.reduce(
    (sum, digit) => sum + (digit.count - n * digit.expected) ** 2 / (n * digit.expected),
    0,
  );
  return { n, digits, mad, chiSquare };
}

function expectDigitRows(rows: Row[], column: string, expected: DigitExpectation[]): void {
  expect(rows.map((row) => row[column])).toEqual(expected.map((digit) => digit.digits));
  expect(rows.map((row) => row.digit_count)).toEqual(expected.map((digit) => String(digit.count)));
  expected.forEach((digit, index) => {
    const row = rows[index];
    expect(row?.observed_proportion).toBeCloseTo(digit.observed, 5);
    expect(row?.expected_proportion).toBeCloseTo(digit.expected, 5);
    expect(row?.deviation).toBeCloseTo(digit.observed - digit.expected, 5);
    expect(row?.z_statistic).toBeCloseTo(digit.z, 3);
  });
}

describe('benford-first-digit', () => {
  /** Amounts per first digit: near Benford's proportions, with 40 amounts moved from 1 to 9. */
  const generatedCounts: [number, number][] = [
    [1, 260],
    [2, 176],
    [3, 125],
    [4, 97],
    [5, 79],
    [6, 67],
    [7, 58],
    [8, 51],
    [9, 86],
  ];
  // 10.00 is at min_amount and counts. The ten negative amounts of digit 5
  // count by absolute value unless sign is "positive".
  const transactions = `
    SELECT CAST(amount AS DECIMAL(18,2)) AS amount FROM (
      SELECT CASE WHEN digit = 5 AND i < 10 THEN -1 ELSE 1 END * (digit * 100 + i % 100 + 0.25) AS amount
      FROM (SELECT digit, unnest(range(amount_count)) AS i
            FROM (VALUES ${generatedCounts.map(([digit, count]) => `(${digit}, ${count})`).join(', ')})
              AS c(digit, amount_count))
      UNION ALL
      SELECT * FROM (VALUES (10.00), (9.99), (-9.99), (0.00), (NULL)) AS extra(amount)
    )`;
  const counts = new Map(generatedCounts);
  counts.set(1, 261);
  const expected = benfordExpectations(counts, 1, 9);

  it('flags the over- and under-represented digits', async () => {
    const run = await runTemplate('benford-first-digit', { transactions });

    const significant = expected.digits.filter((digit) => digit.z > 1.96);
    expect(significant.map((digit) => digit.digits)).toEqual([1, 9]);
    expectDigitRows(run.rows, 'first_digit', significant);
  });

  it('summarizes n, MAD and conformity', async () => {
    const run = await runTemplate('benford-first-digit', { transactions });

    expect(run.summary?.n).toBe('1000');
    expect(run.summary?.mad).toBeCloseTo(expected.mad, 10);
    expect(run.summary?.chi_square).toBeCloseTo(expected.chiSquare, 8);
    expect(run.summary?.degrees_of_freedom).toBe('8');
    expect(expected.mad).toBeGreaterThan(0.006);
    expect(expected.mad).toBeLessThanOrEqual(0.012);
    expect(run.summary?.conformity).toBe('acceptable conformity');
    expect(run.summary?.significant_digit_count).toBe('2');
  });

  it('applies the continuity correction only when smaller', async () => {
    const run = await runTemplate('benford-first-digit', { transactions }, { z_critical: '0' });

    const digit2 = expected.digits[1];
    if (digit2 === undefined) throw new Error('digit 2 missing');
    // |0.176 - 0.176091| is below 1/(2n) = 0.0005, so z is not corrected.
    expect(Math.abs(digit2.observed - digit2.expected)).toBeLessThan(0.0005);
    expectDigitRows(run.rows, 'first_digit', expected.digits);
    expect(run.rows[1]?.z_statistic).toBeCloseTo(
      Math.abs(0.176 - Math.log10(1.5)) /
        Math.sqrt((Math.log10(1.5) * (1 - Math.log10(1.5))) / 1000),
      3,
    );
  });

  it('tests positive amounts only', async () => {
    const run = await runTemplate('benford-first-digit', { transactions }, { sign: 'positive' });

    const positiveCounts = new Map(counts);
    positiveCounts.set(5, 69);
    const positive = benfordExpectations(positiveCounts, 1, 9);
    expect(run.summary?.n).toBe('990');
    expect(run.summary?.mad).toBeCloseTo(positive.mad, 10);
    expectDigitRows(
      run.rows,
      'first_digit',
      positive.digits.filter((digit) => digit.z > 1.96),
    );
  });

  it('reports no statistics without amounts', async () => {
    const small =
      'SELECT CAST(amount AS DECIMAL(18,2)) AS amount FROM (VALUES (9.99), (NULL)) AS t(amount)';
    const run = await runTemplate('benford-first-digit', { transactions: small });

    expect(run.rows).toEqual([]);
    expect(run.summary).toEqual({
      n: '0',
      mad: null,
      chi_square: null,
      degrees_of_freedom: '8',
      conformity: null,
      significant_digit_count: '0',
    });
  });

  it('rejects an unknown sign', async () => {
    const error = await templateError('benford-first-digit', { transactions }, { sign: 'all' });
    expect(error.message).toContain('sign must be both, positive or negative, got all');
  });
});

describe('benford-first-two', () => {
  // Two amounts for every first-two-digit value, plus a spike of 30 at 49.
  const transactions = `
    SELECT CAST(amount AS DECIMAL(18,2)) AS amount FROM (
      SELECT digits * 100 + copy AS amount
      FROM range(10, 100) AS d(digits), range(2) AS c(copy)
      UNION ALL
      SELECT 4950 + i FROM range(30) AS s(i)
    )`;
  const counts = new Map<number, number>();
  for (let value = 10; value <= 99; value += 1) counts.set(value, 2);
  counts.set(49, 32);
  const expected = benfordExpectations(counts, 10, 99);

  it('flags the spike and the shortfalls', async () => {
    const run = await runTemplate('benford-first-two', { transactions });

    const significant = expected.digits.filter((digit) => digit.z > 1.96);
    expect(significant.map((digit) => digit.digits)).toContain(49);
    expectDigitRows(run.rows, 'first_two_digits', significant);
    expect(run.summary?.n).toBe('210');
    expect(run.summary?.mad).toBeCloseTo(expected.mad, 10);
    expect(run.summary?.degrees_of_freedom).toBe('89');
    expect(run.summary?.conformity).toBe('nonconformity');
  });
});

describe('sequence-gaps-duplicates', () => {
  it('finds gaps and duplicates per prefix', async () => {
    const documents = `
      SELECT document_number, CAST(NULL AS VARCHAR) AS series
      FROM (VALUES
        ('INV-0001'), ('INV-0002'), ('INV-0005'), ('inv-6'), ('INV-0006'), ('INV-0010'),
        (' INV-0011 '), ('INV-12A'), ('INV-12B'),
        ('1001'), ('1002'), ('1004'),
        ('CN-2024-7'), ('CN-2024-9'),
        ('VOID'), (NULL)
      ) AS t(document_number)`;
    const run = await runTemplate('sequence-gaps-duplicates', { documents });

    const issue = (
      prefix: string,
      kind: string,
      first: string,
      last: string,
      count: string,
      numbers: string[] | null = null,
    ): Row => ({
      series: null,
      prefix,
      issue: kind,
      first_number: first,
      last_number: last,
      document_count: count,
      document_numbers: numbers,
    });
    expect(run.rows).toEqual([
      issue('', 'gap', '1003', '1003', '1'),
      issue('CN-2024-', 'gap', '8', '8', '1'),
      issue('INV-', 'gap', '3', '4', '2'),
      issue('INV-', 'duplicate', '6', '6', '2', ['INV-0006', 'inv-6']),
      issue('INV-', 'gap', '7', '9', '3'),
      issue('INV-', 'duplicate', '12', '12', '2', ['INV-12A', 'INV-12B']),
    ]);
  });

  it('separates series', async () => {
    const documents = `
      SELECT * FROM (VALUES ('1', 'A'), ('2', 'A'), ('4', 'A'), ('1', ' B'), ('3', 'B'))
        AS t(document_number, series)`;
    const run = await runTemplate('sequence-gaps-duplicates', { documents });

    expect(run.rows.map((row) => [row.series, row.issue, row.first_number])).toEqual([
      ['A', 'gap', '3'],
      ['B', 'gap', '2'],
    ]);
  });
});

describe('three-way-match', () => {
  const purchaseOrders = `
    SELECT po_number, item, CAST(quantity AS DECIMAL(12,2)) AS quantity,
           CAST(unit_price AS DECIMAL(12,2)) AS unit_price
    FROM (VALUES
      ('PO1', 'A', 10, 5.00),
      ('PO1', 'B', 4, 2.50),
      ('PO2', 'A', 100, 1.00),
      ('PO3', 'X', 5, 20.00),
      (' po4 ', 'a', 1, 9.99),
      ('PO6', 'Z', 10, 3.00),
      ('PO6', 'Z', 10, 3.00)
    ) AS t(po_number, item, quantity, unit_price)`;
  const receipts = `
    SELECT receipt_number, po_number, item, CAST(quantity AS DECIMAL(12,2)) AS quantity
    FROM (VALUES
      ('R1', 'PO1', 'A', 10),
      ('R2', 'PO1', 'b', 3),
      ('R3', 'PO2', 'A', 95),
      ('R4', 'PO4', 'A', 1),
      ('R5', 'PO5', 'Q', 2),
      ('R6', 'PO6', 'Z', 10)
    ) AS t(receipt_number, po_number, item, quantity)`;
  const invoices = `
    SELECT invoice_number, po_number, item, CAST(quantity AS DECIMAL(12,2)) AS quantity,
           CAST(unit_price AS DECIMAL(12,2)) AS unit_price
    FROM (VALUES
      ('I1', 'PO1', 'A', 10, 5.00),
      ('I2', 'PO1', 'B', 3, 2.60),
      ('I3', 'PO2', 'A', 100, 1.00),
      ('I4', 'PO3', 'X', 5, 20.00),
      ('I5', 'PO5', 'Q', 2, 7.00),
      ('I6', 'PO4', 'A', 1, 9.99),
      ('I7', 'PO9', 'M', 1, 1.00)
    ) AS t(invoice_number, po_number, item, quantity, unit_price)`;
  const inputs = { purchase_orders: purchaseOrders, receipts, invoices };

  const line = (
    po: string,
    item: string,
    issue: string,
    quantities: [string | null, string | null, string | null],
    prices: [number | null, number | null],
    receiptNumbers: string[] | null,
    invoiceNumbers: string[] | null,
  ): Row => ({
    po_number: po,
    item,
    issue,
    ordered_quantity: quantities[0],
    received_quantity: quantities[1],
    invoiced_quantity: quantities[2],
    ordered_unit_price: prices[0],
    invoiced_unit_price: prices[1],
    receipt_numbers: receiptNumbers,
    invoice_numbers: invoiceNumbers,
  });
  const po1b = (issue: string) =>
    line('PO1', 'B', issue, ['4.00', '3.00', '3.00'], [2.5, 2.6], ['R2'], ['I2']);
  const po2a = (issue: string) =>
    line('PO2', 'A', issue, ['100.00', '95.00', '100.00'], [1, 1], ['R3'], ['I3']);
  const po6z = (issue: string) =>
    line('PO6', 'Z', issue, ['20.00', '10.00', null], [3, null], ['R6'], null);
  const po5q = line(
    'PO5',
    'Q',
    'missing_purchase_order',
    [null, '2.00', '2.00'],
    [null, 7],
    ['R5'],
    ['I5'],
  );
  const po3x = line('PO3', 'X', 'missing_receipt', ['5.00', null, '5.00'], [20, 20], null, ['I4']);
  const po9m = (issue: string) =>
    line('PO9', 'M', issue, [null, null, '1.00'], [null, 1], null, ['I7']);

  it('reports every disagreement at zero tolerance', async () => {
    const run = await runTemplate('three-way-match', inputs);

    expect(run.rows).toEqual([
      po1b('invoice_price_differs'),
      po1b('receipt_quantity_differs'),
      po2a('invoice_quantity_differs'),
      po2a('receipt_quantity_differs'),
      po3x,
      po5q,
      po6z('missing_invoice'),
      po6z('receipt_quantity_differs'),
      po9m('missing_purchase_order'),
      po9m('missing_receipt'),
    ]);
  });

  it('accepts differences within tolerance', async () => {
    const run = await runTemplate('three-way-match', inputs, { tolerance_pct: '5' });

    // PO2: 5 of 100 ordered is exactly 5 percent and passes, but 5 of 95 received does not.
    expect(run.rows).toEqual([
      po1b('receipt_quantity_differs'),
      po2a('invoice_quantity_differs'),
      po3x,
      po5q,
      po6z('missing_invoice'),
      po6z('receipt_quantity_differs'),
      po9m('missing_purchase_order'),
      po9m('missing_receipt'),
    ]);
  });
});

describe('vendor-employee-match', () => {
  const vendors = `
    SELECT * FROM (VALUES
      ('V1', 'Acme Ltd', '12 Main Street, Apt. 4', 'DE89 3704 0044 0532 0130 00'),
      ('V1', 'Acme Ltd', '12 Main Street, Apt. 4', 'DE89 3704 0044 0532 0130 00'),
      ('V2', 'Bolt Co', '99 Side Road', 'GB29NWBK60161331926819'),
      ('V3', 'Crane', NULL, NULL),
      ('V4', 'Dyn', '', '---'),
      ('V5', 'Echo', '1 Mainstreet', NULL),
      ('V6', 'Fox', '7 Oak Avenue', 'NL91ABNA0417164300')
    ) AS t(vendor_id, vendor_name, address, bank_account)`;
  const employees = `
    SELECT * FROM (VALUES
      ('E1', 'Ann', '12 MAIN ST APT 4', NULL),
      ('E2', 'Bob', '5 Elm Lane', 'gb29 nwbk 6016 1331 9268 19'),
      ('E3', 'Cy', '1 Main St', NULL),
      ('E4', 'Di', '', ' - '),
      ('E5', 'Ed', '7 oak ave.', 'NL91ABNA0417164300')
    ) AS t(employee_id, employee_name, address, bank_account)`;

  it('matches normalized addresses and accounts', async () => {
    const run = await runTemplate('vendor-employee-match', { vendors, employees });

    const match = (
      vendor: [string, string],
      employee: [string, string],
      on: string,
      value: string,
    ): Row => ({
      vendor_id: vendor[0],
      vendor_name: vendor[1],
      employee_id: employee[0],
      employee_name: employee[1],
      matched_on: on,
      matched_value: value,
    });
    expect(run.rows).toEqual([
      match(['V1', 'Acme Ltd'], ['E1', 'Ann'], 'address', '12mainstapt4'),
      match(['V2', 'Bolt Co'], ['E2', 'Bob'], 'bank_account', 'GB29NWBK60161331926819'),
      match(['V6', 'Fox'], ['E5', 'Ed'], 'address', '7oakave'),
      match(['V6', 'Fox'], ['E5', 'Ed'], 'bank_account', 'NL91ABNA0417164300'),
    ]);
  });
});

describe('terminated-users-with-access', () => {
  const employees = `
    SELECT employee_id, employee_name, CAST(termination_date AS DATE) AS termination_date
    FROM (VALUES
      ('E1', 'Ann', '2024-05-31'),
      ('E2', 'Bob', '2024-06-30'),
      ('E3', 'Cy', NULL),
      ('E4', 'Di', '2023-12-31'),
      ('E4', 'Di', NULL),
      ('E5', 'Ed', '2024-06-25'),
      ('e6', 'Fay', '2024-01-15')
    ) AS t(employee_id, employee_name, termination_date)`;
  const access = `
    SELECT user_id, employee_id, system, CAST(active AS BOOLEAN) AS active,
           CAST(last_login AS DATE) AS last_login
    FROM (VALUES
      ('u_ann', 'E1', 'SAP', true, '2024-06-10'),
      ('u_ann', 'E1', 'SAP', true, '2024-05-01'),
      ('ann2', 'E1', 'Email', NULL, NULL),
      ('ann3', 'E1', 'VPN', false, '2024-06-20'),
      ('u_bob', 'E2', 'SAP', true, '2024-06-29'),
      ('u_cy', 'E3', 'SAP', true, NULL),
      ('u_di', 'E4', 'SAP', true, NULL),
      ('u_ed', 'E5', 'SAP', true, '2024-06-20'),
      ('u_fay', 'E6 ', NULL, true, NULL),
      ('orphan', NULL, 'SAP', true, NULL)
    ) AS t(user_id, employee_id, system, active, last_login)`;

  const ann = { employee_id: 'E1', employee_name: 'Ann', termination_date: '2024-05-31' };
  const annEmail: Row = {
    ...ann,
    days_since_termination: '30',
    user_id: 'ann2',
    system: 'Email',
    access_rows: '1',
    last_login: null,
    login_after_termination: null,
  };
  const annSap: Row = {
    ...ann,
    days_since_termination: '30',
    user_id: 'u_ann',
    system: 'SAP',
    access_rows: '2',
    last_login: '2024-06-10',
    login_after_termination: true,
  };
  const ed: Row = {
    employee_id: 'E5',
    employee_name: 'Ed',
    termination_date: '2024-06-25',
    days_since_termination: '5',
    user_id: 'u_ed',
    system: 'SAP',
    access_rows: '1',
    last_login: '2024-06-20',
    login_after_termination: false,
  };
  const fay: Row = {
    employee_id: 'e6',
    employee_name: 'Fay',
    termination_date: '2024-01-15',
    days_since_termination: '167',
    user_id: 'u_fay',
    system: null,
    access_rows: '1',
    last_login: null,
    login_after_termination: null,
  };

  it('finds active accounts of leavers', async () => {
    const run = await runTemplate(
      'terminated-users-with-access',
      { employees, access },
      {
        as_of: '2024-06-30',
      },
    );

    expect(run.rows).toEqual([annEmail, annSap, ed, fay]);
  });

  it('allows a grace period', async () => {
    const run = await runTemplate(
      'terminated-users-with-access',
      { employees, access },
      {
        as_of: '2024-06-30',
        grace_days: 5,
      },
    );
    expect(run.rows).toEqual([annEmail, annSap, fay]);

    const shorter = await runTemplate(
      'terminated-users-with-access',
      { employees, access },
      {
        as_of: '2024-06-30',
        grace_days: 4,
      },
    );
    expect(shorter.rows).toEqual([annEmail, annSap, ed, fay]);
  });
});

describe('sod-conflicts', () => {
  const userRoles = `
    SELECT * FROM (VALUES
      ('u1', 'AP_Clerk'),
      ('u1', 'Vendor_Maint'),
      (' u1', 'GL_POST'),
      ('u2', 'GL_POST'),
      ('u2', 'gl_approve'),
      ('u2', 'AP_CLERK'),
      ('u3', 'AP_CLERK'),
      ('u3', 'AP_CLERK'),
      ('u4', 'ADMIN'),
      (NULL, 'VENDOR_MAINT')
    ) AS t(user_id, role)`;
  const conflicts = `
    SELECT * FROM (VALUES
      ('AP_CLERK', 'VENDOR_MAINT', 'Create and pay a vendor'),
      ('vendor_maint ', 'ap_clerk', 'Same pair reversed'),
      ('GL_POST', 'GL_APPROVE', NULL),
      ('ADMIN', 'admin', 'A role paired with itself'),
      (NULL, 'GL_POST', 'Missing role')
    ) AS t(role_a, role_b, description)`;

  it('finds users holding both roles', async () => {
    const run = await runTemplate('sod-conflicts', { user_roles: userRoles, conflicts });

    expect(run.rows).toEqual([
      {
        user_id: 'u1',
        role_a: 'ap_clerk',
        role_b: 'vendor_maint',
        conflict_description: 'Create and pay a vendor; Same pair reversed',
      },
      { user_id: 'u2', role_a: 'gl_approve', role_b: 'gl_post', conflict_description: null },
    ]);
  });
});

function madToFiveDecimals(run: TemplateRun): number {
  const mad = run.summary?.mad;
  if (typeof mad !== 'number')
    throw new Error(`summary mad is not a number: ${JSON.stringify(mad)}`);
  return Number(mad.toFixed(5));
}

describe.skipIf(corporatePayments === null)('Benford on Nigrini corporate payments', () => {
  it('reproduces the published first-digit MAD', async () => {
    const transactions = `
      SELECT Amount AS amount FROM read_csv('${corporatePayments}') WHERE Amount >= 10`;
    const run = await runTemplate('benford-first-digit', { transactions });

    expect(run.summary?.n).toBe('177763');
    expect(madToFiveDecimals(run)).toBe(0.01464);
    expect(run.summary?.conformity).toBe('marginally acceptable conformity');
  });

  it('selects positive amounts by sign', async () => {
    const transactions = `SELECT Amount AS amount FROM read_csv('${corporatePayments}')`;
    const positive = await runTemplate(
      'benford-first-digit',
      { transactions },
      { sign: 'positive' },
    );
    expect(positive.summary?.n).toBe('177763');
    expect(madToFiveDecimals(positive)).toBe(0.01464);

    // With both signs, the 4,069 amounts of -10 or less join the test.
    const both = await runTemplate('benford-first-digit', { transactions });
    expect(both.summary?.n).toBe('181832');
  });
});

describe.skipIf(westlandPurchaseJournal === null)('Westland purchase-to-pay data', () => {
  const csv = (file: string) => `read_csv('${path.join(westlandDirectory, file)}')`;

  it('matches orders, receipts and invoices', async () => {
    // The AP ledger refers to receivers, not POs, so each invoice takes its
    // PO number from its receiver, and its unit price from extended cost / units.
    const inputs = {
      purchase_orders: `
        SELECT po_no AS po_number, sku AS item, po_count AS quantity, unit_cost AS unit_price
        FROM ${csv('purchase_journal.csv')}`,
      receipts: `
        SELECT receiver_no AS receipt_number, po_no AS po_number, sku AS item, received AS quantity
        FROM ${csv('receiver_journal.csv')}`,
      invoices: `
        SELECT ap.ap_no AS invoice_number, r.po_no AS po_number, ap.sku AS item,
               ap.no_units_ordered AS quantity,
               CAST(ap.extended_cost AS DECIMAL(18,4)) / ap.no_units_ordered AS unit_price
        FROM ${csv('ap_ledger.csv')} AS ap
        LEFT JOIN ${csv('receiver_journal.csv')} AS r USING (receiver_no)`,
    };
    const run = await runTemplate('three-way-match', inputs);

    // Six receivers and their invoices refer to POs missing from the purchase
    // journal, and seven POs appear twice in it (200 ordered against 100 received).
    expect(run.rows.map((row) => [row.po_number, row.item, row.issue])).toEqual([
      ['P00014', 'ETKQW', 'receipt_quantity_differs'],
      ['P00018', 'GEXDT', 'missing_purchase_order'],
      ['P00053', 'TQLMI', 'receipt_quantity_differs'],
      ['P00068', 'SLNEL', 'receipt_quantity_differs'],
      ['P00080', 'QWBPM', 'receipt_quantity_differs'],
      ['P00085', 'ZUBSA', 'receipt_quantity_differs'],
      ['P00092', 'JRVPC', 'missing_purchase_order'],
      ['P00093', 'ZUBSA', 'missing_purchase_order'],
      ['P00104', 'TQLMI', 'receipt_quantity_differs'],
      ['P00122', 'SSBIT', 'missing_purchase_order'],
      ['P00136', 'WBOEC', 'missing_purchase_order'],
      ['P00137', 'SLNEL', 'missing_purchase_order'],
      ['P00141', 'ETKQW', 'receipt_quantity_differs'],
    ]);
    const duplicated = run.rows.filter((row) => row.issue === 'receipt_quantity_differs');
    expect(duplicated.map((row) => [row.ordered_quantity, row.received_quantity])).toEqual(
      Array.from({ length: 7 }, () => ['200', '100']),
    );
  });

  it('finds gaps and duplicates in PO numbers', async () => {
    const documents = `
      SELECT po_no AS document_number, CAST(NULL AS VARCHAR) AS series
      FROM ${csv('purchase_journal.csv')}`;
    const run = await runTemplate('sequence-gaps-duplicates', { documents });

    expect(run.rows.map((row) => [row.issue, row.first_number, row.last_number])).toEqual([
      ['duplicate', '14', '14'],
      ['gap', '18', '18'],
      ['duplicate', '53', '53'],
      ['duplicate', '68', '68'],
      ['duplicate', '80', '80'],
      ['duplicate', '85', '85'],
      ['gap', '92', '93'],
      ['duplicate', '104', '104'],
      ['gap', '122', '122'],
      ['gap', '136', '137'],
      ['duplicate', '141', '141'],
    ]);
    expect(new Set(run.rows.map((row) => row.prefix))).toEqual(new Set(['P']));
  });
});
