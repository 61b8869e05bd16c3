import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withActor } from '../../src/modules/access/actor-scope.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { cancelRun } from '../../src/modules/runs/run-cancellation.ts';
import type { RunStatus } from '../../src/platform/db/schema.ts';
import { runCliCaptured } from '../support/cli.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { type AuditRow, auditEvents } from '../support/governance-fixtures.ts';
import { RUNAWAY_TEST } from '../support/runaway-test.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN = 'ada@example.com';
const OUTSIDER = 'otto@example.com';
const COLLEAGUE = 'pia@example.com';
const READER = 'rob@example.com';

const PAYMENTS_CSV =
  'vendor_id,invoice_number,amount,payment_date\nV1,A1,10.00,2024-01-01\nV1,A1,10.00,2024-01-02\n';

interface Fixture {
  database: TestDatabase;
  testApp: TestApp;
  owner: pg.Client;
  users: Record<string, Actor & { type: 'user' }>;
}

/** Start a test app with AP below ORG, its Payments dataset, and ADMIN, COLLEAGUE and READER. */
async function startFixture(options: Parameters<typeof startTestApp>[1] = {}): Promise<Fixture> {
  const database = await createTestDatabase();
  const testApp = await startTestApp(database, { testUserHeader: true, ...options });
  const admin = await seedBusinessUnit(testApp, {
    adminEmail: ADMIN,
    outsiderEmail: OUTSIDER,
    code: 'AP',
    name: 'Payables',
  });
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  for (const email of [COLLEAGUE, READER]) {
    await owner.query('INSERT INTO users (email, display_name) VALUES ($1, $1)', [email]);
  }
  await grantRoleDirectly(database.ownerUrl, {
    email: COLLEAGUE,
    role: 'preparer',
    entityCode: 'AP',
  });
  await grantRoleDirectly(database.ownerUrl, {
    email: READER,
    role: 'read_only',
    entityCode: 'AP',
  });

  const users: Fixture['users'] = {};
  for (const email of [ADMIN, COLLEAGUE, READER]) {
    const actor = await testApp.services.identity.resolveCliActor(email);
    if (actor.type !== 'user') throw new Error(`${email} did not resolve to a user`);
    users[email] = { ...actor, channel: 'api' };
  }

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-runs-cancel-')), 'pay.csv');
  writeFileSync(file, PAYMENTS_CSV);
  await testApp.services.datasets.importFile(admin, {
    entityCode: 'AP',
    datasetName: 'Payments',
    filePath: file,
    fileName: 'payments.csv',
  });
  return { database, testApp, owner, users };
}

async function stopFixture(fixture: Fixture | undefined) {
  await fixture?.owner.end();
  await fixture?.testApp.close();
  await fixture?.database.drop();
}

