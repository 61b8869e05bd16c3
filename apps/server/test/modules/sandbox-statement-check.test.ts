import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../src/modules/runs/engine/sandbox-errors.ts';
import { checkSingleSelect, MAX_SQL_BYTES } from '../../src/modules/runs/engine/statement-check.ts';

async function rejection(promise: Promise<unknown>): Promise<SandboxError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error('expected the check to reject the query');
}

/** Statements of every kind that must never pass as a SELECT. */
const NON_SELECT_STATEMENTS = [
  'INSERT INTO vendors VALUES (1)',
  'UPDATE vendors SET name = 1',
  'DELETE FROM vendors',
  'CREATE TABLE x (a INTEGER)',
  'CREATE VIEW v AS SELECT 1',
  'CREATE MACRO m() AS 1',
  "CREATE SECRET (TYPE s3, KEY_ID 'k', SECRET 's')",
  'DROP TABLE vendors',
  "ATTACH '/tmp/x.db'",
  'DETACH x',
  "COPY (SELECT 1) TO '/tmp/x.csv'",
  "EXPORT DATABASE '/tmp/export'",
  'INSTALL httpfs',
  'LOAD httpfs',
  'SET enable_external_access = true',
  "SET memory_limit = '100GB'",
  'RESET memory_limit',
  'SET VARIABLE x = 1',
  'PRAGMA version',
  'CALL pragma_version()',
  'EXPLAIN SELECT 1',
  'EXPLAIN ANALYZE SELECT 1',
  'BEGIN',
  'CHECKPOINT',
  'VACUUM',
  'USE memory',
  'PIVOT vendors ON name',
];

describe('json_serialize_sql in DuckDB 1.5.6', () => {
  it('serializes only SELECT statements', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const sql of NON_SELECT_STATEMENTS) {
        const reader = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR)', {
          sql,
        });
        const output = JSON.parse(String(reader.getRows()[0]?.[0]));
        expect(output, sql).toMatchObject({
          error: true,
          error_type: 'not implemented',
          error_message: 'Only SELECT statements can be serialized to json!',
        });
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});

