import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { JOB_QUEUES, jobDefinitions } from './jobs.ts';
import { sealPendingEvents } from './modules/audit-trail/sealing/seal-pending.ts';
import { RUN_QUEUE } from './modules/runs/run-job.ts';
import type { Config } from './platform/config/config.ts';
import { type DatabaseHandle, openDatabase } from './platform/db/database.ts';
import { type DatabaseTarget, openDatabaseTarget } from './platform/db/database-target.ts';
import {
  applyMigrations,
  describeMismatch,
  MigrationError,
  type MigrationFile,
  readMigrationFiles,
  readMigrationStatus,
} from './platform/db/migrations.ts';
import { installJobSchema, JobQueue, type QueueSpec } from './platform/jobs/job-queue.ts';
import {
  memoizeKey,
  openCheckpointKey,
  openDataKeysForDatabase,
} from './platform/keys/key-provider.ts';
import { createClamdScanner } from './platform/scanning/clamd-client.ts';
import { requireLimitReporting } from './platform/scanning/limit-canary.ts';
import { openObjectStorage } from './platform/storage/open-object-storage.ts';
import { createServices, type Services } from './services.ts';

/** Everything a command needs once the database is open. */
export interface Runtime {
  target: DatabaseTarget;
  database: DatabaseHandle;
  services: Services;
  migrationFiles: MigrationFile[];
  logger: Logger;
  /** Directory for temporary work files such as imports in progress. */
  workRoot: string;
  close(): Promise<void>;
}

/** Apply SQL migrations and the job schema as the owner role. */
export async function migrateDatabase(
  ownerUrl: string,
  logger: Logger,
  definitions: readonly QueueSpec[] = JOB_QUEUES,
): Promise<MigrationFile[]> {
  const applied = await applyMigrations(ownerUrl, logger);
  await installJobSchema(ownerUrl, definitions, logger);
  return applied;
}

/** Refuse to run against a database whose applied migrations were edited. */
export async function assertNoEditedMigrations(url: string, files: MigrationFile[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const status = await readMigrationStatus(client, files);
    if (status.mismatched.length > 0) {
      throw new MigrationError(`Refusing to start: ${describeMismatch(status)}.`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Open the database for a command: resolve or start the cluster, migrate
 * when asked, then open the application-role pool. Closing releases all of
 * it in reverse order.
 */
export async function openRuntime(
  config: Config,
  logger: Logger,
  options: { command: string; exclusive: boolean; migrate: boolean },
): Promise<Runtime> {
  const target = await openDatabaseTarget(config, logger, options);
  try {
    const migrationFiles = readMigrationFiles();
    if (options.migrate) {
      await migrateDatabase(target.ownerUrl, logger);
    } else {
      await assertNoEditedMigrations(target.ownerUrl, migrationFiles);
    }

    const database = openDatabase({
      url: target.appUrl,
      poolMax: config.database.poolMax,
      statementTimeoutMs: config.database.statementTimeoutMs,
      applicationName: `peytonix-${options.command}`,
      logger,
    });
    const dataKeys = memoizeKey(() => openDataKeysForDatabase(config, database.db));
    const workRoot = path.join(config.dataDir, 'work');
    // Sending jobs needs pg-boss started, which only happens on the first send.
    let sender: Promise<JobQueue> | null = null;
    const jobSender = () => {
      sender ??= (async () => {
        const queue = new JobQueue(target.appUrl, logger);
        await queue.start([], false);
        return queue;
      })().catch((error: unknown) => {
        sender = null;
        throw error;
      });
      return sender;
    };
    const services = createServices({
      db: database.db,
      logger,
      checkpointKey: memoizeKey(() =>
        openCheckpointKey(config, { create: false, db: database.db }),
      ),
      identity: config.identity,
      dataKeys,
      storage: memoizeKey(() => openObjectStorage(config, dataKeys)),
      workRoot,
      runs: config.runs,
      datasetImports: config.datasetImports,
      auditVerifyIntervalMs: config.audit.verifyIntervalMs,
      scanner: requireLimitReporting(createClamdScanner(config.scanner), {
        onSilent: () =>
          logger.error(
            'clamd passes content beyond its limits as clean (AlertExceedsMax is off); evidence stays in scan_pending until clamd.conf sets AlertExceedsMax yes',
          ),
      }),
      evidence: config.evidence,
      dispatchRun: async (runId, requestedBy) => {
        await (await jobSender()).send(RUN_QUEUE, { runId, requestedBy });
      },
    });
    return {
      target,
      database,
      services,
      migrationFiles,
      logger,
      workRoot,
      async close() {
        await services.close();
        if (sender !== null) await (await sender.catch(() => null))?.stop(1_000);
        // Seal what this command wrote, so a CLI run with no server leaves no
        // event pending. A running server's sealer would seal it too.
        // Only the message and code: the database's detail can quote a row.
        await sealPendingEvents(database.db).catch((error: unknown) => {
          const { message, code } = error as { message?: unknown; code?: unknown };
          logger.error(
            { error: message, code },
            'sealing audit events at exit failed; they stay pending',
          );
        });
        await database.close();
        await target.release();
      },
    };
  } catch (error) {
    await target.release();
    throw error;
  }
}

/** Start pg-boss as the application role; a failure leaves readiness failing, not the process dead. */
export async function startJobQueue(
  runtime: Runtime,
  logger: Logger,
  runWorkers: boolean,
): Promise<JobQueue> {
  const jobs = new JobQueue(runtime.target.appUrl, logger, { listen: runWorkers });
  try {
    await jobs.start(jobDefinitions(runtime.services), runWorkers);
  } catch (error) {
    // NOTE: nothing retries the start; readiness fails until the process restarts.
    logger.error({ err: error }, 'job queue did not start; run peytonix migrate, then restart');
  }
  return jobs;
}
