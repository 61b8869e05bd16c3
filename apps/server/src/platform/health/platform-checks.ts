import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { compareMigrations, type MigrationFile } from '../db/migrations.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { type ReadinessCheck, ReadinessFailure } from './readiness.ts';

export function databaseCheck(db: Db): ReadinessCheck {
  return {
    name: 'database',
    async run() {
      try {
        await sql`SELECT 1`.execute(db);
      } catch {
        throw new ReadinessFailure('the database is unreachable');
      }
    },
  };
}

/** Reject unless the applied migrations are exactly the files this build ships. */
export async function checkSchemaCurrent(db: Db, files: MigrationFile[]): Promise<void> {
  const applied = await db
    .selectFrom('peytonix_migrations')
    .select(['version', 'name', 'checksum'])
    .orderBy('version')
    .execute();
  const status = compareMigrations(applied, files);

  if (status.mismatched.length > 0) {
    const versions = status.mismatched.map((item) => item.version).join(', ');
    throw new ReadinessFailure(`applied migrations ${versions} differ from this build`);
  }
  if (status.pending.length > 0) {
    throw new ReadinessFailure(
      `${status.pending.length} migration(s) pending; run peytonix migrate`,
    );
  }
}

export function migrationsCheck(db: Db, files: MigrationFile[]): ReadinessCheck {
  return { name: 'migrations', run: () => checkSchemaCurrent(db, files) };
}

export function jobsCheck(jobs: JobQueue): ReadinessCheck {
  return {
    name: 'jobs',
    async run() {
      const status = jobs.status();
      if (!status.ready) throw new ReadinessFailure(status.reason ?? 'job queue not ready');
    },
  };
}
