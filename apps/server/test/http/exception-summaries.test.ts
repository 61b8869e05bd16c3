import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import type { ExceptionStatus, Severity } from '../../src/platform/db/schema.ts';
import { runCliCaptured } from '../support/cli.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const OUTSIDER = 'otto@example.com';
/** Reviewer on AP, so AP and AP-EU are in scope and ORG and AR are not. */
const REVIEWER = 'rita@example.com';
/** Preparer on AP, who has dashboards.read on no entity. */
const PREPARER = 'pia@example.com';
/** Preparer on AP and reviewer on AR, so only the grant on AR gives dashboards.read. */
const MIXED = 'max@example.com';

const TEST_KEY = 'duplicate-payments-exact';

/** Build a payments extract in which each listed (vendor, invoice) is paid twice, 10.00 each time. */
function paymentsCsv(keys: readonly string[]): string {
  const rows = keys.flatMap((key) => [
    `V-${key},INV-${key},10.00,2024-01-01`,
    `V-${key},INV-${key},10.00,2024-01-02`,
  ]);
  return `vendor_id,invoice_number,amount,payment_date\n${rows.join('\n')}\n`;
}

interface ExtraException {
  entity: 'AP' | 'AP-EU';
  status: ExceptionStatus;
  severity: Severity;
  /** Whole days since created_at. */
  ageDays: number;
  /** Days from today to due_on, or null for no due date. */
  dueInDays: number | null;
}

/**
 * Exceptions inserted as the owner after the runs, on the edges of every
 * age bucket and of the overdue rule (due today is not overdue).
 */
const EXTRA_EXCEPTIONS: ExtraException[] = [
  { entity: 'AP', status: 'open', severity: 'low', ageDays: 0, dueInDays: 10 },
  { entity: 'AP', status: 'open', severity: 'medium', ageDays: 30, dueInDays: -1 },
  { entity: 'AP', status: 'in_progress', severity: 'high', ageDays: 31, dueInDays: 0 },
  { entity: 'AP', status: 'proposed', severity: 'critical', ageDays: 60, dueInDays: -5 },
  { entity: 'AP', status: 'open', severity: 'critical', ageDays: 61, dueInDays: null },
  { entity: 'AP', status: 'open', severity: 'low', ageDays: 90, dueInDays: -100 },
  { entity: 'AP', status: 'in_progress', severity: 'medium', ageDays: 91, dueInDays: null },
  { entity: 'AP', status: 'open', severity: 'high', ageDays: 180, dueInDays: -1 },
  { entity: 'AP', status: 'open', severity: 'critical', ageDays: 181, dueInDays: -1 },
  { entity: 'AP', status: 'open', severity: 'low', ageDays: 400, dueInDays: null },
  { entity: 'AP', status: 'closed', severity: 'high', ageDays: 400, dueInDays: -30 },
  { entity: 'AP', status: 'closed', severity: 'medium', ageDays: 10, dueInDays: -1 },
  { entity: 'AP-EU', status: 'open', severity: 'high', ageDays: 45, dueInDays: -2 },
];

const INSERT_EXCEPTION = `
  INSERT INTO exceptions (
    test_id, entity_id, key_hash, key_values, status, payload, first_run_id, last_run_id,
    severity, due_on, created_at, assignee_id, disposition, rationale, proposed_by,
    proposed_at, reviewed_by, reviewed_at, closed_at)
  SELECT t.id, t.entity_id, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), '[]', $2, '{}',
         r.id, r.id, $3, current_date + $5::integer, now() - make_interval(hours => 24 * $4 + 1),
         CASE WHEN $2 IN ('in_progress', 'proposed') THEN $6::uuid END,
         CASE WHEN $2 = 'proposed' THEN 'false_positive' END,
         CASE WHEN $2 = 'proposed' THEN 'A refund already settled it.' END,
         CASE WHEN $2 = 'proposed' THEN $6::uuid END,
         CASE WHEN $2 = 'proposed' THEN now() END,
         CASE WHEN $2 = 'closed' THEN $7::uuid END,
         CASE WHEN $2 = 'closed' THEN now() END,
         CASE WHEN $2 = 'closed' THEN now() END
    FROM test_definitions AS t
    JOIN entities AS e ON e.id = t.entity_id
    JOIN runs AS r ON r.test_id = t.id AND r.run_number = 1
   WHERE e.code = $1 AND t.key = '${TEST_KEY}'`;

const zeroSeverities = { low: 0, medium: 0, high: 0, critical: 0 };

