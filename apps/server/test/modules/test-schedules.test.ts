import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { testScheduleJobDefinition } from '../../src/modules/tests/test-schedule-job.ts';
import type { FireOutcome, ScheduleTick } from '../../src/modules/tests/test-scheduler.ts';
import { JobQueue } from '../../src/platform/jobs/job-queue.ts';
import {
  auditEvents,
  insertGrant,
  insertUser,
  type Organization,
  seedOrganization,
  type USERS,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

/**
 * Users beyond the shared organization, all preparers on AP: pia drafts
 * versions of tests that pat owns, and owen and olga own tests and then
 * lose their grants.
 */
const EXTRA_USERS = {
  pia: 'pia@example.com',
  owen: 'owen@example.com',
  olga: 'olga@example.com',
} as const;

type Caller = keyof typeof USERS | keyof typeof EXTRA_USERS;

const DAILY = '0 6 * * *';
const HOURLY = '0 * * * *';

const JUSTIFICATION = 'Scheduled monitoring of large payments.';

// Version 1 of the dataset flags V2 and V3 at the default threshold of 60;
// version 2 flags only V9.
const PAYMENTS_V1 = 'VendorNum,amount\nV1,50.00\nV2,70.00\nV3,120.00\n';
const PAYMENTS_V2 = 'VendorNum,amount\nV1,10.00\nV9,900.00\n';

interface RunRow {
  id: string;
  requested_by: string;
  requested_via: string;
  preview: boolean;
  test_version_id: string;
  inputs: { name: string; datasetName: string; version: number; fields: Record<string, string> }[];
}

/** Build a definition as `peytonix tests import` reads it from YAML. */
function definition(key: string, extra: Record<string, unknown> = {}) {
  return {
    key,
    name: 'Large payments',
    severity: 'medium',
    inputs: [
      {
        name: 'payments',
        description: 'Vendor payments.',
        fields: [
          { name: 'vendor_id', type: 'text', description: 'Vendor.', required: true },
          { name: 'amount', type: 'decimal', description: 'Amount paid.', required: true },
        ],
      },
    ],
    parameters: [
      {
        name: 'threshold',
        type: 'decimal',
        default: '60',
        description: 'Smallest flagged amount.',
      },
    ],
    keyColumns: ['vendor_id', 'amount'],
    sql: 'SELECT DISTINCT vendor_id, amount FROM payments WHERE amount >= $threshold ORDER BY vendor_id',
    ...extra,
  };
}

/** Build a scheduled definition that binds its one input to the Payments dataset. */
function scheduled(key: string, schedule: string, binding: Record<string, unknown> = {}) {
  return definition(key, {
    schedule,
    bindings: {
      payments: { dataset: 'Payments', fields: { vendor_id: 'VendorNum' }, ...binding },
    },
  });
}

/** Compute the first fire of `expression` after `after`, in UTC, independently of the scheduler. */
function nextFireAfter(expression: string, after: Date): Date {
  return CronExpressionParser.parse(expression, { tz: 'UTC', currentDate: after }).next().toDate();
}

function plusSeconds(time: Date, seconds: number): Date {
  return new Date(time.getTime() + seconds * 1000);
}

function firesOf(tick: ScheduleTick, testId: string): FireOutcome[] {
  return tick.fires.filter((fire) => fire.testId === testId);
}

describe('test schedules', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;
  const extraIds = {} as Record<keyof typeof EXTRA_USERS, string>;
  const extraGrants = {} as Record<keyof typeof EXTRA_USERS, string>;
  let counter = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
    org = await seedOrganization(testApp, database.ownerUrl);

    for (const name of ['pia', 'owen', 'olga'] as const) {
      extraIds[name] = await insertUser(org.owner, EXTRA_USERS[name]);
      extraGrants[name] = await insertGrant(org.owner, {
        userId: extraIds[name],
        role: 'preparer',
        entityId: org.entityIds.AP,
      });
    }

    const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-schedules-'));
    for (const [index, content] of [PAYMENTS_V1, PAYMENTS_V2].entries()) {
      const file = path.join(directory, `payments-${index + 1}.csv`);
      writeFileSync(file, content);
      await testApp.services.datasets.importFile(org.actor('pat'), {
        entityCode: 'AP',
        datasetName: 'Payments',
        filePath: file,
        fileName: path.basename(file),
      });
    }
  });

  afterAll(async () => {
    await org?.owner.end();
    await testApp?.close();
    await database?.drop();
  });

  const actorOf = (caller: Caller): Actor =>
    caller in EXTRA_USERS
      ? {
          type: 'user',
          userId: extraIds[caller as keyof typeof EXTRA_USERS],
          email: EXTRA_USERS[caller as keyof typeof EXTRA_USERS],
          channel: 'api',
        }
      : org.actor(caller as keyof typeof USERS);

  const uniqueKey = (prefix: string) => `${prefix}-${++counter}`;

  const draft = (caller: Caller, content: object) =>
    testApp.services.testDefinitions.importDraft(actorOf(caller), 'AP', content);

  /** Draft `content` as `drafter`, have rita approve its activation, and return the version with its activation time. */
  const activate = async (drafter: Caller, content: { key: string }) => {
    const drafted = await draft(drafter, content);
    const request = await testApp.services.testDefinitions.requestActivation(actorOf(drafter), {
      entity: 'AP',
      test: content.key,
      version: drafted.version,
      justification: JUSTIFICATION,
    });
    await testApp.services.changeRequests.approve(org.actor('rita'), request.id, {
      diffSha256: request.diffSha256,
    });
    const row = await org.owner.query<{ decided_at: Date }>(
      'SELECT decided_at FROM test_versions WHERE id = $1',
      [drafted.versionId],
    );
    const activatedAt = row.rows[0]?.decided_at;
    if (activatedAt === undefined) throw new Error(`version ${drafted.versionId} has no decision`);
    return { ...drafted, activatedAt };
  };

  const runsOf = async (testId: string) => {
    const result = await org.owner.query<RunRow>(
      `SELECT id, requested_by, requested_via, preview, test_version_id, inputs
       FROM runs WHERE test_id = $1 ORDER BY requested_at, id`,
      [testId],
    );
    return result.rows;
  };

  const tick = (at: Date) => testApp.services.testScheduler.tick(at);

  describe('definition validation', () => {
    it.each([
      {
        name: 'schedule without bindings',
        content: () => definition('no-bindings', { schedule: DAILY }),
        path: 'bindings',
        message: 'must bind every input when a schedule is set. Add bindings for payments',
      },
      {
        name: 'binding of an undeclared input',
        content: () =>
          definition('undeclared-input', { bindings: { vendors: { dataset: 'Payments' } } }),
        path: 'bindings.vendors',
        message: 'is not a declared input. Bind one of: payments',
      },
      {
        name: 'binding of an undeclared field',
        content: () =>
          definition('undeclared-field', {
            bindings: { payments: { dataset: 'Payments', fields: { vendor: 'VendorNum' } } },
          }),
        path: 'bindings.payments.fields.vendor',
        message: 'is not a field of input payments. Map one of: vendor_id, amount',
      },
      {
        name: 'schedule out of range',
        content: () => scheduled('bad-minute', '61 6 * * *'),
        path: 'schedule',
        message: 'is not a valid cron expression',
      },
      {
        name: 'schedule with a parameter without default',
        content: () => {
          const content = scheduled('no-default', DAILY);
          return {
            ...content,
            parameters: content.parameters.map((parameter) => ({ ...parameter, default: null })),
          };
        },
        path: 'parameters.0.default',
        message: 'must not be null when a schedule is set',
      },
    ])('rejects $name', async ({ content, path: issuePath, message }) => {
      const attempt = draft('pat', content());

      await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(attempt).rejects.toHaveProperty(
        'detail',
        expect.stringContaining(`Invalid test definition at ${issuePath}: ${message}`),
      );
    });

    it('accepts bindings without a schedule', async () => {
      const key = uniqueKey('bound-only');

      const drafted = await draft(
        'pat',
        definition(key, { bindings: { payments: { dataset: 'Payments', version: 1 } } }),
      );

      expect(drafted.state).toBe('draft');
    });
  });

  it('export writes bindings back out', async () => {
    const key = uniqueKey('exported');
    const content = scheduled(key, DAILY, { version: 2 });
    await draft('pat', content);

    const exported = await testApp.services.testDefinitions.export(org.actor('pat'), 'AP', key, 1);

    expect(exported.schedule).toBe(DAILY);
    expect(exported.bindings).toEqual({
      payments: { dataset: 'Payments', version: 2, fields: { vendor_id: 'VendorNum' } },
    });
  });

  it('activation diff carries the bindings', async () => {
    const key = uniqueKey('diffed');
    const drafted = await draft('pat', scheduled(key, DAILY));

    const request = await testApp.services.testDefinitions.requestActivation(org.actor('pat'), {
      entity: 'AP',
      test: key,
      version: drafted.version,
      justification: JUSTIFICATION,
    });

    const after = request.after as { candidate: Record<string, unknown> };
    expect(after.candidate.schedule).toBe(DAILY);
    expect(after.candidate.bindings).toEqual({
      payments: { dataset: 'Payments', fields: { vendor_id: 'VendorNum' } },
    });
  });

  it('bindings are frozen with the version', async () => {
    const key = uniqueKey('frozen');
    const drafted = await draft('pat', scheduled(key, DAILY));

    const update = org.owner.query(
      `UPDATE test_versions SET bindings = '{"payments": {"dataset": "Other"}}' WHERE id = $1`,
      [drafted.versionId],
    );

    await expect(update).rejects.toThrow(/content is immutable/);
  });

  it('due schedule queues one run as the owner', async () => {
    const key = uniqueKey('daily');
    // pat creates the test and so owns it; pia prepares the scheduled version.
    await draft('pat', definition(key));
    const version = await activate('pia', scheduled(key, DAILY));
    const fire = nextFireAfter(DAILY, version.activatedAt);

    const first = await tick(plusSeconds(fire, 30));

    expect(firesOf(first, version.testId)).toEqual([
      {
        testId: version.testId,
        versionId: version.versionId,
        firedAt: fire,
        outcome: 'queued',
        runId: expect.any(String),
      },
    ]);
    const runs = await runsOf(version.testId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      requested_by: org.userIds.pat,
      requested_via: 'schedule',
      preview: false,
      test_version_id: version.versionId,
    });
    const queued = await auditEvents(testApp, org.owner, 'run.queued');
    expect(queued.find((event) => event.target_id === runs[0]?.id)).toMatchObject({
      actor_type: 'user',
      actor_id: org.userIds.pat,
      entity_id: org.entityIds.AP,
      details: { testKey: key, via: 'schedule', preview: false },
    });

    const again = await tick(plusSeconds(fire, 45));

    expect(firesOf(again, version.testId)).toEqual([]);
    expect(await runsOf(version.testId)).toHaveLength(1);

    const nextDay = await tick(plusSeconds(fire, 24 * 60 * 60 + 30));

    expect(firesOf(nextDay, version.testId).map((item) => item.outcome)).toEqual(['queued']);
    expect(await runsOf(version.testId)).toHaveLength(2);
  });

  it('nothing is due before the first fire', async () => {
    const key = uniqueKey('not-yet');
    const version = await activate('pat', scheduled(key, DAILY));
    const fire = nextFireAfter(DAILY, version.activatedAt);

    const early = await tick(plusSeconds(fire, -1));

    expect(firesOf(early, version.testId)).toEqual([]);
    expect(await runsOf(version.testId)).toHaveLength(0);
  });

  it('concurrent ticks queue one run', async () => {
    const key = uniqueKey('raced');
    const version = await activate('pat', scheduled(key, DAILY));
    const at = plusSeconds(nextFireAfter(DAILY, version.activatedAt), 10);

    const ticks = await Promise.all([tick(at), tick(at), tick(at), tick(at)]);

    const outcomes = ticks.flatMap((item) => firesOf(item, version.testId));
    expect(outcomes.filter((item) => item.outcome === 'queued')).toHaveLength(1);
    expect(outcomes.filter((item) => item.outcome === 'failed')).toEqual([]);
    expect(await runsOf(version.testId)).toHaveLength(1);
  });

  it('catch-up after downtime queues one run', async () => {
    const key = uniqueKey('hourly');
    const version = await activate('pat', scheduled(key, HOURLY));
    // Ten days without a tick: 240 hourly fires were missed. The tick comes
    // half past the hour, so the later tick a minute on reaches no new fire.
    const tenDaysOn = plusSeconds(version.activatedAt, 10 * 24 * 60 * 60);
    const latestFire = new Date(Math.floor(tenDaysOn.getTime() / 3_600_000) * 3_600_000);
    const at = plusSeconds(latestFire, 30 * 60);

    const caughtUp = await tick(at);

    expect(firesOf(caughtUp, version.testId)).toEqual([
      expect.objectContaining({ outcome: 'queued', firedAt: latestFire }),
    ]);
    expect(await runsOf(version.testId)).toHaveLength(1);

    const later = await tick(plusSeconds(at, 60));

    expect(firesOf(later, version.testId)).toEqual([]);
    expect(await runsOf(version.testId)).toHaveLength(1);
  });

  it('fixed-version binding runs on that version', async () => {
    const pinned = await activate('pat', scheduled(uniqueKey('pinned'), DAILY, { version: 1 }));
    const latest = await activate('pat', scheduled(uniqueKey('latest'), DAILY));
    const at = plusSeconds(nextFireAfter(DAILY, latest.activatedAt), 30);

    await tick(at);

    const [pinnedRun] = await runsOf(pinned.testId);
    const [latestRun] = await runsOf(latest.testId);
    expect(pinnedRun?.inputs).toEqual([
      expect.objectContaining({
        name: 'payments',
        datasetName: 'Payments',
        version: 1,
        fields: { vendor_id: 'VendorNum', amount: 'amount' },
      }),
    ]);
    expect(latestRun?.inputs).toEqual([expect.objectContaining({ version: 2 })]);

    const outcome = await testApp.services.runs.execute(pinnedRun?.id ?? '', org.userIds.pat);
    const run = await testApp.services.runs.show(org.actor('pat'), pinnedRun?.id ?? '');

    expect(outcome).not.toBeNull();
    expect(run.status).toBe('succeeded');
    expect(run.exceptionCount).toBe(2);
  });

  it('owner without runs.execute gets an audited skip', async () => {
    const key = uniqueKey('owner-demoted');
    const version = await activate('owen', scheduled(key, DAILY));
    // owen keeps seeing AP, but read_only cannot run tests.
    await org.owner.query('DELETE FROM role_grants WHERE id = $1', [extraGrants.owen]);
    await insertGrant(org.owner, {
      userId: extraIds.owen,
      role: 'read_only',
      entityId: org.entityIds.AP,
    });
    const fire = nextFireAfter(DAILY, version.activatedAt);

    const first = await tick(plusSeconds(fire, 30));

    expect(firesOf(first, version.testId)).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'OWNER_NOT_AUTHORIZED' }),
    ]);
    expect(await runsOf(version.testId)).toHaveLength(0);
    const skips = (await auditEvents(testApp, org.owner, 'run.schedule_skipped')).filter(
      (event) => event.target_id === version.versionId,
    );
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({
      outcome: 'denied',
      reason_code: 'OWNER_NOT_AUTHORIZED',
      actor_type: 'user',
      actor_id: extraIds.owen,
      target_type: 'test_version',
      entity_id: org.entityIds.AP,
      details: {
        testId: version.testId,
        schedule: DAILY,
        firedAt: fire.toISOString(),
        errorCode: 'FORBIDDEN',
      },
    });

    const again = await tick(plusSeconds(fire, 45));

    expect(firesOf(again, version.testId)).toEqual([]);
    const skipsAfter = await auditEvents(testApp, org.owner, 'run.schedule_skipped');
    expect(skipsAfter.filter((event) => event.target_id === version.versionId)).toHaveLength(1);
  });

  it('owner out of scope gets an audited skip', async () => {
    const key = uniqueKey('owner-removed');
    const version = await activate('olga', scheduled(key, DAILY));
    await org.owner.query('DELETE FROM role_grants WHERE id = $1', [extraGrants.olga]);
    const fire = nextFireAfter(DAILY, version.activatedAt);

    const result = await tick(plusSeconds(fire, 30));

    expect(firesOf(result, version.testId)).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'OWNER_NOT_AUTHORIZED' }),
    ]);
    expect(await runsOf(version.testId)).toHaveLength(0);
    const skips = await auditEvents(testApp, org.owner, 'run.schedule_skipped');
    expect(skips.find((event) => event.target_id === version.versionId)).toMatchObject({
      outcome: 'denied',
      actor_id: extraIds.olga,
      details: { firedAt: fire.toISOString(), errorCode: null },
    });
  });

  it('missing dataset gets an audited skip', async () => {
    const key = uniqueKey('no-such-version');
    const version = await activate('pat', scheduled(key, DAILY, { version: 9 }));
    const fire = nextFireAfter(DAILY, version.activatedAt);

    const result = await tick(plusSeconds(fire, 30));

    expect(firesOf(result, version.testId)).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'RUN_REQUEST_REJECTED' }),
    ]);
    expect(await runsOf(version.testId)).toHaveLength(0);
    const skips = await auditEvents(testApp, org.owner, 'run.schedule_skipped');
    expect(skips.find((event) => event.target_id === version.versionId)).toMatchObject({
      outcome: 'failure',
      reason_code: 'RUN_REQUEST_REJECTED',
      actor_id: org.userIds.pat,
      details: { errorCode: 'RESOURCE_NOT_FOUND' },
    });
  });

  it('application role cannot read the fire table', async () => {
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    try {
      await expect(app.query('SELECT * FROM test_schedule_fires')).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await app.end();
    }
  });

  it('schedule listing returns only metadata', async () => {
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    try {
      const result = await app.query('SELECT * FROM peytonix_scheduled_tests()');

      expect(result.rows.length).toBeGreaterThan(0);
      expect(result.fields.map((field) => field.name)).toEqual([
        'test_id',
        'entity_id',
        'owner_id',
        'version_id',
        'schedule',
        'activated_at',
        'last_fired_at',
      ]);
    } finally {
      await app.end();
    }
  });
});

describe('test schedule job', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let jobs: JobQueue | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
  });

  afterAll(async () => {
    await jobs?.stop(1_000);
    await testApp?.close();
    await database?.drop();
  });

  it('migration registers the cron', async () => {
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      const result = await owner.query<{ name: string; cron: string; timezone: string }>(
        'SELECT name, cron, timezone FROM pgboss.schedule',
      );

      expect(result.rows).toContainEqual({
        name: 'test-schedules',
        cron: '* * * * *',
        timezone: 'UTC',
      });
    } finally {
      await owner.end();
    }
  });

  it('worker runs a tick job', async () => {
    const definition = testScheduleJobDefinition(testApp.services.testScheduler);
    const started = new JobQueue(database.appUrl, pino({ level: 'silent' }));
    jobs = started;
    await started.start([{ ...definition, pollingIntervalSeconds: 0.5 }], true);

    const id = await started.send(definition.queue, {});

    let state: string | undefined;
    await waitFor(async () => {
      state = (await started.findJob(definition.queue, id))?.state;
      return state === 'completed' || state === 'failed';
    });
    expect(state).toBe('completed');
  });
});
