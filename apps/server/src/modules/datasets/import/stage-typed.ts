import type { ImportDatabase } from './duckdb-sandbox.ts';
import { toNumber, toOptionalString } from './duckdb-sandbox.ts';
import { duckdbReason, ImportError } from './import-error.ts';
import { physicalLinesOfJsonRecords } from './line-scanner.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import {
  type ColumnSource,
  resolveColumnNames,
  STAGED_TABLE,
  type StagedColumn,
  type StagedTable,
} from './staged-table.ts';

interface DescribedColumn {
  name: string;
  type: string;
}

async function describe(db: ImportDatabase, tableSql: string): Promise<DescribedColumn[]> {
  const rows = await db.all(`DESCRIBE SELECT * FROM ${tableSql}`);
  return rows.map((row) => ({
    name: toOptionalString(row.column_name) ?? '',
    type: toOptionalString(row.column_type) ?? 'VARCHAR',
  }));
}

const JSON_NUMBER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
  'FLOAT',
  'DOUBLE',
  'BOOLEAN',
]);

/** Choose the source kind of a JSON column from the type DuckDB detected over the whole file. */
function jsonColumnSource(type: string): ColumnSource {
  if (JSON_NUMBER_TYPES.has(type) || type.startsWith('DECIMAL')) return { kind: 'canonical' };
  if (
    type === 'JSON' ||
    type.startsWith('STRUCT') ||
    type.startsWith('MAP') ||
    type.endsWith(']')
  ) {
    return { kind: 'json' };
  }
  return { kind: 'text' };
}

function rowsOf(): string {
  return `(SELECT rowid AS rid, * FROM ${STAGED_TABLE})`;
}

/**
 * Reject top-level keys that DuckDB would not read back: an empty key, and
 * keys that differ only in case. DuckDB 1.5.6 renames such a column
 * (`C2`, `amount_1`) and reads it as all NULL, which would lose the values
 * without a word.
 */
async function checkJsonKeys(db: ImportDatabase, filePath: string, fileName: string) {
  const rows = await db.all(
    `SELECT key, min(record) AS record FROM (
       SELECT record, unnest(json_keys(json)) AS key
       FROM (SELECT row_number() OVER () - 1 AS record, json
             FROM read_json_objects(${quoteLiteral(filePath)}, format = 'newline_delimited'))
     ) GROUP BY key ORDER BY min(record), key`,
  );
  const seenKeys = new Map<string, string>();

  for (const row of rows) {
    const key = String(row.key);
    const record = toNumber(row.record);
    if (key.trim() === '') {
      const line = (await physicalLinesOfJsonRecords(filePath, [record])).get(record);
      throw new ImportError(
        { code: 'MALFORMED_ROW', fileName, ...(line === undefined ? {} : { line }) },
        `${fileName}${line === undefined ? '' : `, line ${line}`}: an object has an empty key, which cannot name a column. Give the key a name and upload the file again.`,
      );
    }

    const earlier = seenKeys.get(key.toLowerCase());
    if (earlier !== undefined) {
      throw new ImportError(
        { code: 'DUPLICATE_COLUMN', fileName, column: key },
        `${fileName}: the keys ${JSON.stringify(earlier)} and ${JSON.stringify(key)} differ only in case, and column names are compared ignoring case. Rename one of them and upload the file again.`,
      );
    }
    seenKeys.set(key.toLowerCase(), key);
  }
}

/**
 * Load a JSON Lines file: DuckDB detects the keys and their types over the whole file
 * (sample_size = -1), then reads every value as text, so that JSON numbers keep their
 * exact digits and strings go through the same type inference as CSV fields.
 */
export async function stageJsonLines(
  db: ImportDatabase,
  filePath: string,
  fileName: string,
): Promise<StagedTable> {
  const warnings: string[] = [];
  const reader = (columnsSpec: string) =>
    `read_json(${quoteLiteral(filePath)}, format = 'newline_delimited', sample_size = -1${columnsSpec})`;

  let described: DescribedColumn[];
  try {
    await checkJsonKeys(db, filePath, fileName);
    described = await describe(db, reader(''));
    const names = resolveColumnNames(
      described.map((column) => column.name),
      fileName,
      warnings,
    );
    const spec = described.map((column) => `${quoteLiteral(column.name)}: 'VARCHAR'`).join(', ');
    const select = described
      .map((column, index) => `${quoteIdentifier(column.name)} AS c${index}`)
      .join(', ');
    await db.run(
      `CREATE TABLE ${STAGED_TABLE} AS SELECT ${select} FROM ${reader(`, columns = {${spec}}`)}`,
    );
    const columns: StagedColumn[] = described.map((column, index) => ({
      id: `c${index}`,
      name: names[index] ?? column.name,
      sourceName: column.name,
      source: jsonColumnSource(column.type),
    }));
    return {
      columns,
      rowsSql: rowsOf(),
      locate: (rowIds) => physicalLinesOfJsonRecords(filePath, rowIds),
      positionLabel: 'line',
      applied: {},
      warnings,
    };
  } catch (error) {
    if (error instanceof ImportError || !(error instanceof Error)) throw error;
    // DuckDB 1.5.6 reports the line where parsing failed, which for an unclosed object
    // is the line after the one where it starts.
    const located = /at byte (\d+) in line (\d+): ([^\n]*)/.exec(error.message);
    if (located === null) {
      throw new ImportError(
        { code: 'UNREADABLE_FILE', fileName },
        `${fileName} cannot be read as JSON Lines: ${duckdbReason(error, filePath, fileName)}. Each line must hold one JSON object.`,
        { cause: error },
      );
    }
    const line = Number(located[2]);
    const reason = (located[3] ?? '').trim().replace(/\.$/, '');
    throw new ImportError(
      { code: 'MALFORMED_ROW', fileName, line },
      `${fileName}, line ${line}: the line is not a valid JSON object (${reason} at byte ${located[1]} of the line). Each line must hold one complete JSON object.`,
      { cause: error },
    );
  }
}