/** Pids of the sandbox child processes that this process started. */
function sandboxChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parentPid !== process.pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('sandbox-child.ts')) {
        pids.push(Number(entry));
      }
    } catch {
      // The process exited between listing and reading.
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

describe('run cancellation', () => {
  let fixture: Fixture;
  let lockWatcher: pg.Client;

  beforeAll(async () => {
    fixture = await startFixture();
    lockWatcher = new pg.Client({ connectionString: fixture.database.ownerUrl });
    await lockWatcher.connect();
  });

  afterAll(async () => {
    await lockWatcher?.end();
    await stopFixture(fixture);
  });

  const actor = (email: string) => {
    const user = fixture.users[email];
    if (user === undefined) throw new Error(`no fixture user ${email}`);
    return user;
  };

  const call = (method: 'GET' | 'POST', url: string, user: string) =>
    fixture.testApp.app.inject({ method, url, headers: { 'x-test-user': user } });

  const cancel = (runId: string, user: string) =>
    call('POST', `/api/v1/runs/${runId}/cancel`, user);

  const queueRun = async (options: { preview?: boolean; test?: string } = {}) => {
    const { runId } = await fixture.testApp.services.runs.request(actor(ADMIN), {
      entityCode: 'AP',
      test: options.test ?? 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview: options.preview ?? false,
      via: 'api',
    });
    return runId;
  };

  const runRow = async (runId: string) => {
    const result = await fixture.owner.query<{
      status: RunStatus;
      started_at: Date | null;
      finished_at: Date | null;
      cancelled_by: string | null;
      error_code: string | null;
    }>('SELECT status, started_at, finished_at, cancelled_by, error_code FROM runs WHERE id = $1', [
      runId,
    ]);
    return result.rows[0];
  };

  const countFor = async (table: 'run_exceptions' | 'preview_rows', runId: string) => {
    const result = await fixture.owner.query<{ count: string }>(
      `SELECT count(*) FROM ${table} WHERE run_id = $1`,
      [runId],
    );
    return Number(result.rows[0]?.count);
  };

  const exceptionsTouchedBy = async (runId: string) => {
    const result = await fixture.owner.query<{ count: string }>(
      `SELECT count(*) FROM exceptions
       WHERE first_run_id = $1 OR last_run_id = $1 OR closed_run_id = $1`,
      [runId],
    );
    return Number(result.rows[0]?.count);
  };

  const eventsFor = async (action: string, runId: string): Promise<AuditRow[]> =>
    (await auditEvents(fixture.testApp, fixture.owner, action)).filter(
      (event) => event.target_id === runId,
    );

  const logsOf = (runId: string) => fixture.testApp.logLines.filter((line) => line.runId === runId);

  /** Backends of the test app that wait for a lock in this database. */
  const lockWaiters = async () => {
    const result = await lockWatcher.query<{ count: string }>(
      `SELECT count(*) FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'peytonix-test'
         AND wait_event_type = 'Lock'`,
    );
    return Number(result.rows[0]?.count);
  };

  it('cancels a queued run, which no worker then executes', async () => {
    const runId = await queueRun();

    const response = await cancel(runId, COLLEAGUE);
    const outcome = await fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      runId,
      status: 'cancelled',
      cancelledBy: COLLEAGUE,
      requestedBy: ADMIN,
    });
    expect(response.json().finishedAt).not.toBeNull();
    expect(outcome).toBeNull();
    const row = await runRow(runId);
    expect(row?.status).toBe('cancelled');
    expect(row?.started_at).toBeNull();
    expect(row?.cancelled_by).toBe(actor(COLLEAGUE).userId);
    expect(await countFor('run_exceptions', runId)).toBe(0);
    expect(await eventsFor('run.started', runId)).toEqual([]);
    const cancelled = await eventsFor('run.cancelled', runId);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]).toMatchObject({
      outcome: 'success',
      actor_id: actor(COLLEAGUE).userId,
      target_type: 'run',
      details: { previousStatus: 'queued', requestedBy: actor(ADMIN).userId, preview: false },
    });
  });

  it('returns a cancelled run unchanged on a second cancel', async () => {
    const runId = await queueRun();

    const first = await cancel(runId, ADMIN);
    const second = await cancel(runId, COLLEAGUE);

    expect(first.statusCode).toBe(200);
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ status: 'cancelled', cancelledBy: ADMIN });
    expect(await eventsFor('run.cancelled', runId)).toHaveLength(1);
  });

  it('rejects cancelling a finished run with 409', async () => {
    const runId = await queueRun();
    await fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);

    const response = await cancel(runId, ADMIN);

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'CONFLICT',
      status: 409,
      runStatus: 'succeeded',
    });
    expect(response.json().detail).toContain('only a queued or running run can be cancelled');
    expect((await runRow(runId))?.status).toBe('succeeded');
    expect(await eventsFor('run.cancelled', runId)).toEqual([]);
  });

  it('hides runs outside the scope and forbids read-only users', async () => {
    const runId = await queueRun();
    await createEntityDirectly(fixture.database.ownerUrl, {
      code: 'ELSEWHERE',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await grantRoleDirectly(fixture.database.ownerUrl, {
      email: OUTSIDER,
      role: 'preparer',
      entityCode: 'ELSEWHERE',
    });

    const missingId = '0f0e7c1c-5a47-4c7e-9d65-5d1a4b0b7e11';
    const outside = await cancel(runId, OUTSIDER);
    const missing = await cancel(missingId, OUTSIDER);
    const readOnly = await cancel(runId, READER);

    expect(outside.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(outside.json().code).toBe('RESOURCE_NOT_FOUND');
    expect(outside.json().detail.replace(runId, 'ID')).toBe(
      missing.json().detail.replace(missingId, 'ID'),
    );
    expect(readOnly.statusCode).toBe(403);
    expect((await runRow(runId))?.status).toBe('queued');
    expect(await eventsFor('run.cancelled', runId)).toEqual([]);
  });

  it('stops a running query and records nothing', async () => {
    await fixture.testApp.services.testDefinitions.importDraft(actor(ADMIN), 'AP', RUNAWAY_TEST);
    const runId = await queueRun({ test: RUNAWAY_TEST.key, preview: true });
    const before = new Set(sandboxChildren());

    const execution = fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);
    let child: number | undefined;
    await waitFor(() => {
      child = sandboxChildren().find((pid) => !before.has(pid));
      return child !== undefined;
    }, 30_000);
    const response = await cancel(runId, COLLEAGUE);
    const outcome = await execution;

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().status).toBe('cancelled');
    expect(outcome?.status).toBe('cancelled');
    expect(isAlive(child ?? 0)).toBe(false);
    const row = await runRow(runId);
    expect(row?.status).toBe('cancelled');
    expect(row?.error_code).toBeNull();
    expect(await countFor('preview_rows', runId)).toBe(0);
    expect(await eventsFor('run.completed', runId)).toEqual([]);
    expect(await eventsFor('run.failed', runId)).toEqual([]);
    expect((await eventsFor('run.cancelled', runId))[0]?.details).toMatchObject({
      previousStatus: 'running',
      preview: true,
    });
  });

  it('discards the result when a cancel commits first', async () => {
    const runId = await queueRun();
    const execution = fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);
    await waitFor(async () => (await runRow(runId))?.status === 'running');
    const loaded = await fixture.owner.query<{ entity_id: string; run_number: number }>(
      `SELECT test_definitions.entity_id, runs.run_number FROM runs
       JOIN test_definitions ON test_definitions.id = runs.test_id WHERE runs.id = $1`,
      [runId],
    );

    // The cancel stays uncommitted, holding the run's row, until the
    // worker's final write waits for it.
    await withActor(fixture.testApp.database.db, actor(COLLEAGUE), async (tx) => {
      await cancelRun(tx, actor(COLLEAGUE), {
        id: runId,
        status: 'running',
        entity_id: loaded.rows[0]?.entity_id ?? '',
        test_key: 'duplicate-payments-exact',
        run_number: loaded.rows[0]?.run_number ?? null,
        preview: false,
        requested_by: actor(ADMIN).userId,
      });
      await waitFor(async () => (await lockWaiters()) >= 1, 30_000);
    });
    const outcome = await execution;

    expect(outcome?.status).toBe('cancelled');
    expect(logsOf(runId).map((line) => line.msg)).toContain(
      'run was cancelled, or ended as lost, as it finished; its result was discarded',
    );
    expect(logsOf(runId).filter((line) => Number(line.level) >= 50)).toEqual([]);
    expect((await runRow(runId))?.status).toBe('cancelled');
    expect(await countFor('run_exceptions', runId)).toBe(0);
    expect(await exceptionsTouchedBy(runId)).toBe(0);
    expect(await eventsFor('run.completed', runId)).toEqual([]);
    expect(await eventsFor('run.cancelled', runId)).toHaveLength(1);
  });

  it('keeps the result when the run finishes first', async () => {
    const blocker = new pg.Client({ connectionString: fixture.database.ownerUrl });
    await blocker.connect();
    try {
      // The worker's final transaction updates the run, then waits here to
      // write its exceptions, so it holds the run's row while the cancel comes.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE run_exceptions IN ACCESS EXCLUSIVE MODE');
      const runId = await queueRun();
      const execution = fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);
      await waitFor(async () => (await lockWaiters()) >= 1, 30_000);
      const cancelling = cancel(runId, COLLEAGUE);
      await waitFor(async () => (await lockWaiters()) >= 2, 30_000);
      await blocker.query('COMMIT');

      const outcome = await execution;
      const response = await cancelling;

      expect(outcome?.status).toBe('succeeded');
      expect(response.statusCode, response.body).toBe(409);
      expect(response.json()).toMatchObject({
        code: 'CONFLICT',
        status: 409,
        runStatus: 'succeeded',
      });
      expect((await runRow(runId))?.status).toBe('succeeded');
      expect(await countFor('run_exceptions', runId)).toBe(1);
      expect(await eventsFor('run.cancelled', runId)).toEqual([]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  });

  it('cancels through the CLI and prints the new status', async () => {
    const env = {
      DATABASE_URL: fixture.database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: fixture.database.appUrl,
      PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-cli-cancel-')),
      PEYTONIX_AS: COLLEAGUE,
    };
    const queued = await queueRun();
    const finished = await queueRun();
    await fixture.testApp.services.runs.execute(finished, actor(ADMIN).userId);

    const text = await runCliCaptured(['runs', 'cancel', queued], env);
    const again = await runCliCaptured(['runs', 'cancel', queued, '--json'], env);
    const conflict = await runCliCaptured(['runs', 'cancel', finished, '--json'], env);

    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`run ${queued}: cancelled by ${COLLEAGUE}`);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId: queued, status: 'cancelled' });
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.stdout)).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', runStatus: 'succeeded' },
    });
  });
});

