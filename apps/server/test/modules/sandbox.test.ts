import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeDuckDBError } from '../../src/modules/runs/engine/duckdb-errors.ts';
import {
  runSandboxedQuery,
  SandboxError,
  type SandboxErrorCode,
  type SandboxRequest,
  SandboxTimeoutError,
} from '../../src/modules/runs/engine/sandbox.ts';
import {
  applySandboxSettings,
  sandboxInstanceOptions,
} from '../../src/modules/runs/engine/sandbox-instance.ts';

let root: string;
let inputDir: string;
let tempDir: string;
let vendorsPath: string;
let paymentsPath: string;
/** A Parquet file next to the inputs that no run lists as an input. */
let otherPath: string;
/** A Parquet file outside the input directory. */
let outsidePath: string;
/** Where escape attempts try to write; must never exist. */
let escapeCsvPath: string;

async function writeParquet(connection: DuckDBConnection, target: string, select: string) {
  await connection.run(`COPY (${select}) TO '${target}' (FORMAT parquet)`);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'peytonix-sandbox-'));
  inputDir = path.join(root, 'inputs');
  tempDir = path.join(root, 'tmp');
  mkdirSync(inputDir);
  mkdirSync(tempDir);
  vendorsPath = path.join(inputDir, 'vendors.parquet');
  paymentsPath = path.join(inputDir, 'payments.parquet');
  otherPath = path.join(inputDir, 'salaries.parquet');
  outsidePath = path.join(root, 'outside.parquet');
  escapeCsvPath = path.join(root, 'escape.csv');

  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await writeParquet(
      connection,
      vendorsPath,
      `SELECT * FROM (VALUES
         (1, 'Acme Ltd', true),
         (2, 'Shell Co', false),
         (3, 'Night Supplies', false)
       ) v(vendor_id, name, approved)`,
    );
    await writeParquet(
      connection,
      paymentsPath,
      `SELECT payment_id::BIGINT AS payment_id, vendor_id::INTEGER AS vendor_id,
              amount::DECIMAL(18,2) AS amount, paid_on::DATE AS paid_on,
              paid_at::TIMESTAMP AS paid_at, memo
       FROM (VALUES
         (101, 1, '1200.00', '2024-01-05', '2024-01-05 09:30:00', 'invoice 1'),
         (102, 2, '9800.50', '2024-01-06', '2024-01-06 23:15:00.5', 'invoice 2'),
         (103, 3, '450.25', '2024-02-29', '2024-02-29 12:00:00', 'invoice 3'),
         (104, 2, '15000.00', '2024-03-01', '2024-03-01 08:00:00', 'invoice 4'),
         (105, 9, '10.00', '2024-03-02', '2024-03-02 08:00:00', 'unknown vendor')
       ) p(payment_id, vendor_id, amount, paid_on, paid_at, memo)`,
    );
    await writeParquet(connection, otherPath, "SELECT 'secret salary' AS salary");
    await writeParquet(connection, outsidePath, "SELECT 'outside' AS text");
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

function request(sql: string, overrides: Partial<SandboxRequest> = {}): SandboxRequest {
  return {
    sql,
    inputs: [
      { name: 'vendors', parquetPath: vendorsPath },
      { name: 'payments', parquetPath: paymentsPath },
    ],
    parameters: [],
    limits: { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 1_000 },
    inputRoot: inputDir,
    tempDir,
    ...overrides,
  };
}

