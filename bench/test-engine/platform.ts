// The platform side of the test-engine benchmark: the server's services and
// a pg-boss worker in this process, as `peytonix start` assembles them.
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { Logger } from 'pino';
import { jobDefinitions } from '../../apps/server/src/jobs.ts';
import { withActor } from '../../apps/server/src/modules/access/actor-scope.ts';
import type { Actor } from '../../apps/server/src/modules/identity/actor.ts';
import { RUN_QUEUE } from '../../apps/server/src/modules/runs/run-job.ts';
import type { Config } from '../../apps/server/src/platform/config/config.ts';
import { type DatabaseHandle, openDatabase } from '../../apps/server/src/platform/db/database.ts';
import { JobQueue } from '../../apps/server/src/platform/jobs/job-queue.ts';
import {
  memoizeKey,
  openCheckpointKey,
  openDataKeyProvider,
} from '../../apps/server/src/platform/keys/key-provider.ts';
import { createLogger } from '../../apps/server/src/platform/logging/logger.ts';
import type { ObjectStorage } from '../../apps/server/src/platform/storage/object-storage.ts';
import { openObjectStorage } from '../../apps/server/src/platform/storage/open-object-storage.ts';
import { createServices, type Services } from '../../apps/server/src/services.ts';

const RUN_POLL_MS = 20;
/** Maximum wait for one run: the sandbox's default 15-minute limit plus a margin. */
const RUN_WAIT_LIMIT_MS = 20 * 60_000;
const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'timed_out']);

/**
 * A pino destination that keeps the sandbox query time that each run logs
 * ("run succeeded" with durationMs) and copies warnings and errors to
 * standard error, dropping the rest.
 */
class LogCapture extends Writable {
  readonly sandboxMsByRun = new Map<string, number>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      const entry = JSON.parse(line) as {
        level?: string;
        msg?: string;
        runId?: string;
        durationMs?: number;
      };
      if (entry.msg === 'run succeeded' && entry.runId !== undefined) {
        this.sandboxMsByRun.set(entry.runId, entry.durationMs ?? Number.NaN);
      }
      if (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal') {
        process.stderr.write(`${line}\n`);
      }
    }
    callback();
  }
}

export interface Platform {
  services: Services;
  database: DatabaseHandle;
  /** The object storage the services use, opened on first call. */
  storage: () => Promise<ObjectStorage>;
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * Assemble the services over the application role as openRuntime does,
 * with a pg-boss sender for dispatch and a second pg-boss instance that
 * runs the workers of jobDefinitions, as a server process has. The data
 * keys come from a new local master key, as in bench/auth.ts. Runs no
 * audit sealer, so the runs' audit events stay pending.
 */
export async function startPlatform(config: Config, appUrl: string): Promise<Platform> {
  const logs = new LogCapture();
  const logger: Logger = createLogger('debug', logs);
  const database = openDatabase({
    url: appUrl,
    poolMax: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    applicationName: 'peytonix-bench',
    logger,
  });
  const sender = new JobQueue(appUrl, logger);
  // As in `peytonix start` and `worker`, the worker listens for new runs.
  const worker = new JobQueue(appUrl, logger, { listen: true });
  const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
  const storage = memoizeKey(() => openObjectStorage(config, dataKeys));
  const services = createServices({
    db: database.db,
    logger,
    checkpointKey: memoizeKey(() => openCheckpointKey(config, { create: true, db: database.db })),
    identity: config.identity,
    dataKeys,
    storage,
    workRoot: path.join(config.dataDir, 'work'),
    dispatchRun: async (runId, requestedBy) => {
      await sender.send(RUN_QUEUE, { runId, requestedBy });
    },
  });
  const close = async () => {
    await worker.stop(5_000);
    await sender.stop(1_000);
    await services.close();
    await database.close();
  };
  try {
    await sender.start([], false);
    await worker.start(jobDefinitions(services), true);
  } catch (error) {
    await close();
    throw error;
  }
  return { services, database, storage, logs, close };
}

/**
 * Create the first administrator and a business unit to import into, give
 * that user the preparer role as the database owner (an administrator
 * neither imports nor runs tests), and return the acting user.
 */
export async function createAuditor(
  services: Services,
  entityCode: string,
  ownerUrl: string,
): Promise<Actor> {
  const email = 'bench-auditor@example.com';
  const created = await services.identity.createFirstAdministrator({
    email,
    displayName: 'Bench Auditor',
    organizationName: 'Bench Organization',
    organizationCode: 'BENCH',
  });
  const actor: Actor = { type: 'user', userId: created.userId, email, channel: 'cli' };
  await services.entities.create(actor, {
    parentCode: 'BENCH',
    type: 'business_unit',
    code: entityCode,
    name: 'Accounts payable',
  });
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query(
      "INSERT INTO role_grants (user_id, role, entity_id) SELECT $1, 'preparer', id FROM entities WHERE code = $2",
      [created.userId, entityCode],
    );
  } finally {
    await owner.end();
  }
  return actor;
}