describe('preview limits', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    // One millisecond: every preview query exceeds it, and a real run is far below its own limit.
    fixture = await startFixture({ runs: { previewTimeoutMs: 1, maxActivePreviewsPerUser: 2 } });
  });

  afterAll(async () => {
    await stopFixture(fixture);
  });

  const actor = (email: string) => {
    const user = fixture.users[email];
    if (user === undefined) throw new Error(`no fixture user ${email}`);
    return user;
  };

  const requestRun = (email: string, preview: boolean) =>
    fixture.testApp.app.inject({
      method: 'POST',
      url: '/api/v1/runs',
      headers: { 'x-test-user': email },
      payload: {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        preview,
      },
    });

  const executed = async (runId: string) => {
    await fixture.testApp.services.runs.execute(runId, actor(ADMIN).userId);
    return await fixture.testApp.services.runs.show(actor(ADMIN), runId);
  };

  it('times out a preview at its limit but not a real run', async () => {
    const preview = await requestRun(ADMIN, true);
    const real = await requestRun(ADMIN, false);
    const previewRun = await executed(preview.json().runId);
    const realRun = await executed(real.json().runId);
    const { runId: realAgain } = await fixture.testApp.services.runs.reperform(
      actor(ADMIN),
      realRun.runId,
    );
    const realRepeated = await executed(realAgain);
    const { runId: previewAgain } = await fixture.testApp.services.runs.reperform(
      actor(ADMIN),
      previewRun.runId,
    );
    const previewRepeated = await executed(previewAgain);

    expect(previewRun).toMatchObject({ status: 'timed_out', errorCode: 'SANDBOX_TIMEOUT' });
    expect(previewRun.errorMessage).toContain('after 1 ms');
    expect(realRun).toMatchObject({ status: 'succeeded', exceptionCount: 1 });
    expect(realRepeated).toMatchObject({ status: 'succeeded', resultHash: realRun.resultHash });
    expect(previewRepeated).toMatchObject({ status: 'timed_out', errorCode: 'SANDBOX_TIMEOUT' });
  });

  it('caps the queued and running previews of one user', async () => {
    const first = await requestRun(COLLEAGUE, true);
    const second = await requestRun(COLLEAGUE, true);
    const third = await requestRun(COLLEAGUE, true);
    const real = await requestRun(COLLEAGUE, false);
    const otherUser = await requestRun(ADMIN, true);

    expect(first.statusCode, first.body).toBe(202);
    expect(second.statusCode, second.body).toBe(202);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 2,
      activePreviewRunIds: [first.json().runId, second.json().runId],
    });
    expect(real.statusCode, real.body).toBe(202);
    expect(otherUser.statusCode, otherUser.body).toBe(202);

    const reperform = fixture.testApp.services.runs.reperform(actor(COLLEAGUE), real.json().runId);
    await expect(reperform).rejects.toMatchObject({ code: 'RATE_LIMITED' });

    await fixture.testApp.services.runs.cancel(actor(COLLEAGUE), first.json().runId);
    const afterCancel = await requestRun(COLLEAGUE, true);
    expect(afterCancel.statusCode, afterCancel.body).toBe(202);
  });
});