describe('exception summaries', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let admin: Actor;
  const runIds: string[] = [];

  const userId = async (email: string) => {
    const result = await owner.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [
      email,
    ]);
    return result.rows[0]?.id ?? '';
  };

  const importPayments = async (entityCode: string, keys: readonly string[]) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-summaries-')), 'pay.csv');
    writeFileSync(file, paymentsCsv(keys));
    await testApp.services.datasets.importFile(admin, {
      entityCode,
      datasetName: 'Payments',
      filePath: file,
      fileName: 'payments.csv',
    });
  };

  const requestRun = async (entityCode: string, preview = false) => {
    const { runId } = await testApp.services.runs.request(admin, {
      entityCode,
      test: TEST_KEY,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview,
      via: 'api',
    });
    return runId;
  };

  const executeRun = async (entityCode: string, preview = false) => {
    const runId = await requestRun(entityCode, preview);
    const outcome = await testApp.services.runs.execute(
      runId,
      admin.type === 'user' ? admin.userId : '',
    );
    if (outcome?.status !== 'succeeded') throw new Error(`run fixture: ${JSON.stringify(outcome)}`);
    return runId;
  };

  const get = (url: string, user: string) =>
    testApp.app.inject({ method: 'GET', url, headers: { 'x-test-user': user } });

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: OUTSIDER,
      code: 'AP',
      name: 'Payables',
    });
    await createEntityDirectly(database.ownerUrl, {
      code: 'AP-EU',
      parentCode: 'AP',
      type: 'engagement',
    });
    await createEntityDirectly(database.ownerUrl, {
      code: 'AP-EMPTY',
      parentCode: 'AP',
      type: 'engagement',
    });
    await createEntityDirectly(database.ownerUrl, {
      code: 'AR',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    for (const email of [REVIEWER, PREPARER, MIXED]) {
      await owner.query('INSERT INTO users (email, display_name) VALUES ($1, $1)', [email]);
    }
    await grantRoleDirectly(database.ownerUrl, {
      email: REVIEWER,
      role: 'reviewer',
      entityCode: 'AP',
    });
    await grantRoleDirectly(database.ownerUrl, {
      email: PREPARER,
      role: 'preparer',
      entityCode: 'AP',
    });
    await grantRoleDirectly(database.ownerUrl, {
      email: MIXED,
      role: 'preparer',
      entityCode: 'AP',
    });
    await grantRoleDirectly(database.ownerUrl, {
      email: MIXED,
      role: 'reviewer',
      entityCode: 'AR',
    });

    // AP: run 1 flags A and B. Run 2 flags A and C and closes B. Run 3
    // flags all three, so B reopens. Run 4 is cancelled, and a preview
    // follows. Neither of the last two belongs in the trend.
    await importPayments('AP', ['A', 'B']);
    runIds.push(await executeRun('AP'));
    await importPayments('AP', ['A', 'C']);
    runIds.push(await executeRun('AP'));
    await importPayments('AP', ['A', 'B', 'C']);
    runIds.push(await executeRun('AP'));
    await testApp.services.runs.cancel(admin, await requestRun('AP'));
    await executeRun('AP', true);

    // One exception from a run in AP-EU, below AP, and one in AR, beside it.
    await importPayments('AP-EU', ['D']);
    await executeRun('AP-EU');
    await importPayments('AR', ['E']);
    await executeRun('AR');

    const preparerId = await userId(PREPARER);
    const reviewerId = await userId(REVIEWER);
    for (const extra of EXTRA_EXCEPTIONS) {
      const inserted = await owner.query(INSERT_EXCEPTION, [
        extra.entity,
        extra.status,
        extra.severity,
        extra.ageDays,
        extra.dueInDays,
        preparerId,
        reviewerId,
      ]);
      if (inserted.rowCount !== 1) throw new Error(`exception fixture: ${JSON.stringify(extra)}`);
    }
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  describe('counts', () => {
    it('counts subtree by every grouping', async () => {
      const response = await get('/api/v1/exception-summaries/counts?entity=AP', REVIEWER);
      const today = (await owner.query<{ today: string }>('SELECT current_date::text AS today'))
        .rows[0]?.today;

      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.entity).toMatchObject({ code: 'AP', name: 'Payables' });
      expect(body.today).toBe(today);
      expect(body.total).toBe(17);
      expect(body.notClosed).toBe(15);
      expect(body.overdue).toBe(6);
      expect(body.byStatus).toEqual({ open: 12, in_progress: 2, proposed: 1, closed: 2 });
      expect(body.bySeverity).toEqual({ low: 3, medium: 3, high: 8, critical: 3 });
      expect(body.byEntity).toEqual([
        { code: 'AP', name: 'Payables', total: 15, notClosed: 13, overdue: 5 },
        { code: 'AP-EU', name: 'AP-EU', total: 2, notClosed: 2, overdue: 1 },
      ]);
      expect(body.byTest).toEqual([
        { key: TEST_KEY, entityCode: 'AP', total: 15, notClosed: 13, overdue: 5 },
        { key: TEST_KEY, entityCode: 'AP-EU', total: 2, notClosed: 2, overdue: 1 },
      ]);
    });

    it('counts only the named subtree', async () => {
      const engagement = await get('/api/v1/exception-summaries/counts?entity=AP-EU', REVIEWER);
      const organization = await get('/api/v1/exception-summaries/counts?entity=ORG', ADMIN);

      expect(engagement.statusCode, engagement.body).toBe(200);
      expect(engagement.json()).toMatchObject({ total: 2, notClosed: 2, overdue: 1 });
      expect(engagement.json().byEntity.map((row: { code: string }) => row.code)).toEqual([
        'AP-EU',
      ]);
      expect(organization.statusCode, organization.body).toBe(200);
      expect(organization.json()).toMatchObject({ total: 18, notClosed: 16, overdue: 6 });
      expect(organization.json().byEntity.map((row: { code: string }) => row.code)).toEqual([
        'AP',
        'AP-EU',
        'AR',
      ]);
    });

    it('reads zero for an entity without exceptions', async () => {
      const response = await get('/api/v1/exception-summaries/counts?entity=AP-EMPTY', REVIEWER);

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toMatchObject({
        total: 0,
        notClosed: 0,
        overdue: 0,
        byStatus: { open: 0, in_progress: 0, proposed: 0, closed: 0 },
        bySeverity: zeroSeverities,
        byEntity: [],
        byTest: [],
      });
    });
  });

  describe('ageing', () => {
    it('buckets exceptions not closed by whole days of age', async () => {
      const response = await get('/api/v1/exception-summaries/ageing?entity=AP', REVIEWER);

      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.entity).toMatchObject({ code: 'AP' });
      expect(Date.parse(body.asOf)).not.toBeNaN();
      expect(body.total).toBe(15);
      expect(body.buckets).toEqual([
        {
          label: '0-30',
          minDays: 0,
          maxDays: 30,
          count: 6,
          bySeverity: { low: 1, medium: 1, high: 4, critical: 0 },
        },
        {
          label: '31-60',
          minDays: 31,
          maxDays: 60,
          count: 3,
          bySeverity: { low: 0, medium: 0, high: 2, critical: 1 },
        },
        {
          label: '61-90',
          minDays: 61,
          maxDays: 90,
          count: 2,
          bySeverity: { low: 1, medium: 0, high: 0, critical: 1 },
        },
        {
          label: '91-180',
          minDays: 91,
          maxDays: 180,
          count: 2,
          bySeverity: { low: 0, medium: 1, high: 1, critical: 0 },
        },
        {
          label: '181+',
          minDays: 181,
          maxDays: null,
          count: 2,
          bySeverity: { low: 1, medium: 0, high: 0, critical: 1 },
        },
      ]);
    });
  });

  describe('trend', () => {
    const trendUrl = (query: string) => `/api/v1/exception-summaries/trend?${query}`;

    it('lists succeeded real runs oldest first', async () => {
      const response = await get(trendUrl(`entity=AP&test=${TEST_KEY}`), REVIEWER);

      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.entity).toMatchObject({ code: 'AP' });
      expect(body.test).toMatchObject({ key: TEST_KEY });
      expect(body.runs.map((run: { id: string }) => run.id)).toEqual(runIds);
      expect(body.runs).toMatchObject([
        { runNumber: 1, new: 2, recurring: 0, reopened: 0, closed: 0 },
        { runNumber: 2, new: 1, recurring: 1, reopened: 0, closed: 1 },
        { runNumber: 3, new: 0, recurring: 2, reopened: 1, closed: 0 },
      ]);
      for (const run of body.runs) expect(Date.parse(run.finishedAt)).not.toBeNaN();
    });

    it('limits to the latest runs', async () => {
      const response = await get(trendUrl(`entity=AP&test=${TEST_KEY}&runs=2`), REVIEWER);

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().runs.map((run: { runNumber: number }) => run.runNumber)).toEqual([
        2, 3,
      ]);
    });

    it('returns 404 for unknown test', async () => {
      const response = await get(trendUrl('entity=AP&test=no-such-test'), REVIEWER);

      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('RESOURCE_NOT_FOUND');
    });
  });

  describe('authorization', () => {
    const routes = ['counts?entity=', 'ageing?entity=', `trend?test=${TEST_KEY}&entity=`].map(
      (route) => (code: string) => `/api/v1/exception-summaries/${route}${code}`,
    );

    it('answers out of scope exactly as missing', async () => {
      for (const url of routes) {
        for (const outside of ['ORG', 'AR']) {
          const hidden = await get(url(outside), REVIEWER);
          const missing = await get(url('NOPE'), REVIEWER);

          expect(hidden.statusCode, `${url(outside)} ${hidden.body}`).toBe(404);
          expect(hidden.json().code).toBe('RESOURCE_NOT_FOUND');
          expect(hidden.json().detail.replaceAll(outside, 'X')).toBe(
            missing.json().detail.replaceAll('NOPE', 'X'),
          );
        }
      }
    });

    it('forbids a preparer without dashboards.read', async () => {
      for (const url of routes) {
        const response = await get(url('AP'), PREPARER);

        expect(response.statusCode, response.body).toBe(403);
        expect(response.json().code).toBe('FORBIDDEN');
      }
    });

    it('forbids entity without dashboards.read', async () => {
      const forbidden = await get('/api/v1/exception-summaries/counts?entity=AP', MIXED);
      const permitted = await get('/api/v1/exception-summaries/counts?entity=AR', MIXED);

      expect(forbidden.statusCode, forbidden.body).toBe(403);
      expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN', permission: 'dashboards.read' });
      expect(permitted.statusCode, permitted.body).toBe(200);
      expect(permitted.json()).toMatchObject({ total: 1, notClosed: 1 });
    });
  });

  describe('validation', () => {
    const cases: [string, string][] = [
      ['counts', 'querystring/entity: missing'],
      ['counts?entity=not%20a%20code', '"not a code" is not an entity code'],
      ['counts?entity=AP&entity=AR', 'expected an entity code once, not ["AP","AR"]'],
      ['counts?entity=AP&status=open', 'unknown query parameter status'],
      ['ageing', 'querystring/entity: missing'],
      ['trend?entity=AP', 'querystring/test: missing'],
      ['trend?entity=AP&test=Not_A_Key', '"Not_A_Key" is not a test key'],
      [`trend?entity=AP&test=${TEST_KEY}&runs=0`, 'not 0'],
      [`trend?entity=AP&test=${TEST_KEY}&runs=101`, 'not 101'],
      [`trend?entity=AP&test=${TEST_KEY}&runs=2.5`, 'not "2.5"'],
      [`trend?entity=AP&test=${TEST_KEY}&runs=ten`, 'not "ten"'],
    ];

    for (const [query, named] of cases) {
      it(`rejects ${query}`, async () => {
        const response = await get(`/api/v1/exception-summaries/${query}`, REVIEWER);

        expect(response.statusCode, response.body).toBe(400);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().code).toBe('VALIDATION_FAILED');
        expect(response.json().detail).toContain(named);
      });
    }

    it('service rejects run count 0', async () => {
      await expect(
        testApp.services.exceptionSummaries.trend(admin, {
          entityCode: 'AP',
          testKey: TEST_KEY,
          runs: 0,
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });

  describe('CLI', () => {
    const cliEnv = () => ({
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-cli-summaries-')),
      PEYTONIX_AS: REVIEWER,
    });

    it('prints the same counts as the API', async () => {
      const api = (await get('/api/v1/exception-summaries/counts?entity=AP', REVIEWER)).json();

      const json = await runCliCaptured(
        ['exceptions', 'summary', '--entity', 'AP', '--json'],
        cliEnv(),
      );
      const text = await runCliCaptured(['exceptions', 'summary', '--entity', 'AP'], cliEnv());

      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual(api);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain('17 total, 15 not closed, 6 overdue');
      expect(text.stdout).toContain('by status: open 12, in_progress 2, proposed 1, closed 2');
      expect(text.stdout).toContain(`AP-EU/${TEST_KEY}: 2 total, 2 not closed, 1 overdue`);
    });

    it('exits 2 on invalid entity code', async () => {
      const result = await runCliCaptured(
        ['exceptions', 'summary', '--entity', 'not a code'],
        cliEnv(),
      );

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('Invalid --entity "not a code"');
    });
  });
});
