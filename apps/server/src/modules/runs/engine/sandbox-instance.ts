import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlStringLiteral } from './sandbox-inputs.ts';

/** Resource limits of one DuckDB instance. */
export interface InstanceLimits {
  /** memory_limit, in MiB. */
  memoryMb: number;
  threads: number;
  /** max_temp_directory_size, in MiB. */
  maxTempDirectoryMb: number;
}

/**
 * Startup options for a sandbox instance: resource limits, a private spill
 * directory, no extension installing or autoloading, no persistent secrets,
 * and errors as JSON so describeDuckDBError can read their type.
 */
export function sandboxInstanceOptions(
  limits: InstanceLimits,
  spillDirectory: string,
): Record<string, string> {
  return {
    threads: String(limits.threads),
    memory_limit: `${limits.memoryMb}MiB`,
    max_temp_directory_size: `${limits.maxTempDirectoryMb}MiB`,
    temp_directory: spillDirectory,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    allow_persistent_secrets: 'false',
    errors_as_json: 'true',
  };
}

/**
 * Lock a sandbox instance down before it reads any input.
 *
 * With enable_external_access off, DuckDB rejects every file and network
 * access except to the files in allowed_paths and below allowed_directories.
 * allowed_paths must list the input files, because DuckDB checks access each
 * time a view is scanned, not only when it is created. allowed_directories is
 * the run's own spill directory: DuckDB 1.5.6 adds temp_directory to it
 * whenever external access is off, whatever it was set to, so it is listed
 * here to make that visible. A query could read or write files there only
 * through statements and functions that checkSingleSelect rejects, and the
 * directory is created empty for each run. lock_configuration comes last and
 * makes every later SET, RESET or PRAGMA that changes an option fail.
 */
export async function applySandboxSettings(
  connection: DuckDBConnection,
  inputs: readonly { path: string }[],
  spillDirectory: string,
): Promise<void> {
  const allowedPaths = inputs.map((input) => sqlStringLiteral(input.path)).join(', ');
  const statements = [
    // TimeZone needs the icu extension, which DuckDB loads only after startup.
    "SET TimeZone = 'UTC'",
    `SET allowed_paths = [${allowedPaths}]`,
    `SET allowed_directories = [${sqlStringLiteral(spillDirectory)}]`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
  for (const statement of statements) await connection.run(statement);
}
