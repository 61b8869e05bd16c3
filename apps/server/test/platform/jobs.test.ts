import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyMigrations } from '../../src/platform/db/migrations.ts';
import {
  installJobSchema,
  type JobDefinition,
  JobQueue,
} from '../../src/platform/jobs/job-queue.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const logger = pino({ level: 'silent' });

const JOB_WAIT_MS = 15_000;
const POLL_INTERVAL_MS = 100;

const reportSchema = z.object({ reportId: z.string(), pages: z.number().int() });
type ReportJob = z.infer<typeof reportSchema>;

/** Poll `check` until it returns a value other than undefined, or fail after `timeoutMs`. */
async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined>,
  timeoutMs = JOB_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
}

/** Count the job queue's open connections to `database`, as the owner role sees them. */
async function jobQueueConnections(database: TestDatabase): Promise<number> {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    const result = await client.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_stat_activity
       WHERE datname = $1 AND application_name = 'peytonix-jobs'`,
      [database.name],
    );
    return result.rows[0]?.count ?? 0;
  } finally {
    await client.end();
  }
}

describe('job queue', () => {
  let database: TestDatabase;
  let jobs: JobQueue;
  const received: ReportJob[] = [];

  const definition: JobDefinition<ReportJob> = {
    queue: 'test-report',
    parse: (data) => reportSchema.parse(data),
    handle: async (data) => {
      received.push(data);
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await applyMigrations(database.ownerUrl, logger);
    await installJobSchema(database.ownerUrl, [definition], logger);
  });
  afterAll(async () => {
    await jobs?.stop(1_000);
    await database?.drop();
  });

  it('installation brings queue settings up to date', async () => {
    const notifyOf = async () => {
      const client = new pg.Client({ connectionString: database.ownerUrl });
      await client.connect();
      try {
        const result = await client.query<{ notify: boolean; retry_limit: number }>(
          "SELECT notify, retry_limit FROM pgboss.queue WHERE name = 'test-settings'",
        );
        return result.rows[0];
      } finally {
        await client.end();
      }
    };

    await installJobSchema(database.ownerUrl, [{ queue: 'test-settings', retryLimit: 3 }], logger);
    const before = await notifyOf();
    await installJobSchema(
      database.ownerUrl,
      [{ queue: 'test-settings', retryLimit: 0, notify: true }],
      logger,
    );
    const after = await notifyOf();

    expect(before).toEqual({ notify: false, retry_limit: 3 });
    expect(after).toEqual({ notify: true, retry_limit: 0 });
  });

  it('application role processes a sent job', async () => {
    jobs = new JobQueue(database.appUrl, logger);
    await jobs.start([definition], true);

    const id = await jobs.send(definition.queue, { reportId: 'R-1', pages: 3 });

    const completed = await waitFor('the job to complete', async () => {
      const job = await jobs.findJob(definition.queue, id);
      return job?.state === 'completed' ? job : undefined;
    });
    expect(completed.id).toBe(id);
    expect(received).toEqual([{ reportId: 'R-1', pages: 3 }]);
    expect(jobs.status()).toEqual({ ready: true });
  });
});

describe('job queue without its schema', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await applyMigrations(database.ownerUrl, logger);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('fails to start and is not ready', async () => {
    const jobs = new JobQueue(database.appUrl, logger);

    await expect(jobs.start([], false)).rejects.toThrow(/not installed/);
    expect(jobs.status().ready).toBe(false);

    await jobs.stop(1_000);
    expect(await jobQueueConnections(database)).toBe(0);
  });
});
