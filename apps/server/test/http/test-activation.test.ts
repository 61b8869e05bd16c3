import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import {
  auditEvents,
  expectedDiffSha256,
  insertGrant,
  insertUser,
  type Organization,
  seedOrganization,
  USERS,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface ChangeRequestBody {
  id: string;
  kind: string;
  entityId: string;
  targetType: string;
  targetKey: string;
  status: string;
  requestedBy: string;
  decidedBy: string | null;
  before: {
    testId: string;
    testKey: string;
    activeVersion: { id: string; version: number } | null;
    candidate: { id: string; version: number; state: string };
  };
  after: {
    activeVersion: { id: string; version: number };
    candidate: Record<string, unknown> & { id: string; version: number; sql: string };
  };
  diffSha256: string;
}

interface VersionRow {
  version: number;
  state: string;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
}

/**
 * Users beyond the shared organization: pia prepares on AP, xena both
 * prepares and reviews on AP, rob only reads AP, and ron reads AP but
 * prepares on AR.
 */
const EXTRA_USERS = {
  pia: 'pia@example.com',
  xena: 'xena@example.com',
  rob: 'rob@example.com',
  ron: 'ron@example.com',
} as const;

type Caller = keyof typeof USERS | keyof typeof EXTRA_USERS;

const EMAILS: Record<Caller, string> = { ...USERS, ...EXTRA_USERS };

const JUSTIFICATION = 'The reviewed definition replaces the manual payment check.';

const PAYMENTS_CSV = 'vendor_id,amount\nV1,50.00\nV2,70.00\nV3,120.00\n';

/** Build a definition as `peytonix tests import` reads it from YAML. The threshold sets which payments it flags. */
function definition(key: string, threshold: string) {
  return {
    key,
    name: 'Large payments',
    severity: 'medium',
    controlReference: 'AP-07',
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
        default: threshold,
        description: 'Smallest flagged amount.',
      },
    ],
    keyColumns: ['vendor_id', 'amount'],
    // The literal makes the SQL of each threshold differ, so a run shows which version it used.
    sql: `SELECT DISTINCT vendor_id, amount FROM payments WHERE amount >= $threshold AND amount >= ${threshold} ORDER BY vendor_id`,
  };
}

