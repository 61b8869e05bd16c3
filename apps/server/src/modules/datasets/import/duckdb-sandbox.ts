import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { listLiteral, quoteLiteral } from './sql.ts';
import type { ImportLimits } from './types.ts';

export type SqlRow = Record<string, unknown>;

/** A DuckDB database that can read only the listed files and write only inside `directory`. */
export interface ImportDatabase {
  all(sql: string): Promise<SqlRow[]>;
  run(sql: string): Promise<void>;
  close(): void;
}

export interface ImportDatabaseOptions {
  /**
   * Whether DuckDB's common-subexpression optimizer runs; on unless false.
   * With it on, DuckDB 1.5.6 planned the Parquet write of an n-column table
   * in time that grows with n² (2.9 s at 400 columns, 7.8 s at 800, 2 shared
   * cores). With it off, planning took 0.9 s and 1.9 s, but a narrow
   * 1,000,000-row write used about 15 % more CPU (one measurement).
   */
  commonSubexpressions?: boolean;
}

/**
 * Open a DuckDB database file in `directory` and lock it down before any query runs:
 * no extension is installed or loaded, only `readablePaths` and `directory` are
 * reachable, and the configuration cannot be changed afterwards. Spilled data goes to
 * a temporary folder inside `directory`. Opening the same directory again opens the
 * same database file, with the tables created before.
 */
export async function openImportDatabase(
  directory: string,
  readablePaths: readonly string[],
  limits: ImportLimits,
  options: ImportDatabaseOptions = {},
): Promise<ImportDatabase> {
  const instance = await DuckDBInstance.create(path.join(directory, 'stage.duckdb'), {
    memory_limit: `${limits.memoryMb}MB`,
    threads: String(limits.threads),
    temp_directory: path.join(directory, 'spill'),
    preserve_insertion_order: 'true',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    // A trailing separator limits the grant to the directory's contents.
    const directoryGrant = directory.endsWith(path.sep) ? directory : `${directory}${path.sep}`;
    await connection.run(`SET allowed_paths = ${listLiteral(readablePaths)}`);
    await connection.run(`SET allowed_directories = ${listLiteral([directoryGrant])}`);
    await connection.run('SET enable_external_access = false');
    // DuckDB 1.5.6's in_clause optimizer turns an IN list of more than a few values into a
    // hash join, which does not keep insertion order. The Parquet output must keep file order.
    const disabled = ['in_clause'];
    if (options.commonSubexpressions === false) disabled.push('common_subexpressions');
    await connection.run(`SET disabled_optimizers = ${quoteLiteral(disabled.join(','))}`);
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }

  const open = connection;
  return {
    async all(sql) {
      const reader = await open.runAndReadAll(sql);
      return reader.getRowObjectsJS() as SqlRow[];
    },
    async run(sql) {
      await open.run(sql);
    },
    close() {
      open.closeSync();
      instance.closeSync();
    },
  };
}

/** Read a numeric SQL result (DuckDB returns BIGINT and HUGEINT as bigint) as a number. */
export function toNumber(value: unknown): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  if (value === null || value === undefined) return 0;
  return Number(value);
}

export function toOptionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : toNumber(value);
}

export function toOptionalString(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}