async function runError(sandboxRequest: SandboxRequest): Promise<SandboxError> {
  try {
    await runSandboxedQuery(sandboxRequest);
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error(`expected the sandbox to reject: ${sandboxRequest.sql}`);
}

describe('runSandboxedQuery', () => {
  it('joins two inputs', async () => {
    const result = await runSandboxedQuery(
      request(`
        SELECT p.payment_id, v.name, p.amount, p.paid_on, p.paid_at
        FROM payments p JOIN vendors v USING (vendor_id)
        WHERE NOT v.approved
        ORDER BY p.payment_id`),
    );

    expect(result.columns).toEqual([
      { name: 'payment_id', type: 'BIGINT' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(18,2)' },
      { name: 'paid_on', type: 'DATE' },
      { name: 'paid_at', type: 'TIMESTAMP' },
    ]);
    expect(result.rows).toEqual([
      ['102', 'Shell Co', '9800.50', '2024-01-06', '2024-01-06T23:15:00.5'],
      ['103', 'Night Supplies', '450.25', '2024-02-29', '2024-02-29T12:00:00'],
      ['104', 'Shell Co', '15000.00', '2024-03-01', '2024-03-01T08:00:00'],
    ]);
    expect(result.rowCount).toBe(3);
    expect(result.truncated).toBe(false);
    expect(result.inputRowCounts).toEqual({ vendors: 3, payments: 5 });
    expect(result.duckdbVersion).toBe('v1.5.6');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('returns JSON-safe values', async () => {
    const result = await runSandboxedQuery(
      request(`
        SELECT 42::INTEGER AS small, 9007199254740993::BIGINT AS big,
               1.5::DOUBLE AS ratio, 'NaN'::DOUBLE AS not_a_number,
               TIMESTAMPTZ '2024-01-02 03:04:05+02' AS instant,
               'infinity'::DATE AS open_end, '\\xAB\\xCD'::BLOB AS bytes,
               [1, 2] AS list, {'k': 1.25::DECIMAL(4,2)} AS record, NULL AS nothing`),
    );

    expect(result.rows).toEqual([
      [
        42,
        '9007199254740993',
        1.5,
        'NaN',
        '2024-01-02T01:04:05Z',
        'infinity',
        'q80=',
        [1, 2],
        { k: '1.25' },
        null,
      ],
    ]);
    expect(JSON.parse(JSON.stringify(result.rows))).toEqual(result.rows);
  });

  it('keeps the sign of infinite dates and timestamps', async () => {
    const result = await runSandboxedQuery(
      request(`
        SELECT '-infinity'::DATE AS d_low, 'infinity'::DATE AS d_high,
               '-infinity'::TIMESTAMP AS t_low, 'infinity'::TIMESTAMP AS t_high,
               '-infinity'::TIMESTAMPTZ AS z_low`),
    );

    expect(result.rows).toEqual([['-infinity', 'infinity', '-infinity', 'infinity', '-infinity']]);
  });

  it('stops at maxResultRows and marks truncation', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 2 };
    const result = await runSandboxedQuery(
      request('SELECT payment_id FROM payments ORDER BY payment_id', { limits }),
    );

    expect(result.rows).toEqual([['101'], ['102']]);
    expect(result.rowCount).toBe(2);
    expect(result.truncated).toBe(true);
  });

  it('reports no truncation at exactly maxResultRows', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 5 };
    const result = await runSandboxedQuery(request('SELECT * FROM payments', { limits }));

    expect(result.rowCount).toBe(5);
    expect(result.truncated).toBe(false);
  });

  it('reads results larger than one chunk', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 5_000 };
    const result = await runSandboxedQuery(request('SELECT * FROM range(10000)', { limits }));

    expect(result.rowCount).toBe(5_000);
    expect(result.truncated).toBe(true);
    expect(result.rows.at(-1)).toEqual(['4999']);
  });

  it('runs without inputs', async () => {
    const result = await runSandboxedQuery(request('SELECT 1 AS one', { inputs: [] }));

    expect(result.rows).toEqual([[1]]);
    expect(result.inputRowCounts).toEqual({});
  });

  it('removes its spill directory', async () => {
    await runSandboxedQuery(request('SELECT count(*) FROM payments'));
    await runError(request("SELECT * FROM read_csv('/etc/passwd')"));

    expect(readdirSync(tempDir)).toEqual([]);
  });
});