/**
 * Copy a dataset version's Parquet file out of encrypted storage to
 * `target`, with storage checking it against the version's SHA-256, as the
 * run executor does before a query. Returns the elapsed milliseconds and
 * the file size.
 */
export async function extractParquet(
  platform: Platform,
  actor: Actor,
  versionId: string,
  target: string,
): Promise<{ ms: number; bytes: number }> {
  // Row-level security shows the version only in the actor's scope.
  const version = await withActor(platform.database.db, actor, (tx) =>
    tx
      .selectFrom('dataset_versions')
      .select(['parquet_object_key', 'parquet_sha256', 'parquet_size'])
      .where('id', '=', versionId)
      .executeTakeFirstOrThrow(),
  );
  const started = performance.now();
  const source = await (await platform.storage()).get(version.parquet_object_key, {
    sha256: version.parquet_sha256.toString('hex'),
  });
  await pipeline(source, createWriteStream(target, { mode: 0o600 }));
  return { ms: performance.now() - started, bytes: Number(version.parquet_size) };
}

export interface PlatformRun {
  runId: string;
  /** From calling runs.request to seeing the run row succeeded. */
  ms: number;
  /** requested_at to started_at: dispatch and pg-boss pickup. */
  queueWaitMs: number;
  /** started_at to finished_at in the executor. */
  executionMs: number;
  /** The main query's sandbox child, process start and result transfer included, as the run logs it. */
  sandboxMs: number;
  exceptionCount: number;
}

/**
 * Request a run of a library test through runs.request, which dispatches
 * it to the pg-boss queue, and wait until the worker has finished it.
 * Throws unless the run succeeded.
 */
export async function runPlatformTest(
  platform: Platform,
  actor: Actor,
  request: { entityCode: string; test: string; inputName: string; datasetName: string },
): Promise<PlatformRun> {
  const started = performance.now();
  const { runId } = await platform.services.runs.request(actor, {
    entityCode: request.entityCode,
    test: request.test,
    inputs: { [request.inputName]: { dataset: request.datasetName } },
    fieldMap: {},
    parameters: {},
    preview: false,
    via: 'cli',
  });

  for (;;) {
    const run = await withActor(platform.database.db, actor, (tx) =>
      tx
        .selectFrom('runs')
        .select([
          'status',
          'requested_at',
          'started_at',
          'finished_at',
          'exception_count',
          'error_code',
          'error_message',
        ])
        .where('id', '=', runId)
        .executeTakeFirstOrThrow(),
    );
    const elapsed = performance.now() - started;
    if (TERMINAL_STATUSES.has(run.status)) {
      if (run.status !== 'succeeded' || run.started_at === null || run.finished_at === null) {
        throw new Error(
          `run ${runId} of ${request.test} ended ${run.status} with ${run.error_code}: ${run.error_message}`,
        );
      }
      // The worker logs the sandbox time just after its commit, which this poll may see first.
      for (let wait = 0; wait < 50 && !platform.logs.sandboxMsByRun.has(runId); wait += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const requestedAt = new Date(run.requested_at).getTime();
      const startedAt = new Date(run.started_at).getTime();
      return {
        runId,
        ms: elapsed,
        queueWaitMs: startedAt - requestedAt,
        executionMs: new Date(run.finished_at).getTime() - startedAt,
        sandboxMs: platform.logs.sandboxMsByRun.get(runId) ?? Number.NaN,
        exceptionCount: Number(run.exception_count),
      };
    }
    if (elapsed > RUN_WAIT_LIMIT_MS) {
      throw new Error(
        `run ${runId} of ${request.test} is still ${run.status} after ${RUN_WAIT_LIMIT_MS / 60_000} minutes`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, RUN_POLL_MS));
  }
}
