import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { listLiteral } from './sql.ts';
import type { ImportLimits } from './types.ts';

export type SqlRow = Record<string, unknown>;

/** A DuckDB database that can read only the listed files and write only inside `directory`. */
export interface ImportDatabase {
  all(sql: string): Promise<SqlRow[]>;
  run(sql: string): Promise<void>;
  close(): void;
}

/**
 * Open a DuckDB database file in `directory` and lock it down before any query runs:
 * no extension is installed or loaded, only `readablePaths` and `directory` are
 * reachable, and the configuration cannot be changed afterwards. Spilled data goes to
 * a temporary folder inside `directory`.
 */
export async function openImportDatabase(
  directory: string,
  readablePaths: readonly string[],
  limits: ImportLimits,
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
    await connection.run("SET disabled_optimizers = 'in_clause'");
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
