import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  backdateChangeRequest,
  expectedDiffSha256,
  type Organization,
  seedOrganization,
  USERS,
  type UserName,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface ChangeRequestBody {
  id: string;
  kind: string;
  targetKey: string;
  status: string;
  before: unknown;
  after: unknown;
  diffSha256: string;
  approvedDiffSha256: string | null;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
}

const TTL = 'change_requests.ttl_hours';

describe('change requests API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    org = await seedOrganization(testApp, database.ownerUrl);
  });

  afterAll(async () => {
    await org?.owner.end();
    await testApp?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, user: UserName, payload?: object) =>
    testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': USERS[user] },
      ...(payload === undefined ? {} : { payload }),
    });

  const requestTtl = async (value: unknown, user: UserName = 'ada') => {
    const response = await call('POST', `/api/v1/settings/${TTL}/change-requests`, user, {
      value,
      justification: 'Align the approval window with the quarterly close.',
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as ChangeRequestBody;
  };

  const approve = (request: ChangeRequestBody, user: UserName, diffSha256 = request.diffSha256) =>
    call('POST', `/api/v1/change-requests/${request.id}/approve`, user, { diffSha256 });

  const reject = (request: ChangeRequestBody, user: UserName) =>
    call('POST', `/api/v1/change-requests/${request.id}/reject`, user, {
      note: 'Not during the close.',
    });

  const statusOf = async (id: string) => {
    const result = await org.owner.query<{ status: string }>(
      'SELECT status FROM change_requests WHERE id = $1',
      [id],
    );
    return result.rows[0]?.status;
  };

  const ttlSetting = async () => {
    const response = await call('GET', '/api/v1/settings', 'ada');
    const items = (response.json() as { items: { key: string; value: unknown; version: number }[] })
      .items;
    return items.find((item) => item.key === TTL);
  };

  it('stores before, after and the diff hash', async () => {
    const request = await requestTtl(48);

    expect(request).toMatchObject({
      kind: 'setting.update',
      targetKey: TTL,
      status: 'pending',
      before: { key: TTL, value: 168, version: 0 },
      after: { key: TTL, value: 48, version: 1 },
      requestedBy: org.userIds.ada,
      decidedBy: null,
    });
    expect(request.diffSha256).toBe(expectedDiffSha256(request));
    const hours = (Date.parse(request.expiresAt) - Date.parse(request.requestedAt)) / 3_600_000;
    expect(hours).toBeCloseTo(168, 3);

    const created = await auditEvents(testApp, org.owner, 'change_request.created');
    expect(created.at(-1)).toMatchObject({
      actor_id: org.userIds.ada,
      target_id: request.id,
      entity_id: org.entityIds.ORG,
      details: { kind: 'setting.update', diffSha256: request.diffSha256 },
    });

    await reject(request, 'bob');
  });

  it('approval applies the change and audits it', async () => {
    const request = await requestTtl(48);

    const response = await approve(request, 'bob');

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'applied',
      decidedBy: org.userIds.bob,
      approvedDiffSha256: request.diffSha256,
    });
    expect(await ttlSetting()).toMatchObject({ value: 48, version: 1 });

    const approved = await auditEvents(testApp, org.owner, 'change_request.approved');
    expect(approved.at(-1)).toMatchObject({
      actor_id: org.userIds.bob,
      target_id: request.id,
      details: { approvedDiffSha256: request.diffSha256, requestedBy: org.userIds.ada },
    });
    const applied = await auditEvents(testApp, org.owner, 'change_request.applied');
    expect(applied.at(-1)).toMatchObject({ actor_id: org.userIds.bob, target_id: request.id });
    const changed = await auditEvents(testApp, org.owner, 'setting.changed');
    expect(changed.at(-1)).toMatchObject({
      details: { setting: TTL, from: 168, to: 48, version: 1, changeRequestId: request.id },
    });
  });

  it('author approval is rejected and audited', async () => {
    const request = await requestTtl(72);

    const response = await approve(request, 'ada');

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'SOD_AUTHOR_CANNOT_APPROVE' });
    expect(await statusOf(request.id)).toBe('pending');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      outcome: 'denied',
      reason_code: 'SOD_AUTHOR_CANNOT_APPROVE',
      actor_id: org.userIds.ada,
      target_type: 'change_request',
      target_id: request.id,
    });

    await reject(request, 'bob');
  });

  it('author rejection is rejected', async () => {
    const request = await requestTtl(72);

    const response = await reject(request, 'ada');

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'SOD_AUTHOR_CANNOT_APPROVE' });
    expect(await statusOf(request.id)).toBe('pending');
    await reject(request, 'bob');
  });

  it('diff hash mismatch is rejected', async () => {
    const request = await requestTtl(72);

    const response = await approve(request, 'bob', 'ab'.repeat(32));

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'CHANGE_REQUEST_DIFF_MISMATCH',
      diffSha256: request.diffSha256,
    });
    expect(await statusOf(request.id)).toBe('pending');
    expect(await ttlSetting()).toMatchObject({ value: 48 });
    await reject(request, 'bob');
  });

  it('rejected request cannot be approved later', async () => {
    const request = await requestTtl(96);
    const rejected = await reject(request, 'bob');
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      decisionNote: 'Not during the close.',
    });

    const response = await approve(request, 'rita');

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'CHANGE_REQUEST_CLOSED',
      requestStatus: 'rejected',
    });
    expect(await statusOf(request.id)).toBe('rejected');
    expect(await ttlSetting()).toMatchObject({ value: 48 });
    const rejections = await auditEvents(testApp, org.owner, 'change_request.rejected');
    expect(rejections.at(-1)).toMatchObject({ actor_id: org.userIds.bob, target_id: request.id });
  });

  it('stale setting request is not applied', async () => {
    const request = await requestTtl(24);
    // Another change reaches the setting after the request was made.
    await org.owner.query(
      `UPDATE platform_settings SET value = '36', version = version + 1 WHERE key = $1`,
      [TTL],
    );

    const response = await approve(request, 'bob');

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'CHANGE_REQUEST_STALE' });
    expect(await statusOf(request.id)).toBe('stale');
    expect(await ttlSetting()).toMatchObject({ value: 36, version: 2 });
    const stale = await auditEvents(testApp, org.owner, 'change_request.stale');
    expect(stale.at(-1)).toMatchObject({ actor_id: org.userIds.bob, target_id: request.id });

    const again = await approve(request, 'bob');
    expect(again.json()).toMatchObject({
      code: 'CHANGE_REQUEST_CLOSED',
      status: 409,
      requestStatus: 'stale',
    });
  });

  it('stale move request is not applied after a rename', async () => {
    const created = await call(
      'POST',
      `/api/v1/entities/${org.entityIds['AP-ENG']}/move-requests`,
      'ada',
      {
        newParentCode: 'AR',
        justification: 'The engagement now covers receivables.',
      },
    );
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;
    const renamed = await call('PATCH', `/api/v1/entities/${org.entityIds['AP-ENG']}`, 'ada', {
      name: 'Payables engagement 2025',
    });
    expect(renamed.statusCode).toBe(200);

    const response = await approve(request, 'bob');

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'CHANGE_REQUEST_STALE' });
    const parent = await org.owner.query<{ parent_id: string }>(
      'SELECT parent_id FROM entities WHERE id = $1',
      [org.entityIds['AP-ENG']],
    );
    expect(parent.rows[0]?.parent_id).toBe(org.entityIds.AP);
  });

  it('expired request reads as expired and closes on approval', async () => {
    const request = await requestTtl(12);
    await backdateChangeRequest(org.owner, request.id);

    const shown = await call('GET', `/api/v1/change-requests/${request.id}`, 'bob');
    expect(shown.json()).toMatchObject({ status: 'expired' });
    const pending = await call('GET', '/api/v1/change-requests?status=pending', 'bob');
    const pendingIds = (pending.json() as { items: { id: string }[] }).items.map((item) => item.id);
    expect(pendingIds).not.toContain(request.id);
    const expiredList = await call('GET', '/api/v1/change-requests?status=expired', 'bob');
    const expiredIds = (expiredList.json() as { items: { id: string }[] }).items.map(
      (item) => item.id,
    );
    expect(expiredIds).toContain(request.id);

    const response = await approve(request, 'bob');

    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({
      code: 'CHANGE_REQUEST_CLOSED',
      requestStatus: 'expired',
    });
    expect(await statusOf(request.id)).toBe('expired');
    expect(await ttlSetting()).toMatchObject({ value: 36 });
    const expired = await auditEvents(testApp, org.owner, 'change_request.expired');
    expect(expired.at(-1)).toMatchObject({ actor_id: org.userIds.bob, target_id: request.id });
  });

  it('expired request closes when a new one replaces it', async () => {
    const old = await requestTtl(12);
    await backdateChangeRequest(org.owner, old.id);

    const replacement = await requestTtl(12);

    expect(replacement.id).not.toBe(old.id);
    expect(await statusOf(old.id)).toBe('expired');
    await reject(replacement, 'bob');
  });

  it('second pending request for one target conflicts', async () => {
    const first = await requestTtl(60);

    const second = await call('POST', `/api/v1/settings/${TTL}/change-requests`, 'bob', {
      value: 90,
      justification: 'A longer window.',
    });

    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CONFLICT', changeRequestId: first.id });
    await reject(first, 'bob');
  });

  it('concurrent approvals apply once', async () => {
    const request = await requestTtl(30);
    const before = await ttlSetting();

    const responses = await Promise.all([approve(request, 'bob'), approve(request, 'rita')]);

    const codes = responses.map((response) => response.statusCode).sort();
    expect(codes).toEqual([200, 409]);
    const closed = responses.find((response) => response.statusCode === 409);
    expect(closed?.json()).toMatchObject({
      code: 'CHANGE_REQUEST_CLOSED',
      requestStatus: 'applied',
    });
    expect(await ttlSetting()).toMatchObject({ value: 30, version: (before?.version ?? 0) + 1 });
    const applied = await auditEvents(testApp, org.owner, 'change_request.applied');
    expect(applied.filter((event) => event.target_id === request.id)).toHaveLength(1);
  });

  it('out-of-scope request reads as not found', async () => {
    const request = await requestTtl(40);
    const missing = '00000000-0000-4000-8000-000000000000';

    const shown = await call('GET', `/api/v1/change-requests/${request.id}`, 'carl');
    const unknown = await call('GET', `/api/v1/change-requests/${missing}`, 'carl');
    const approval = await approve(request, 'carl');

    expect(shown.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(approval.statusCode).toBe(404);
    expect(shown.json().code).toBe('RESOURCE_NOT_FOUND');
    expect(approval.json().code).toBe('RESOURCE_NOT_FOUND');
    const list = await call('GET', '/api/v1/change-requests', 'carl');
    const ids = (list.json() as { items: { id: string }[] }).items.map((item) => item.id);
    expect(ids).not.toContain(request.id);
    expect(await statusOf(request.id)).toBe('pending');
    await reject(request, 'bob');
  });

  it('preparer cannot decide at all', async () => {
    const request = await requestTtl(40);

    const response = await approve(request, 'pat');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('FORBIDDEN');
    expect(await statusOf(request.id)).toBe('pending');
    await reject(request, 'bob');
  });

  it('list filters by status', async () => {
    const response = await call('GET', '/api/v1/change-requests?status=rejected', 'mia');
    const items = (response.json() as { items: { status: string; kind: string }[] }).items;

    expect(response.statusCode).toBe(200);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.status === 'rejected')).toBe(true);
  });

  it('list pages with a cursor', async () => {
    const all = await call('GET', '/api/v1/change-requests', 'mia');
    const everything = (all.json() as { items: { id: string }[] }).items.map((item) => item.id);
    expect(everything.length).toBeGreaterThan(2);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const response = await call('GET', `/api/v1/change-requests?limit=2${query}`, 'mia');
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);

    expect(seen).toEqual(everything);
  });

  it.each([
    ['text', ['yesterday', 'x']],
    ['an impossible date', ['2026-02-31T00:00:00.000000Z', '00000000-0000-4000-8000-000000000000']],
  ])('list rejects a cursor with %s', async (_case, position) => {
    const forged = Buffer.from(JSON.stringify(position)).toString('base64url');

    const response = await call('GET', `/api/v1/change-requests?cursor=${forged}`, 'mia');

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('names requesters and deciders', async () => {
    const request = await requestTtl(72);
    await reject(request, 'bob');

    const detail = await call('GET', `/api/v1/change-requests/${request.id}`, 'mia');
    const list = await call('GET', '/api/v1/change-requests?status=rejected', 'mia');

    const people = (detail.json() as { people: Record<string, { email: string }> }).people;
    expect(Object.keys(people).sort()).toEqual([org.userIds.ada, org.userIds.bob].sort());
    expect(people[org.userIds.ada]?.email).toBe(USERS.ada);
    const listed = (list.json() as { people: Record<string, { email: string }> }).people;
    expect(listed[org.userIds.bob]?.email).toBe(USERS.bob);
  });
});