describe('runSandboxedQuery field mapping', () => {
  it('shows mapped columns under their field names', async () => {
    const result = await runSandboxedQuery(
      request('SELECT supplier, total FROM payments WHERE total > 5000 ORDER BY supplier', {
        inputs: [
          {
            name: 'payments',
            parquetPath: paymentsPath,
            fields: { supplier: 'VENDOR_ID', total: 'amount' },
          },
        ],
      }),
    );

    expect(result.rows).toEqual([
      [2, '9800.50'],
      [2, '15000.00'],
    ]);
  });

  it('hides a file column that a field name replaces', async () => {
    const result = await runSandboxedQuery(
      request('SELECT amount FROM payments ORDER BY amount LIMIT 1', {
        inputs: [{ name: 'payments', parquetPath: paymentsPath, fields: { amount: 'payment_id' } }],
      }),
    );

    expect(result.rows).toEqual([['101']]);
  });

  it('reads an unmapped optional field as NULL', async () => {
    const result = await runSandboxedQuery(
      request('SELECT count(*) AS n, count(card_id) AS cards FROM payments', {
        inputs: [{ name: 'payments', parquetPath: paymentsPath, fields: { card_id: null } }],
      }),
    );

    expect(result.rows).toEqual([['5', '0']]);
  });

  it('names the missing source column', async () => {
    const error = await runError(
      request('SELECT 1', {
        inputs: [
          { name: 'payments', parquetPath: paymentsPath, fields: { vendor: 'supplier_no' } },
        ],
      }),
    );

    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain('supplier_no');
  });
});

describe('runSandboxedQuery parameters', () => {
  it('binds typed parameters', async () => {
    const result = await runSandboxedQuery(
      request(
        `SELECT payment_id FROM payments
         WHERE amount > $min_amount AND paid_on >= $from_date AND vendor_id <> $excluded_vendor
           AND (memo LIKE $memo_prefix) = $match_memo
         ORDER BY payment_id`,
        {
          parameters: [
            { name: 'min_amount', type: 'decimal', value: '450.24' },
            { name: 'from_date', type: 'date', value: '2024-01-06' },
            { name: 'excluded_vendor', type: 'integer', value: 3 },
            { name: 'memo_prefix', type: 'text', value: 'invoice%' },
            { name: 'match_memo', type: 'boolean', value: true },
          ],
        },
      ),
    );

    expect(result.rows).toEqual([['102'], ['104']]);
  });

  it('compares exact decimals without rounding', async () => {
    // 450.25 > 450.245 holds only if the parameter keeps its third decimal.
    const result = await runSandboxedQuery(
      request('SELECT payment_id FROM payments WHERE amount > $limit AND amount < 451', {
        parameters: [{ name: 'limit', type: 'decimal', value: '450.245' }],
      }),
    );

    expect(result.rows).toEqual([['103']]);
  });

  it('treats injection text as data', async () => {
    for (const value of [
      '1; DROP TABLE vendors',
      "' OR 1=1 --",
      "x'); COPY vendors TO '/tmp/x.csv'; --",
    ]) {
      const result = await runSandboxedQuery(
        request(
          'SELECT $needle AS needle, count(*) FILTER (WHERE name = $needle) AS matches FROM vendors',
          { parameters: [{ name: 'needle', type: 'text', value }] },
        ),
      );

      expect(result.rows, value).toEqual([[value, '0']]);
      expect(result.inputRowCounts.vendors).toBe(3);
    }
  });

  it('rejects injection text as an integer', async () => {
    const error = await runError(
      request('SELECT * FROM payments WHERE vendor_id = $vendor', {
        parameters: [{ name: 'vendor', type: 'integer', value: '1; DROP TABLE vendors' }],
      }),
    );

    expect(error.code).toBe('INPUT_INVALID');
  });

  it('rejects missing, unused and invalid parameters', async () => {
    const cases: { sql: string; parameters: SandboxRequest['parameters'] }[] = [
      { sql: 'SELECT $a', parameters: [] },
      { sql: 'SELECT 1', parameters: [{ name: 'a', type: 'integer', value: 1 }] },
      {
        sql: 'SELECT $a',
        parameters: [
          { name: 'a', type: 'integer', value: 1 },
          { name: 'a', type: 'integer', value: 2 },
        ],
      },
      { sql: 'SELECT $a', parameters: [{ name: 'a', type: 'date', value: '2023-02-29' }] },
      { sql: 'SELECT $a', parameters: [{ name: 'a', type: 'decimal', value: '1e5' }] },
      { sql: 'SELECT $a', parameters: [{ name: 'a', type: 'integer', value: 1.5 }] },
      {
        sql: 'SELECT $a',
        parameters: [{ name: 'a', type: 'integer', value: '9223372036854775808' }],
      },
      { sql: 'SELECT $a', parameters: [{ name: 'A', type: 'integer', value: 1 }] },
    ];
    for (const { sql, parameters } of cases) {
      const error = await runError(request(sql, { parameters }));
      expect(error.code, JSON.stringify(parameters)).toBe('INPUT_INVALID');
    }
  });
});