const WIDE_INTEGER_TYPES = new Set(['UBIGINT', 'HUGEINT', 'UHUGEINT']);
const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
]);

/** Output type and SQL (with `{}` for the column) for a typed Parquet column, or text inference for strings. */
export function nativePlanFor(
  type: string,
): { outputType: string; sql: string; note?: string } | 'text' {
  if (type === 'VARCHAR') return 'text';
  if (type === 'BOOLEAN' || type === 'DATE' || type === 'DOUBLE' || type === 'BIGINT') {
    return { outputType: type, sql: '{}' };
  }
  if (INTEGER_TYPES.has(type)) return { outputType: 'BIGINT', sql: 'CAST({} AS BIGINT)' };
  if (WIDE_INTEGER_TYPES.has(type)) {
    return { outputType: 'DECIMAL(38,0)', sql: 'TRY_CAST({} AS DECIMAL(38,0))' };
  }
  if (type === 'FLOAT') return { outputType: 'DOUBLE', sql: 'CAST({} AS DOUBLE)' };
  if (/^DECIMAL\(\d+,\d+\)$/.test(type)) return { outputType: type, sql: '{}' };
  if (type === 'TIMESTAMP' || type === 'TIMESTAMP_S' || type === 'TIMESTAMP_MS') {
    return { outputType: 'TIMESTAMP', sql: 'CAST({} AS TIMESTAMP)' };
  }
  if (type === 'TIMESTAMP_NS') {
    return {
      outputType: 'TIMESTAMP',
      sql: 'CAST({} AS TIMESTAMP)',
      note: 'nanoseconds were truncated to microseconds',
    };
  }
  if (type === 'TIMESTAMP WITH TIME ZONE') {
    return {
      outputType: 'TIMESTAMP',
      sql: "timezone('UTC', {})",
      note: 'instants were converted to UTC wall-clock time',
    };
  }
  return {
    outputType: 'VARCHAR',
    sql: 'CAST({} AS VARCHAR)',
    note: `its ${type} values were converted to text`,
  };
}

/** Load a Parquet file. Typed columns keep their type, and string columns are inferred like CSV fields. */
export async function stageParquet(
  db: ImportDatabase,
  filePath: string,
  fileName: string,
): Promise<StagedTable> {
  const warnings: string[] = [];
  const reader = `read_parquet(${quoteLiteral(filePath)})`;
  let described: DescribedColumn[];
  try {
    described = await describe(db, reader);
  } catch (error) {
    throw new ImportError(
      { code: 'UNREADABLE_FILE', fileName },
      `${fileName} cannot be read as Parquet: ${duckdbReason(error, filePath, fileName)}. Export the file again.`,
      { cause: error },
    );
  }
  const names = resolveColumnNames(
    described.map((column) => column.name),
    fileName,
    warnings,
  );
  const select = described
    .map((column, index) => `${quoteIdentifier(column.name)} AS c${index}`)
    .join(', ');
  try {
    await db.run(`CREATE TABLE ${STAGED_TABLE} AS SELECT ${select} FROM ${reader}`);
  } catch (error) {
    throw new ImportError(
      { code: 'UNREADABLE_FILE', fileName },
      `${fileName} cannot be read as Parquet: ${duckdbReason(error, filePath, fileName)}. The file may be truncated or corrupt, so export it again.`,
      { cause: error },
    );
  }

  const columns: StagedColumn[] = described.map((column, index) => ({
    id: `c${index}`,
    name: names[index] ?? column.name,
    sourceName: column.name,
    source:
      column.type === 'VARCHAR' ? { kind: 'text' } : { kind: 'native', duckdbType: column.type },
  }));
  return {
    columns,
    rowsSql: rowsOf(),
    locate: async (rowIds) => new Map(rowIds.map((rowId) => [rowId, rowId + 1])),
    positionLabel: 'row',
    applied: {},
    warnings,
  };
}
