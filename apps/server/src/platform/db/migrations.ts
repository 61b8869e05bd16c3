import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Logger } from 'pino';
import { APP_ROLE } from '../config/config.ts';

/**
 * Forward-only, plain-SQL migrations. Each file `NNNN_name.sql` runs once,
 * in version order, inside its own transaction, and is recorded in
 * `peytonix_migrations` with the SHA-256 of its bytes. A recorded file that
 * has changed or disappeared stops the server: the database no longer
 * matches the code that claims to describe it.
 */
export interface MigrationFile {
  version: number;
  name: string;
  fileName: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: AppliedMigration[];
  pending: MigrationFile[];
  /** Applied migrations whose file changed or is missing. */
  mismatched: { version: number; name: string; problem: 'changed' | 'missing' }[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Key for pg_advisory_lock, so concurrent migrators run one at a time. */
const MIGRATION_LOCK_KEY = 727_001;

export function readMigrationFiles(directory = MIGRATIONS_DIR): MigrationFile[] {
  const files: MigrationFile[] = [];
  for (const fileName of readdirSync(directory).sort()) {
    if (!fileName.endsWith('.sql')) continue;

    const match = FILE_PATTERN.exec(fileName);
    if (!match) {
      throw new MigrationError(
        `Migration file name ${fileName} is invalid. Name it NNNN_snake_case.sql, such as 0007_add_reviews.sql.`,
      );
    }
    const bytes = readFileSync(path.join(directory, fileName));
    files.push({
      version: Number(match[1]),
      name: match[2] ?? fileName,
      fileName,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }

  files.forEach((file, index) => {
    if (file.version !== index + 1) {
      throw new MigrationError(
        `Migration ${file.fileName} has version ${file.version} but ${index + 1} was expected. Versions start at 0001 and have no gaps.`,
      );
    }
  });
  return files;
}

const CREATE_HISTORY_TABLE = `
  CREATE TABLE IF NOT EXISTS peytonix_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user
  )`;

async function readApplied(client: pg.ClientBase): Promise<AppliedMigration[] | undefined> {
  const exists = await client.query<{ present: boolean }>(
    "SELECT to_regclass('public.peytonix_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return undefined;

  const result = await client.query<AppliedMigration>(
    'SELECT version, name, checksum FROM peytonix_migrations ORDER BY version',
  );
  return result.rows;
}

export function compareMigrations(
  applied: AppliedMigration[],
  files: MigrationFile[],
): MigrationStatus {
  const byVersion = new Map(files.map((file) => [file.version, file]));
  const mismatched: MigrationStatus['mismatched'] = [];
  for (const record of applied) {
    const file = byVersion.get(record.version);
    if (!file) {
      mismatched.push({ version: record.version, name: record.name, problem: 'missing' });
    } else if (file.checksum !== record.checksum) {
      mismatched.push({ version: record.version, name: record.name, problem: 'changed' });
    }
  }
  const appliedVersions = new Set(applied.map((record) => record.version));
  return {
    applied,
    pending: files.filter((file) => !appliedVersions.has(file.version)),
    mismatched,
  };
}

/** Read the status through any connection that may SELECT the history table. */
export async function readMigrationStatus(
  client: pg.ClientBase,
  files: MigrationFile[],
): Promise<MigrationStatus> {
  return compareMigrations((await readApplied(client)) ?? [], files);
}

export function describeMismatch(status: MigrationStatus): string {
  return status.mismatched
    .map((item) =>
      item.problem === 'changed'
        ? `migration ${String(item.version).padStart(4, '0')}_${item.name} was edited after it was applied; restore the original file and put the change in a new migration`
        : `migration ${String(item.version).padStart(4, '0')}_${item.name} is applied but its file is missing; restore the file`,
    )
    .join('; ');
}

/**
 * Create the application role when the owner may, because migrations grant
 * privileges to it. Where the owner lacks CREATEROLE, a DBA creates it.
 */
async function ensureAppRole(client: pg.ClientBase) {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  if (exists.rowCount !== 0) return;

  try {
    await client.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42710 duplicate_object, or 23505 when another migrator won the race.
    if (code === '42710' || code === '23505') return;
    if (code === '42501') {
      throw new MigrationError(
        `The database role ${APP_ROLE} does not exist and the migration role may not create it. Ask a DBA to run: CREATE ROLE ${APP_ROLE} LOGIN PASSWORD '...';`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Apply every pending migration as the owner role. Returns the versions applied. */
export async function applyMigrations(
  ownerUrl: string,
  logger: Logger,
  files: MigrationFile[] = readMigrationFiles(),
): Promise<MigrationFile[]> {
  const client = new pg.Client({
    connectionString: ownerUrl,
    application_name: 'peytonix-migrate',
  });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await ensureAppRole(client);
    await client.query(CREATE_HISTORY_TABLE);

    const status = await readMigrationStatus(client, files);
    if (status.mismatched.length > 0) {
      throw new MigrationError(`Refusing to migrate: ${describeMismatch(status)}.`);
    }

    for (const file of status.pending) {
      logger.info({ version: file.version, migration: file.fileName }, 'applying migration');
      try {
        await client.query('BEGIN');
        await client.query(file.sql);
        await client.query(
          'INSERT INTO peytonix_migrations (version, name, checksum) VALUES ($1, $2, $3)',
          [file.version, file.name, file.checksum],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(
          `Migration ${file.fileName} failed and was rolled back: ${reason}`,
          {
            cause: error,
          },
        );
      }
    }
    return status.pending;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