describe('checkSingleSelect', () => {
  it('accepts the forms of a single SELECT', async () => {
    const accepted = [
      'SELECT 1',
      'SELECT 1;',
      'FROM vendors',
      'VALUES (1), (2)',
      '(SELECT 1) UNION ALL (SELECT 2) ORDER BY 1',
      'SELECT 1 EXCEPT SELECT 2',
      'WITH big AS (SELECT * FROM payments WHERE amount > 100) SELECT * FROM big',
      'WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
      'SELECT * FROM vendors v WHERE EXISTS (SELECT 1 FROM payments p WHERE p.vendor_id = v.vendor_id)',
      'SELECT * FROM range(3) r, unnest([1, 2]) u',
      "SELECT d FROM generate_series(DATE '2024-01-01', DATE '2024-01-31', INTERVAL 1 DAY) t(d)",
      'SELECT sum(amount) OVER (PARTITION BY vendor_id ORDER BY paid_on) FROM payments',
      'SELECT list_transform([1, 2], x -> x + 1)',
    ];
    for (const sql of accepted) {
      await expect(
        checkSingleSelect(sql, { relationNames: ['vendors', 'payments'] }),
        sql,
      ).resolves.toBeDefined();
    }
  });

  it('rejects every statement that is not a SELECT', async () => {
    for (const sql of NON_SELECT_STATEMENTS) {
      const error = await rejection(checkSingleSelect(sql));
      expect(error.code, sql).toBe('SQL_NOT_SINGLE_SELECT');
    }
  });

  it('rejects several statements', async () => {
    const texts = [
      'SELECT 1; SELECT 2',
      'SELECT 1;; SELECT 2',
      "SELECT 1; COPY (SELECT 1) TO '/tmp/x.csv'",
      'SELECT 1; DROP TABLE vendors',
    ];
    for (const sql of texts) {
      const error = await rejection(checkSingleSelect(sql));
      expect(error.code, sql).toBe('SQL_NOT_SINGLE_SELECT');
    }
  });

  it('rejects text without a statement', async () => {
    for (const sql of ['', '   ', '-- only a comment', '/* only a comment */']) {
      const error = await rejection(checkSingleSelect(sql));
      expect(error.code, JSON.stringify(sql)).toBe('SQL_NOT_SINGLE_SELECT');
      expect(error.message).toContain('no statement');
    }
  });

  it('treats statements in comments and strings as text', async () => {
    const texts = [
      'SELECT 1 -- ; DROP TABLE vendors',
      'SELECT 1 /* ; DROP TABLE vendors; */',
      "SELECT '; DROP TABLE vendors; --' AS text",
      'SELECT 1 AS "; DROP TABLE vendors"',
    ];
    for (const sql of texts) {
      await expect(checkSingleSelect(sql), sql).resolves.toBeDefined();
    }
  });

  it('reports syntax errors with their position', async () => {
    const error = await rejection(checkSingleSelect('SELECT 1 FROM WHERE'));
    expect(error.code).toBe('SQL_INVALID');
    expect(error.message).toContain('syntax error');
    expect(error.position).toBe(14);
  });

  it('reports syntax positions as string indexes', async () => {
    // DuckDB counts parser positions in code points: 1 per emoji, which is 2 UTF-16 units.
    const sql = "SELECT '😀😀' FROM WHERE";
    const error = await rejection(checkSingleSelect(sql));

    expect(error.position).toBe(sql.indexOf('WHERE'));
  });

  it('rejects unterminated strings and comments', async () => {
    for (const sql of ["SELECT 'abc", 'SELECT 1 /* open']) {
      const error = await rejection(checkSingleSelect(sql));
      expect(error.code, sql).toBe('SQL_INVALID');
    }
  });

  it('rejects SQL over the size limit', async () => {
    const sql = `SELECT 1 -- ${'x'.repeat(MAX_SQL_BYTES)}`;
    const error = await rejection(checkSingleSelect(sql));
    expect(error.code).toBe('SQL_INVALID');
    expect(error.message).toContain(String(MAX_SQL_BYTES));
  });

  it('rejects nesting beyond the parser depth limit', async () => {
    const sql = `SELECT ${Array.from({ length: 2_000 }, () => '1').join(' + ')}`;
    const error = await rejection(checkSingleSelect(sql));
    expect(error.code).toBe('SQL_INVALID');
  });

  it('returns the named parameters in order', async () => {
    const checked = await checkSingleSelect('SELECT $b, $a, $b');
    expect(checked.parameterNames).toEqual(['b', 'a']);
  });

  it('rejects positional parameters', async () => {
    for (const sql of ['SELECT ?', 'SELECT $1']) {
      const error = await rejection(checkSingleSelect(sql));
      expect(error.code, sql).toBe('SQL_INVALID');
      expect(error.message).toContain('named parameters');
    }
  });

  it('rejects table functions outside the allow list', async () => {
    const texts = [
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_blob('/etc/hostname')",
      "SELECT * FROM read_parquet('/data/other.parquet')",
      "SELECT * FROM parquet_metadata('/data/other.parquet')",
      "SELECT * FROM glob('/*')",
      'SELECT * FROM duckdb_settings()',
      'SELECT * FROM duckdb_extensions()',
      "SELECT * FROM enable_logging(storage => 'file', storage_path => '/tmp/log')",
      'SELECT * FROM enable_profiling()',
      'SELECT * FROM checkpoint()',
      "SELECT * FROM query('SELECT 1')",
      "SELECT * FROM query_table('vendors')",
      "SELECT * FROM json_execute_serialized_sql('{}')",
      'SELECT * FROM pragma_database_size()',
      'SELECT * FROM system.main.range(3)',
      "SELECT x FROM (SELECT 1 AS x) WHERE x IN (SELECT * FROM glob('/*'))",
      "SELECT list_transform([1], x -> (SELECT count(*) FROM read_text('/etc/passwd')))",
      'SELECT * FROM "ENABLE_LOGGING"()',
    ];
    for (const sql of texts) {
      const error = await rejection(checkSingleSelect(sql, { relationNames: ['vendors'] }));
      expect(error.code, sql).toBe('SQL_NOT_ALLOWED');
    }
  });

  it('rejects denied scalar functions anywhere', async () => {
    const texts = [
      "SELECT current_setting('allowed_paths')",
      "SELECT main.current_setting('temp_directory')",
      "SELECT write_log('message')",
      "SELECT json_serialize_plan('SELECT 1')",
      "SELECT count(*) FILTER (WHERE current_setting('threads') IS NULL) FROM vendors",
      "SELECT * FROM vendors ORDER BY current_setting('threads')",
      'SELECT "CURRENT_SETTING"(\'threads\')',
      "SELECT pg_get_viewdef('vendors')",
      "SELECT pg_catalog.pg_get_viewdef('vendors')",
      "SELECT getvariable('x')",
      'SELECT current_schemas(true)',
      'SELECT * FROM vendors WHERE duckdb_extensions_loaded() IS NULL',
    ];
    for (const sql of texts) {
      const error = await rejection(checkSingleSelect(sql, { relationNames: ['vendors'] }));
      expect(error.code, sql).toBe('SQL_NOT_ALLOWED');
    }
  });

  it('rejects DESCRIBE, SHOW and SUMMARIZE', async () => {
    for (const sql of ['DESCRIBE vendors', 'SHOW TABLES', 'SUMMARIZE vendors']) {
      const error = await rejection(checkSingleSelect(sql, { relationNames: ['vendors'] }));
      expect(error.code, sql).toBe('SQL_NOT_ALLOWED');
    }
  });

  it('rejects relations other than inputs and CTEs', async () => {
    const texts = [
      'SELECT * FROM pg_settings',
      'SELECT * FROM duckdb_logs',
      'SELECT * FROM information_schema.tables',
      'SELECT * FROM main.vendors',
      "SELECT * FROM '/etc/passwd'",
      "SELECT * FROM 'other.parquet'",
      // A plain CTE cannot name itself: inside its body the name is the catalog view.
      'WITH pg_settings AS (SELECT * FROM pg_settings) SELECT * FROM pg_settings',
      // A CTE sees only the CTEs defined before it.
      'WITH a AS (SELECT * FROM pg_settings), pg_settings AS (SELECT 1) SELECT * FROM a',
      // A CTE in a subquery is not visible outside it.
      'SELECT * FROM (WITH pg_settings AS (SELECT 1) SELECT 1), pg_settings',
    ];
    for (const sql of texts) {
      const error = await rejection(checkSingleSelect(sql, { relationNames: ['vendors'] }));
      expect(error.code, sql).toBe('SQL_NOT_ALLOWED');
    }
  });

  it('matches relation names without regard to case', async () => {
    await expect(
      checkSingleSelect('SELECT * FROM "VENDORS"', { relationNames: ['vendors'] }),
    ).resolves.toBeDefined();
  });
});