describe('test activation requests', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;
  const extraIds = {} as Record<keyof typeof EXTRA_USERS, string>;
  let counter = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    org = await seedOrganization(testApp, database.ownerUrl);

    for (const name of ['pia', 'xena', 'rob', 'ron'] as const) {
      extraIds[name] = await insertUser(org.owner, EXTRA_USERS[name]);
    }
    const grants: [keyof typeof EXTRA_USERS, string, string][] = [
      ['pia', 'preparer', org.entityIds.AP],
      ['xena', 'preparer', org.entityIds.AP],
      ['xena', 'reviewer', org.entityIds.AP],
      ['rob', 'read_only', org.entityIds.AP],
      ['ron', 'read_only', org.entityIds.AP],
      ['ron', 'preparer', org.entityIds.AR],
    ];
    for (const [name, role, entityId] of grants) {
      await insertGrant(org.owner, { userId: extraIds[name], role, entityId });
    }

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-activation-')), 'pay.csv');
    writeFileSync(file, PAYMENTS_CSV);
    await testApp.services.datasets.importFile(org.actor('pat'), {
      entityCode: 'AP',
      datasetName: 'Payments',
      filePath: file,
      fileName: 'pay.csv',
    });
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
          email: EMAILS[caller],
          channel: 'api',
        }
      : org.actor(caller as keyof typeof USERS);

  const uniqueKey = (prefix: string) => `${prefix}-${++counter}`;

  const call = (method: 'GET' | 'POST', url: string, caller: Caller, payload?: object) =>
    testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': EMAILS[caller] },
      ...(payload === undefined ? {} : { payload }),
    });

  /** Draft a version of `key` in `entityCode` as `caller`, and return its number and id. */
  const draft = async (caller: Caller, key: string, threshold = '60', entityCode = 'AP') =>
    await testApp.services.testDefinitions.importDraft(
      actorOf(caller),
      entityCode,
      definition(key, threshold),
    );

  const requestActivation = (
    caller: Caller,
    target: { test: string; version: number; entity?: string },
  ) =>
    call('POST', '/api/v1/test-activation-requests', caller, {
      entity: target.entity ?? 'AP',
      test: target.test,
      version: target.version,
      justification: JUSTIFICATION,
    });

  const requested = async (caller: Caller, target: { test: string; version: number }) => {
    const response = await requestActivation(caller, target);
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as ChangeRequestBody;
  };

  const approve = (request: ChangeRequestBody, caller: Caller, diffSha256 = request.diffSha256) =>
    call('POST', `/api/v1/change-requests/${request.id}/approve`, caller, { diffSha256 });

  const versionRow = async (versionId: string) => {
    const result = await org.owner.query<VersionRow>(
      'SELECT version, state, decided_by, decided_at, decision_note FROM test_versions WHERE id = $1',
      [versionId],
    );
    return result.rows[0];
  };

  const requestStatus = async (id: string) => {
    const result = await org.owner.query<{ status: string }>(
      'SELECT status FROM change_requests WHERE id = $1',
      [id],
    );
    return result.rows[0]?.status;
  };

  /** Run the test for real as pat and return what the run executed. */
  const runForReal = async (key: string) => {
    const { runId } = await testApp.services.runs.request(org.actor('pat'), {
      entityCode: 'AP',
      test: key,
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: {},
      parameters: {},
      preview: false,
      via: 'api',
    });
    await testApp.services.runs.execute(runId, org.userIds.pat);
    return await testApp.services.runs.show(org.actor('pat'), runId);
  };

  it('approved draft becomes active and runs', async () => {
    const key = uniqueKey('large-payments');
    const drafted = await draft('pat', key);

    const request = await requested('pat', { test: key, version: drafted.version });

    expect(request.kind).toBe('test_version.activate');
    expect(request.targetType).toBe('test_version');
    expect(request.targetKey).toBe(`test_version:${drafted.versionId}`);
    expect(request.entityId).toBe(org.entityIds.AP);
    expect(request.status).toBe('pending');
    expect(request.before).toEqual({
      testId: drafted.testId,
      testKey: key,
      activeVersion: null,
      candidate: { id: drafted.versionId, version: 1, state: 'draft' },
    });
    expect(request.after.activeVersion).toEqual({ id: drafted.versionId, version: 1 });
    expect(request.after.candidate).toMatchObject({
      state: 'active',
      name: 'Large payments',
      severity: 'medium',
      sql: definition(key, '60').sql,
      summarySql: null,
      keyColumns: ['vendor_id', 'amount'],
      parameters: definition(key, '60').parameters,
      inputs: definition(key, '60').inputs,
      preparedBy: org.userIds.pat,
    });
    expect(request.diffSha256).toBe(expectedDiffSha256(request));

    const approved = await approve(request, 'rita');

    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'applied', decidedBy: org.userIds.rita });
    const row = await versionRow(drafted.versionId);
    expect(row?.state).toBe('active');
    expect(row?.decided_by).toBe(org.userIds.rita);
    expect(row?.decided_at).toBeInstanceOf(Date);
    expect(row?.decision_note).toContain(request.id);
    const activated = await auditEvents(testApp, org.owner, 'test_definition.activated');
    expect(activated.at(-1)).toMatchObject({
      actor_id: org.userIds.rita,
      target_id: drafted.versionId,
      entity_id: org.entityIds.AP,
      details: {
        test: key,
        version: 1,
        supersededVersion: null,
        changeRequestId: request.id,
        requestedBy: org.userIds.pat,
        preparedBy: org.userIds.pat,
      },
    });

    const run = await runForReal(key);

    expect(run.status).toBe('succeeded');
    expect(run.preview).toBe(false);
    expect(run.testVersion).toBe(1);
    expect(run.sql).toBe(definition(key, '60').sql);
    expect(run.exceptionCount).toBe(2);
  });

  it('activating v2 supersedes v1', async () => {
    const key = uniqueKey('large-payments');
    const first = await draft('pat', key, '60');
    await approve(await requested('pat', { test: key, version: 1 }), 'rita');
    const second = await draft('pia', key, '100');

    const request = await requested('pat', { test: key, version: second.version });

    expect(request.before.activeVersion).toEqual({ id: first.versionId, version: 1 });
    expect(request.before.candidate).toEqual({ id: second.versionId, version: 2, state: 'draft' });
    const approved = await approve(request, 'bob');
    expect(approved.statusCode, approved.body).toBe(200);
    expect((await versionRow(first.versionId))?.state).toBe('superseded');
    expect((await versionRow(second.versionId))?.state).toBe('active');
    const superseded = await auditEvents(testApp, org.owner, 'test_definition.superseded');
    expect(superseded.at(-1)).toMatchObject({
      actor_id: org.userIds.bob,
      target_id: first.versionId,
      details: { test: key, version: 1, supersededByVersion: 2, changeRequestId: request.id },
    });
    const activated = await auditEvents(testApp, org.owner, 'test_definition.activated');
    expect(activated.at(-1)).toMatchObject({
      target_id: second.versionId,
      details: { version: 2, supersededVersion: 1, preparedBy: extraIds.pia },
    });

    const run = await runForReal(key);

    expect(run.testVersion).toBe(2);
    expect(run.sql).toBe(definition(key, '100').sql);
    expect(run.exceptionCount).toBe(1);
  });

  it('diff hash covers the SQL', async () => {
    const key = uniqueKey('hashed');
    await draft('pat', key);
    const request = await requested('pat', { test: key, version: 1 });
    const otherSql = {
      ...request,
      after: { ...request.after, candidate: { ...request.after.candidate, sql: 'SELECT 1' } },
    };
    const hashOfOtherSql = expectedDiffSha256(otherSql);

    const response = await approve(request, 'rita', hashOfOtherSql);

    expect(hashOfOtherSql).not.toBe(request.diffSha256);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'CHANGE_REQUEST_DIFF_MISMATCH',
      diffSha256: request.diffSha256,
    });
    expect(await requestStatus(request.id)).toBe('pending');
  });

  it('preparer of the version cannot approve', async () => {
    const key = uniqueKey('prepared-by-xena');
    const drafted = await draft('xena', key);
    const request = await requested('pia', { test: key, version: drafted.version });

    const response = await approve(request, 'xena');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_PREPARER_CANNOT_REVIEW');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      outcome: 'denied',
      reason_code: 'SOD_PREPARER_CANNOT_REVIEW',
      actor_id: extraIds.xena,
      target_type: 'test_version',
      target_id: drafted.versionId,
      entity_id: org.entityIds.AP,
    });
    expect((await versionRow(drafted.versionId))?.state).toBe('draft');
    expect(await requestStatus(request.id)).toBe('pending');

    const byAnotherReviewer = await approve(request, 'rita');

    expect(byAnotherReviewer.statusCode, byAnotherReviewer.body).toBe(200);
    expect((await versionRow(drafted.versionId))?.state).toBe('active');
  });

  it('author cannot approve', async () => {
    const key = uniqueKey('requested-by-xena');
    const drafted = await draft('pat', key);
    const request = await requested('xena', { test: key, version: drafted.version });

    const response = await approve(request, 'xena');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_AUTHOR_CANNOT_APPROVE');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_AUTHOR_CANNOT_APPROVE',
      actor_id: extraIds.xena,
    });
    expect((await versionRow(drafted.versionId))?.state).toBe('draft');
  });

  it('read_only and reviewer cannot request', async () => {
    const key = uniqueKey('not-requestable');
    await draft('pat', key);

    for (const caller of ['rob', 'rita'] as const) {
      const response = await requestActivation(caller, { test: key, version: 1 });
      expect(response.statusCode, caller).toBe(403);
      expect(response.json(), caller).toMatchObject({
        code: 'FORBIDDEN',
        permission: 'tests.draft',
      });
    }
  });

  it('service rejects read_only on entity', async () => {
    const key = uniqueKey('read-only-here');
    await draft('pat', key);

    // ron prepares on AR, so he passes the route check, but only reads AP.
    const response = await requestActivation('ron', { test: key, version: 1 });

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN', permission: 'tests.draft' });
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      reason_code: 'PERMISSION_REQUIRED',
      actor_id: extraIds.ron,
      entity_id: org.entityIds.AP,
      details: { permission: 'tests.draft' },
    });
  });

  it('out of scope reads as missing', async () => {
    const key = uniqueKey('in-ar');
    await draft('ron', key, '60', 'AR');

    const outOfScope = await requestActivation('pat', { entity: 'AR', test: key, version: 1 });
    const missingEntity = await requestActivation('pat', { entity: 'NOPE', test: key, version: 1 });

    expect(outOfScope.statusCode).toBe(404);
    expect(missingEntity.statusCode).toBe(404);
    expect(outOfScope.json().code).toBe('RESOURCE_NOT_FOUND');
    expect(outOfScope.json().detail.replace('"AR"', '"NOPE"')).toBe(missingEntity.json().detail);
  });

  it('unknown test and version read alike', async () => {
    const key = uniqueKey('known');
    await draft('pat', key);

    const unknownVersion = await requestActivation('pat', { test: key, version: 9 });
    const unknownTest = await requestActivation('pat', { test: 'no-such-test', version: 9 });

    expect(unknownVersion.statusCode).toBe(404);
    expect(unknownTest.statusCode).toBe(404);
    expect(unknownVersion.json().code).toBe('RESOURCE_NOT_FOUND');
    expect(unknownVersion.json().detail.replace(key, 'no-such-test')).toBe(
      unknownTest.json().detail,
    );
  });

  it('active or superseded version cannot be requested', async () => {
    const key = uniqueKey('already-active');
    await draft('pat', key);
    await approve(await requested('pat', { test: key, version: 1 }), 'rita');

    const active = await requestActivation('pat', { test: key, version: 1 });

    expect(active.statusCode).toBe(422);
    expect(active.json()).toMatchObject({ code: 'BUSINESS_RULE_VIOLATED', state: 'active' });

    await draft('pat', key, '100');
    await approve(await requested('pat', { test: key, version: 2 }), 'rita');
    const superseded = await requestActivation('pat', { test: key, version: 1 });

    expect(superseded.statusCode).toBe(422);
    expect(superseded.json()).toMatchObject({
      code: 'BUSINESS_RULE_VIOLATED',
      state: 'superseded',
    });
  });

  it('second pending request conflicts', async () => {
    const key = uniqueKey('pending-twice');
    await draft('pat', key);
    const first = await requested('pat', { test: key, version: 1 });

    const second = await requestActivation('pia', { test: key, version: 1 });

    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CONFLICT', changeRequestId: first.id });
  });

  it('another activation makes the request stale', async () => {
    const key = uniqueKey('stale');
    const first = await draft('pat', key, '60');
    const second = await draft('pat', key, '100');
    const forFirst = await requested('pat', { test: key, version: 1 });
    const forSecond = await requested('pia', { test: key, version: 2 });
    expect((await approve(forSecond, 'rita')).statusCode).toBe(200);

    const response = await approve(forFirst, 'rita');

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'CHANGE_REQUEST_STALE', requestStatus: 'stale' });
    expect(await requestStatus(forFirst.id)).toBe('stale');
    expect((await versionRow(first.versionId))?.state).toBe('draft');
    expect((await versionRow(second.versionId))?.state).toBe('active');
    const stale = await auditEvents(testApp, org.owner, 'change_request.stale');
    expect(stale.at(-1)).toMatchObject({
      target_id: forFirst.id,
      details: { kind: 'test_version.activate', target: `test_version:${first.versionId}` },
    });
  });

  it('candidate leaving draft makes request stale', async () => {
    const key = uniqueKey('left-draft');
    const drafted = await draft('pat', key);
    const request = await requested('pat', { test: key, version: 1 });
    await org.owner.query("UPDATE test_versions SET state = 'rejected' WHERE id = $1", [
      drafted.versionId,
    ]);

    const response = await approve(request, 'rita');

    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('CHANGE_REQUEST_STALE');
    expect((await versionRow(drafted.versionId))?.state).toBe('rejected');
  });

  it('service rejects an invalid request', async () => {
    const attempt = testApp.services.testDefinitions.requestActivation(actorOf('pat'), {
      entity: 'AP',
      test: 'Not A Key',
      version: 1,
      justification: JUSTIFICATION,
    });

    await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
  describe('definitions over HTTP', () => {
    it('drafts a version, lists versions and reads a definition', async () => {
      const key = uniqueKey('http-draft');

      const first = await call('POST', '/api/v1/tests/drafts', 'pia', {
        entity: 'AP',
        definition: definition(key, '60'),
      });
      const second = await call('POST', '/api/v1/tests/drafts', 'pia', {
        entity: 'AP',
        definition: definition(key, '90'),
      });
      const versions = await call('GET', `/api/v1/tests/${key}/versions?entity=AP`, 'rob');
      const shown = await call('GET', `/api/v1/tests/${key}/definition?entity=AP&version=2`, 'rob');

      expect(first.statusCode, first.body).toBe(201);
      expect(first.json()).toMatchObject({ key, version: 1, state: 'draft' });
      expect(second.json()).toMatchObject({ version: 2, state: 'draft' });
      expect(versions.statusCode).toBe(200);
      expect(
        (versions.json() as { versions: { version: number; state: string }[] }).versions,
      ).toMatchObject([
        { version: 2, state: 'draft' },
        { version: 1, state: 'draft' },
      ]);
      expect(shown.statusCode).toBe(200);
      expect(shown.json()).toMatchObject({ key, version: 2, state: 'draft' });
      expect((shown.json() as { sql: string }).sql).toContain('amount >= 90');
    });

    it('reports a test without an active version', async () => {
      const key = uniqueKey('http-inactive');
      await draft('pia', key);

      const shown = await call('GET', `/api/v1/tests/${key}/definition?entity=AP`, 'rob');

      expect(shown.statusCode).toBe(404);
    });

    it('rejects a draft that writes', async () => {
      const key = uniqueKey('http-write');

      const drafted = await call('POST', '/api/v1/tests/drafts', 'pia', {
        entity: 'AP',
        definition: { ...definition(key, '60'), sql: 'DELETE FROM payments' },
      });

      expect(drafted.statusCode).toBeGreaterThanOrEqual(400);
      expect(drafted.statusCode).toBeLessThan(500);
    });

    it.each([
      ['a bidi override in the SQL', { sql: 'SELECT 1 AS x -- \u202e } \u2066\nAND 1=1' }, 'sql'],
      ['a NUL in the name', { name: 'Large\u0000payments' }, 'name'],
      ['a zero-width space in the description', { description: 'Paid\u200btwice' }, 'description'],
    ])('rejects a draft with %s', async (_case, change, field) => {
      const key = uniqueKey('http-hidden');

      const drafted = await call('POST', '/api/v1/tests/drafts', 'pia', {
        entity: 'AP',
        definition: { ...definition(key, '60'), ...change },
      });

      expect(drafted.statusCode).toBe(400);
      expect(drafted.body).toContain(field);
      expect(drafted.body).toMatch(/contains U\+[0-9A-F]{4}/);
    });

    it('keeps readers and outsiders from drafting', async () => {
      const key = uniqueKey('http-denied');

      const reader = await call('POST', '/api/v1/tests/drafts', 'rob', {
        entity: 'AP',
        definition: definition(key, '60'),
      });
      const outsider = await call('POST', '/api/v1/tests/drafts', 'ron', {
        entity: 'AP',
        definition: definition(key, '60'),
      });
      const hidden = await call('GET', `/api/v1/tests/${key}/versions?entity=AR`, 'rob');

      expect(reader.statusCode).toBe(403);
      expect(outsider.statusCode).toBe(403);
      expect([403, 404]).toContain(hidden.statusCode);
    });
  });
});