/** Escape attempts that checkSingleSelect rejects before DuckDB runs anything. */
const STATEMENT_ESCAPES: { sql: () => string; code: SandboxErrorCode }[] = [
  { sql: () => "SELECT * FROM read_csv('/etc/passwd')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => "SELECT * FROM read_text('/etc/passwd')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => "SELECT * FROM read_csv('/proc/self/environ')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => `SELECT * FROM read_parquet('${otherPath}')`, code: 'SQL_NOT_ALLOWED' },
  { sql: () => `SELECT * FROM '${otherPath}'`, code: 'SQL_NOT_ALLOWED' },
  { sql: () => "SELECT * FROM glob('/*')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => `ATTACH '${path.join(root, 'x.db')}'`, code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => `COPY (SELECT 1) TO '${escapeCsvPath}'`, code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'INSTALL httpfs', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'LOAD httpfs', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'SET enable_external_access = true', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => "SET memory_limit = '100GB'", code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'PRAGMA version', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'CALL pragma_version()', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'CREATE TABLE copied AS SELECT * FROM vendors', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'INSERT INTO vendors VALUES (4, 0, true)', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => 'SELECT 1; SELECT 2', code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => `SELECT 1; COPY vendors TO '${escapeCsvPath}'`, code: 'SQL_NOT_SINGLE_SELECT' },
  { sql: () => `EXPORT DATABASE '${path.join(root, 'export')}'`, code: 'SQL_NOT_SINGLE_SELECT' },
  {
    sql: () => "CREATE SECRET (TYPE s3, KEY_ID 'key', SECRET 'secret')",
    code: 'SQL_NOT_SINGLE_SELECT',
  },
  { sql: () => "SELECT current_setting('allowed_paths')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => "SELECT pg_get_viewdef('vendors')", code: 'SQL_NOT_ALLOWED' },
  { sql: () => 'SELECT * FROM duckdb_settings()', code: 'SQL_NOT_ALLOWED' },
  { sql: () => 'SELECT * FROM pg_settings', code: 'SQL_NOT_ALLOWED' },
  {
    sql: () => `SELECT * FROM enable_logging(storage => 'file', storage_path => '${root}/log')`,
    code: 'SQL_NOT_ALLOWED',
  },
  {
    sql: () => `SELECT * FROM query('SELECT * FROM read_text(''/etc/passwd'')')`,
    code: 'SQL_NOT_ALLOWED',
  },
  // DuckDB 1.5.6 has no getenv() outside its command-line shell.
  { sql: () => "SELECT getenv('HOME')", code: 'SQL_INVALID' },
];

describe('runSandboxedQuery escape attempts', () => {
  it('rejects each escape statement', async () => {
    for (const { sql, code } of STATEMENT_ESCAPES) {
      const error = await runError(request(sql()));
      expect(error.code, sql()).toBe(code);
    }
    expect(existsSync(escapeCsvPath)).toBe(false);
    expect(existsSync(path.join(root, 'x.db'))).toBe(false);
    expect(existsSync(path.join(root, 'export'))).toBe(false);
    expect(existsSync(path.join(root, 'log'))).toBe(false);
  });

  it('runs only the SELECT around comments and strings', async () => {
    const texts = [
      `SELECT count(*) AS n FROM vendors -- ; COPY vendors TO '${escapeCsvPath}'`,
      `SELECT count(*) AS n FROM vendors /* ; COPY vendors TO '${escapeCsvPath}'; */`,
    ];
    for (const sql of texts) {
      const result = await runSandboxedQuery(request(sql));
      expect(result.rows, sql).toEqual([['3']]);
    }

    const hidden = `; COPY vendors TO '${escapeCsvPath}'; --`;
    const result = await runSandboxedQuery(
      request(`SELECT '${hidden.replaceAll("'", "''")}' AS text`),
    );
    expect(result.rows).toEqual([[hidden]]);
    expect(existsSync(escapeCsvPath)).toBe(false);
  });
});

/**
 * Statements run directly on a locked-down instance, past checkSingleSelect,
 * to show what DuckDB's own settings block when the statement check is not
 * there. Each entry gives DuckDB's exception type.
 */
const SETTINGS_ESCAPES: { sql: () => string; exceptionType: string }[] = [
  { sql: () => "SELECT * FROM read_csv('/etc/passwd')", exceptionType: 'Permission' },
  { sql: () => "SELECT * FROM read_text('/etc/passwd')", exceptionType: 'Permission' },
  { sql: () => `SELECT * FROM read_parquet('${otherPath}')`, exceptionType: 'Permission' },
  { sql: () => `SELECT * FROM read_parquet('${outsidePath}')`, exceptionType: 'Permission' },
  { sql: () => `SELECT * FROM '${otherPath}'`, exceptionType: 'Permission' },
  { sql: () => "SELECT * FROM glob('/*')", exceptionType: 'Permission' },
  { sql: () => `SELECT * FROM glob('${inputDir}/*')`, exceptionType: 'Permission' },
  { sql: () => `COPY (SELECT 1) TO '${escapeCsvPath}'`, exceptionType: 'Permission' },
  { sql: () => `ATTACH '${path.join(root, 'x.db')}'`, exceptionType: 'Permission' },
  { sql: () => `EXPORT DATABASE '${path.join(root, 'export')}'`, exceptionType: 'Permission' },
  { sql: () => 'LOAD httpfs', exceptionType: 'Permission' },
  { sql: () => 'SET enable_external_access = true', exceptionType: 'Invalid Input' },
  { sql: () => "SET memory_limit = '100GB'", exceptionType: 'Invalid Input' },
  { sql: () => 'RESET memory_limit', exceptionType: 'Invalid Input' },
  { sql: () => "PRAGMA memory_limit = '100GB'", exceptionType: 'Invalid Input' },
  { sql: () => "SET allowed_directories = ['/']", exceptionType: 'Invalid Input' },
  { sql: () => 'SET lock_configuration = false', exceptionType: 'Invalid Input' },
];

describe('sandbox DuckDB settings', () => {
  it('reject escapes past the statement check', async () => {
    const spillDirectory = mkdtempSync(path.join(tempDir, 'settings-test-'));
    const instance = await DuckDBInstance.create(
      ':memory:',
      sandboxInstanceOptions(
        { memoryMb: 128, threads: 1, maxTempDirectoryMb: 128 },
        spillDirectory,
      ),
    );
    const connection = await instance.connect();
    try {
      await applySandboxSettings(connection, [{ path: vendorsPath }], spillDirectory);
      await connection.run(`CREATE VIEW vendors AS SELECT * FROM read_parquet('${vendorsPath}')`);
      const allowed = await connection.runAndReadAll('SELECT count(*) FROM vendors');
      expect(allowed.getRows()).toEqual([[3n]]);

      for (const { sql, exceptionType } of SETTINGS_ESCAPES) {
        const error = await connection.run(sql()).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error, sql()).toBeDefined();
        expect(describeDuckDBError(error).exceptionType, sql()).toBe(exceptionType);
      }
      expect(existsSync(escapeCsvPath)).toBe(false);
      expect(existsSync(path.join(root, 'x.db'))).toBe(false);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(spillDirectory, { recursive: true, force: true });
    }
  });
});

describe('runSandboxedQuery limits', () => {
  const shortLimits = { memoryMb: 256, threads: 2, timeoutMs: 500, maxResultRows: 10 };

  it('interrupts runaway queries', async () => {
    const runaway = [
      'SELECT count(*) FROM range(1000000000) a, range(1000000000) b',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r',
      'SELECT max(a.range * b.range) FROM range(100000) a, range(100000) b, payments',
    ];
    for (const sql of runaway) {
      const error = await runError(request(sql, { limits: shortLimits }));
      expect(error, sql).toBeInstanceOf(SandboxTimeoutError);
      expect(error.code).toBe('SANDBOX_TIMEOUT');
      expect((error as SandboxTimeoutError).interrupted).toBe(true);
    }

    const after = await runSandboxedQuery(request('SELECT count(*) FROM payments'));
    expect(after.rows).toEqual([['5']]);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('reports the memory limit', async () => {
    const limits = { memoryMb: 64, threads: 1, timeoutMs: 20_000, maxResultRows: 10 };
    const error = await runError(
      request("SELECT length(string_agg(repeat('x', 1000), '')) FROM range(200000)", { limits }),
    );

    expect(error.code).toBe('SANDBOX_LIMIT');
  });

  it('rejects invalid limits', async () => {
    const invalid = [
      { ...shortLimits, threads: 0 },
      { ...shortLimits, memoryMb: 1.5 },
      { ...shortLimits, timeoutMs: 0 },
      { ...shortLimits, maxResultRows: -1 },
    ];
    for (const limits of invalid) {
      const error = await runError(request('SELECT 1', { limits }));
      expect(error.code, JSON.stringify(limits)).toBe('INPUT_INVALID');
    }
  });
});

describe('runSandboxedQuery errors', () => {
  it('reports binder and conversion errors', async () => {
    const texts = ['SELECT missing_column FROM vendors', "SELECT 'abc'::INTEGER"];
    for (const sql of texts) {
      const error = await runError(request(sql));
      expect(error.code, sql).toBe('SQL_INVALID');
    }
  });

  it('reports the position of a binder error', async () => {
    const error = await runError(request('SELECT missing_column FROM vendors'));

    expect(error.position).toBe(7);
  });

  it('reports positions as string indexes', async () => {
    // DuckDB reports binder positions in UTF-8 bytes: 4 for the emoji, 2 for "é".
    const sql = "SELECT '😀é' AS label, missing_column FROM vendors";
    const error = await runError(request(sql));

    expect(error.position).toBe(sql.indexOf('missing_column'));
  });
});

describe('runSandboxedQuery inputs', () => {
  it('rejects invalid input names', async () => {
    for (const name of ['Vendors', '1vendors', 'vendor-list', 'a"b', '', 'x'.repeat(64)]) {
      const error = await runError(
        request('SELECT 1', { inputs: [{ name, parquetPath: vendorsPath }] }),
      );
      expect(error.code, name).toBe('INPUT_INVALID');
    }
  });

  it('rejects a name used twice', async () => {
    const inputs = [
      { name: 'vendors', parquetPath: vendorsPath },
      { name: 'vendors', parquetPath: paymentsPath },
    ];
    const error = await runError(request('SELECT 1', { inputs }));

    expect(error.code).toBe('INPUT_INVALID');
  });

  it('rejects paths outside the input directory', async () => {
    const linkPath = path.join(inputDir, 'link.parquet');
    symlinkSync(outsidePath, linkPath);
    const quotedPath = path.join(inputDir, "it's.parquet");
    writeFileSync(quotedPath, '');
    const paths = [
      outsidePath,
      linkPath,
      quotedPath,
      'vendors.parquet',
      `${inputDir}/../outside.parquet`,
      `${inputDir}/missing.parquet`,
      inputDir,
    ];
    try {
      for (const parquetPath of paths) {
        const error = await runError(
          request('SELECT 1', { inputs: [{ name: 'data', parquetPath }] }),
        );
        expect(error.code, parquetPath).toBe('INPUT_INVALID');
      }
    } finally {
      rmSync(linkPath);
      rmSync(quotedPath);
    }
  });

  it('rejects a file that is not Parquet', async () => {
    const textPath = path.join(inputDir, 'notes.parquet');
    writeFileSync(textPath, 'not parquet');
    try {
      const error = await runError(
        request('SELECT 1', { inputs: [{ name: 'notes', parquetPath: textPath }] }),
      );
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toContain('Input notes');
    } finally {
      rmSync(textPath);
    }
  });
});
