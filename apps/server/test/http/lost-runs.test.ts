import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { LOST_RUN_SECONDS } from '../../src/modules/runs/lost-runs.ts';
import { RunCancellationWatch } from '../../src/modules/runs/run-cancellation.ts';
import type { RunStatus } from '../../src/platform/db/schema.ts';
import { seedBusinessUnit } from '../support/entity-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { RUNAWAY_TEST } from '../support/runaway-test.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN = 'ada@example.com';

describe('runs whose worker died', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let admin: Actor & { type: 'user' };

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    const seeded = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    if (seeded.type !== 'user') throw new Error('the seeded administrator is not a user');
    admin = { ...seeded, channel: 'api' };
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-lost-runs-')), 'pay.csv');
    writeFileSync(file, 'vendor_id,invoice_number,amount,payment_date\nV1,A1,10.00,2024-01-01\n');
    await testApp.services.datasets.importFile(admin, {
      entityCode: 'AP',
      datasetName: 'Payments',
      filePath: file,
      fileName: 'payments.csv',
    });
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  const queueRun = async (test = 'duplicate-payments-exact', preview = false) => {
    const { runId } = await testApp.services.runs.request(admin, {
      entityCode: 'AP',
      test,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview,
      via: 'api',
    });
    return runId;
  };

  /** Put a queued run into the state a worker leaves behind when it dies mid-run. */
  const abandon = async (runId: string, heartbeatAge: string | null) => {
    await owner.query(
      `UPDATE runs SET status = 'running', started_at = now() - interval '1 hour',
              heartbeat_at = now() - $2::interval
        WHERE id = $1`,
      [runId, heartbeatAge],
    );
  };

  const runRow = async (runId: string) => {
    const result = await owner.query<{
      status: RunStatus;
      error_code: string | null;
      error_message: string | null;
      finished_at: Date | null;
      heartbeat_at: Date | null;
    }>(
      'SELECT status, error_code, error_message, finished_at, heartbeat_at FROM runs WHERE id = $1',
      [runId],
    );
    return result.rows[0];
  };

  it('fails and audits a silent run', async () => {
    const lost = await queueRun();
    const alive = await queueRun();
    const waiting = await queueRun();
    await abandon(lost, `${LOST_RUN_SECONDS + 30} seconds`);
    await abandon(alive, '10 seconds');

    const reaped = await testApp.services.runs.failLostRuns();

    expect(reaped.map((run) => run.runId)).toEqual([lost]);
    expect(await runRow(lost)).toMatchObject({ status: 'failed', error_code: 'WORKER_LOST' });
    expect((await runRow(lost))?.error_message).toContain(
      `it wrote no heartbeat for ${LOST_RUN_SECONDS} seconds`,
    );
    expect((await runRow(lost))?.finished_at).not.toBeNull();
    expect((await runRow(alive))?.status).toBe('running');
    expect((await runRow(waiting))?.status).toBe('queued');
    const events = (await auditEvents(testApp, owner, 'run.failed')).filter(
      (event) => event.target_id === lost,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_type: 'system',
      outcome: 'failure',
      reason_code: 'WORKER_LOST',
      details: { testKey: 'duplicate-payments-exact', requestedBy: admin.userId },
    });
  });

  it('fails a run claimed before heartbeats existed by its start time', async () => {
    const runId = await queueRun();
    await abandon(runId, null);

    const reaped = await testApp.services.runs.failLostRuns();

    expect(reaped.map((run) => run.runId)).toContain(runId);
    expect((await runRow(runId))?.error_code).toBe('WORKER_LOST');
  });

  it('leaves a run that has ended alone', async () => {
    const runId = await queueRun();
    await testApp.services.runs.execute(runId, admin.userId);
    // Ended runs cannot change, so the trigger is skipped to age the heartbeat.
    await owner.query("SET session_replication_role = 'replica'");
    await owner.query(`UPDATE runs SET heartbeat_at = now() - interval '1 day' WHERE id = $1`, [
      runId,
    ]);
    await owner.query("SET session_replication_role = 'origin'");

    const reaped = await testApp.services.runs.failLostRuns();

    expect(reaped.map((run) => run.runId)).not.toContain(runId);
    expect((await runRow(runId))?.status).toBe('succeeded');
  });

  it('registers the sweep to run every minute', async () => {
    const result = await owner.query<{ cron: string; timezone: string }>(
      `SELECT cron, timezone FROM pgboss.schedule WHERE name = 'lost-runs'`,
    );

    expect(result.rows).toEqual([{ cron: '* * * * *', timezone: 'UTC' }]);
  });

  it('refuses an age below 60 seconds, which would end runs with live workers', async () => {
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    try {
      await expect(app.query('SELECT * FROM peytonix_fail_lost_runs(5)')).rejects.toThrow(
        'p_stale_seconds must be at least 60, got 5',
      );
      await expect(testApp.services.runs.failLostRuns(0)).rejects.toThrow('at least 60');
    } finally {
      await app.end();
    }
  });

  it('gives the application role no other way to end runs of other users', async () => {
    const runId = await queueRun();
    await abandon(runId, '10 seconds');
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    try {
      // Without an actor the application role reads no run.
      const updated = await app.query(
        `UPDATE runs SET status = 'failed', error_code = 'WORKER_LOST' WHERE id = $1`,
        [runId],
      );
      expect(updated.rowCount).toBe(0);
    } finally {
      await app.end();
    }
    expect((await runRow(runId))?.status).toBe('running');
  });

  it('beats on claim and stops when reaped', async () => {
    await testApp.services.testDefinitions.importDraft(admin, 'AP', RUNAWAY_TEST);
    const runId = await queueRun(RUNAWAY_TEST.key, true);

    const execution = testApp.services.runs.execute(runId, admin.userId);
    await waitFor(async () => (await runRow(runId))?.status === 'running');
    const claimed = await runRow(runId);
    // The worker is alive but silent for longer than the limit, as in a network partition.
    await owner.query(`UPDATE runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [
      runId,
    ]);
    const reaped = await testApp.services.runs.failLostRuns();
    const outcome = await execution;

    expect(claimed?.heartbeat_at).not.toBeNull();
    expect(reaped.map((run) => run.runId)).toContain(runId);
    // The worker notices its run ended, stops the sandbox and records nothing over the failure.
    expect(outcome?.status).toBe('cancelled');
    expect(await runRow(runId)).toMatchObject({ status: 'failed', error_code: 'WORKER_LOST' });
  });
});

describe('run heartbeat', () => {
  it('beats on its interval until stopped, and survives a failed write', async () => {
    let beats = 0;
    const watch = new RunCancellationWatch({
      runId: 'run-1',
      readStatus: async () => 'running',
      beat: async () => {
        beats += 1;
        if (beats === 2) throw new Error('database unavailable');
      },
      logger: pino({ level: 'silent' }),
      heartbeatMs: 20,
    });

    await waitFor(async () => beats >= 4);
    watch.stop();
    const stoppedAt = beats;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(beats).toBe(stoppedAt);
  });
});
