import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { UserActor } from '../../src/modules/identity/actor.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import {
  auditEvents,
  insertGrant,
  insertUser,
  type Organization,
  seedOrganization,
  USERS,
  type UserName,
} from '../support/governance-fixtures.ts';
import { bearer, ORIGIN, setPassword, signIn } from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface ChangeRequestBody {
  id: string;
  kind: string;
  status: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  diffSha256: string;
}

interface GrantBody {
  id: string;
  userId: string;
  role: string;
  entityId: string;
  grantedBy: string | null;
  changeRequestId: string | null;
}

const JUSTIFICATION = 'Needed for the payables engagement.';
const VERA = 'vera@example.com';

describe('grants API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      testUserHeader: true,
      env: { PEYTONIX_MFA_REQUIRED: 'false', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
    org = await seedOrganization(testApp, database.ownerUrl);
  });

  afterAll(async () => {
    await org?.owner.end();
    await testApp?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST', url: string, user: UserName, payload?: object) =>
    testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': USERS[user] },
      ...(payload === undefined ? {} : { payload }),
    });

  const requestGrant = (
    user: UserName,
    grant: { userId: string; role: string; entityCode?: string; entityId?: string },
  ) => call('POST', '/api/v1/grant-requests', user, { ...grant, justification: JUSTIFICATION });

  const requestRevocation = (user: UserName, grantId: string) =>
    call('POST', `/api/v1/grants/${grantId}/revoke-requests`, user, {
      justification: 'The engagement ended.',
    });

  const approve = (request: ChangeRequestBody, user: UserName) =>
    call('POST', `/api/v1/change-requests/${request.id}/approve`, user, {
      diffSha256: request.diffSha256,
    });

  const reject = (request: ChangeRequestBody, user: UserName) =>
    call('POST', `/api/v1/change-requests/${request.id}/reject`, user, { note: 'Not needed.' });

  const grantIdOf = async (userId: string, role: string, entityId: string) => {
    const result = await org.owner.query<{ id: string }>(
      'SELECT id FROM role_grants WHERE user_id = $1 AND role = $2 AND entity_id = $3',
      [userId, role, entityId],
    );
    return result.rows[0]?.id;
  };

  it('lists own grants with their permissions', async () => {
    const response = await call('GET', '/api/v1/grants/mine', 'pat');
    const body = response.json() as {
      grants: { entityCode: string; role: string; permissions: string[] }[];
      permissions: string[];
    };

    expect(response.statusCode).toBe(200);
    expect(body.grants.map((grant) => [grant.entityCode, grant.role])).toEqual([
      ['AP', 'preparer'],
    ]);
    expect(body.grants[0]?.permissions).toContain('exceptions.investigate');
    expect(body.permissions).not.toContain('exceptions.review');
    expect(body.permissions).not.toContain('grants.request');
  });

  it('preparer granting itself reviewer is rejected', async () => {
    const response = await requestGrant('pat', {
      userId: org.userIds.pat,
      role: 'reviewer',
      entityCode: 'AP',
    });

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN', permission: 'grants.request' });
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      outcome: 'denied',
      reason_code: 'PERMISSION_REQUIRED',
      actor_id: org.userIds.pat,
      details: { permission: 'grants.request' },
    });
    // The route-level denial names the request it refused.
    const { rows } = await org.owner.query<{
      request_id: string | null;
      ip_address: string | null;
    }>(
      `SELECT request_id, ip_address FROM audit_events
        WHERE action = 'access.denied' ORDER BY seq DESC LIMIT 1`,
    );
    expect(rows[0]?.request_id).toBe(response.headers['x-request-id']);
    expect(rows[0]?.ip_address).not.toBeNull();
    expect(await grantIdOf(org.userIds.pat, 'reviewer', org.entityIds.AP)).toBeUndefined();
  });

  it('preparer is rejected by the service too', async () => {
    const attempt = testApp.services.grants.requestGrant(org.actor('pat'), {
      userId: org.userIds.pat,
      role: 'reviewer',
      entityId: org.entityIds.AP,
      justification: JUSTIFICATION,
    });

    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      reason_code: 'PERMISSION_REQUIRED',
      actor_id: org.userIds.pat,
      entity_id: org.entityIds.AP,
    });
  });

  it('own grant request is rejected and audited', async () => {
    const response = await requestGrant('carl', {
      userId: org.userIds.carl,
      role: 'administrator',
      entityCode: 'AP-ENG',
    });

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_OWN_GRANTS');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_OWN_GRANTS',
      actor_id: org.userIds.carl,
      entity_id: org.entityIds['AP-ENG'],
    });
  });

  it('grant beyond own role is rejected and audited', async () => {
    const created = await requestGrant('ada', {
      userId: org.userIds.otto,
      role: 'preparer',
      entityCode: 'AP',
    });
    expect(created.statusCode, created.body).toBe(201);

    const response = await approve(created.json() as ChangeRequestBody, 'rita');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_GRANT_BEYOND_OWN');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_GRANT_BEYOND_OWN',
      actor_id: org.userIds.rita,
    });
    expect(await grantIdOf(org.userIds.otto, 'preparer', org.entityIds.AP)).toBe(undefined);
    await reject(created.json() as ChangeRequestBody, 'bob');
  });

  it('grant outside scope reads as not found', async () => {
    const byCode = await requestGrant('carl', {
      userId: org.userIds.otto,
      role: 'administrator',
      entityCode: 'AR',
    });
    const unknownCode = await requestGrant('carl', {
      userId: org.userIds.otto,
      role: 'administrator',
      entityCode: 'NOPE',
    });
    const byId = await requestGrant('carl', {
      userId: org.userIds.otto,
      role: 'administrator',
      entityId: org.entityIds.AR,
    });

    expect(byCode.statusCode).toBe(404);
    expect(unknownCode.statusCode).toBe(404);
    expect(byId.statusCode).toBe(404);
    expect(byCode.json().code).toBe('RESOURCE_NOT_FOUND');
    expect(byCode.json().detail).toBe(unknownCode.json().detail.replace('NOPE', 'AR'));
    expect(byId.json().code).toBe('RESOURCE_NOT_FOUND');
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      reason_code: 'OUT_OF_SCOPE',
      actor_id: org.userIds.carl,
      entity_id: org.entityIds.AR,
    });
  });

  describe('an administrator grant for otto on AP-ENG', () => {
    let request: ChangeRequestBody;

    beforeAll(async () => {
      const response = await requestGrant('ada', {
        userId: org.userIds.otto,
        role: 'administrator',
        entityCode: 'AP-ENG',
      });
      expect(response.statusCode, response.body).toBe(201);
      request = response.json() as ChangeRequestBody;
    });

    it('is stored as a pending grant.add', () => {
      expect(request).toMatchObject({
        kind: 'grant.add',
        status: 'pending',
        before: { userId: org.userIds.otto, role: 'administrator', granted: false },
        after: { userId: org.userIds.otto, role: 'administrator', granted: true },
      });
    });

    it('author approval is rejected and audited', async () => {
      const response = await approve(request, 'ada');

      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('SOD_AUTHOR_CANNOT_APPROVE');
      const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
      expect(violations.at(-1)).toMatchObject({
        reason_code: 'SOD_AUTHOR_CANNOT_APPROVE',
        actor_id: org.userIds.ada,
        target_id: request.id,
      });
      expect(await grantIdOf(org.userIds.otto, 'administrator', org.entityIds['AP-ENG'])).toBe(
        undefined,
      );
    });

    it('approver without the role is rejected', async () => {
      const response = await approve(request, 'rita');

      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('SOD_GRANT_BEYOND_OWN');
      const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
      expect(violations.at(-1)).toMatchObject({
        reason_code: 'SOD_GRANT_BEYOND_OWN',
        actor_id: org.userIds.rita,
        target_id: request.id,
      });
    });

    it('approval by another administrator grants the role', async () => {
      const before = await call('GET', '/api/v1/entities', 'otto');
      expect(before.statusCode).toBe(403);

      const response = await approve(request, 'bob');

      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().status).toBe('applied');
      const grants = await call('GET', `/api/v1/grants?userId=${org.userIds.otto}`, 'ada');
      expect((grants.json() as { items: GrantBody[] }).items).toEqual([
        expect.objectContaining({
          role: 'administrator',
          entityId: org.entityIds['AP-ENG'],
          grantedBy: org.userIds.bob,
          changeRequestId: request.id,
        }),
      ]);
      const created = await auditEvents(testApp, org.owner, 'access.grant_created');
      expect(created.at(-1)).toMatchObject({
        actor_id: org.userIds.bob,
        entity_id: org.entityIds['AP-ENG'],
        details: { userId: org.userIds.otto, role: 'administrator', changeRequestId: request.id },
      });
      const after = await call('GET', '/api/v1/entities', 'otto');
      expect(after.statusCode).toBe(200);
      expect((after.json() as { items: { code: string }[] }).items.map((e) => e.code)).toEqual([
        'AP-ENG',
      ]);
    });
  });

  it('approving a grant for oneself is rejected', async () => {
    const created = await requestGrant('ada', {
      userId: org.userIds.bob,
      role: 'administrator',
      entityCode: 'AR',
    });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;

    const response = await approve(request, 'bob');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_OWN_GRANTS');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_OWN_GRANTS',
      actor_id: org.userIds.bob,
      target_id: request.id,
    });
    // A reviewer may not decide an administrator grant either way.
    const rejected = await reject(request, 'rita');
    expect(rejected.statusCode).toBe(403);
    expect(rejected.json().code).toBe('SOD_GRANT_BEYOND_OWN');
  });

  it('grant for a suspended user is rejected', async () => {
    const sam = await insertUser(org.owner, 'sam@example.com');
    await org.owner.query(`UPDATE users SET status = 'suspended' WHERE id = $1`, [sam]);

    const response = await requestGrant('ada', {
      userId: sam,
      role: 'administrator',
      entityCode: 'AR',
    });

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('grant already held conflicts', async () => {
    const response = await requestGrant('ada', {
      userId: org.userIds.bob,
      role: 'administrator',
      entityCode: 'ORG',
    });

    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('CONFLICT');
  });

  it('grant made meanwhile turns the request stale', async () => {
    const created = await requestGrant('ada', {
      userId: org.userIds.otto,
      role: 'read_only',
      entityCode: 'AR',
    });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;
    await insertGrant(org.owner, {
      userId: org.userIds.otto,
      role: 'read_only',
      entityId: org.entityIds.AR,
    });

    const response = await approve(request, 'bob');

    expect(response.statusCode).toBe(409);
    expect(response.json().code).toBe('CHANGE_REQUEST_STALE');
    const stale = await auditEvents(testApp, org.owner, 'change_request.stale');
    expect(stale.at(-1)).toMatchObject({ target_id: request.id });
  });

  it('revoking an own grant is rejected', async () => {
    const grantId = await grantIdOf(org.userIds.carl, 'administrator', org.entityIds.AP);

    const response = await requestRevocation('carl', grantId ?? '');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_OWN_GRANTS');
  });

  it('request of a suspended author cannot be approved', async () => {
    const created = await requestGrant('carl', {
      userId: org.userIds.otto,
      role: 'preparer',
      entityCode: 'AP-ENG',
    });
    expect(created.statusCode, created.body).toBe(201);
    await org.owner.query("UPDATE users SET status = 'suspended' WHERE id = $1", [
      org.userIds.carl,
    ]);

    const response = await approve(created.json() as ChangeRequestBody, 'bob');
    await org.owner.query("UPDATE users SET status = 'active' WHERE id = $1", [org.userIds.carl]);

    expect(response.statusCode).toBe(422);
    expect((response.json() as { detail: string }).detail).toContain('suspended');
    expect(await grantIdOf(org.userIds.otto, 'preparer', org.entityIds['AP-ENG'])).toBe(undefined);
    expect((await reject(created.json() as ChangeRequestBody, 'bob')).statusCode).toBe(200);
  });

  it('subject of a revocation cannot reject it', async () => {
    const grantId = await grantIdOf(org.userIds.carl, 'administrator', org.entityIds.AP);
    const created = await requestRevocation('ada', grantId ?? '');
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;

    const response = await reject(request, 'carl');

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('SOD_OWN_GRANTS');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_OWN_GRANTS',
      actor_id: org.userIds.carl,
    });
    const shown = await call('GET', `/api/v1/change-requests/${request.id}`, 'bob');
    expect(shown.json()).toMatchObject({ status: 'pending' });
    expect((await reject(request, 'bob')).statusCode).toBe(200);
  });

  it('revoking a grant outside scope reads as not found', async () => {
    const grantId = await grantIdOf(org.userIds.rita, 'reviewer', org.entityIds.ORG);

    const response = await requestRevocation('carl', grantId ?? '');

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('RESOURCE_NOT_FOUND');
  });

  it('grant list is bounded by scope', async () => {
    const forAp = await call('GET', `/api/v1/grants?entityId=${org.entityIds.AP}`, 'mia');
    const outside = await call('GET', `/api/v1/grants?entityId=${org.entityIds.AR}`, 'carl');
    const preparer = await call('GET', '/api/v1/grants', 'pat');

    expect(forAp.statusCode).toBe(200);
    const entities = new Set((forAp.json() as { items: GrantBody[] }).items.map((g) => g.entityId));
    expect([...entities].sort()).toEqual([org.entityIds.AP, org.entityIds['AP-ENG']].sort());
    expect(outside.statusCode).toBe(404);
    expect(preparer.statusCode).toBe(403);
  });

  it('revocation takes effect on the next request', async () => {
    // A second app on the same database that authenticates real sessions,
    // because the x-test-user authenticator replaces every other one.
    const sessionApp = await startTestApp(database, {
      migrate: false,
      env: { PEYTONIX_MFA_REQUIRED: 'false', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
    onTestFinished(() => sessionApp.close());
    const ada = org.actor('ada') as UserActor;
    const vera = await testApp.services.auth.users.create(
      ada,
      { email: VERA, displayName: 'Vera' },
      {},
    );
    await setPassword(sessionApp.app, vera.setupSecret);
    const arGrant = await insertGrant(org.owner, {
      userId: vera.id,
      role: 'read_only',
      entityId: org.entityIds.AR,
    });
    const engagementGrant = await insertGrant(org.owner, {
      userId: vera.id,
      role: 'read_only',
      entityId: org.entityIds['AP-ENG'],
    });
    const session = await signIn(sessionApp.app, VERA);
    const listEntities = () =>
      sessionApp.app.inject({
        method: 'GET',
        url: '/api/v1/entities',
        headers: bearer(session.accessToken),
      });
    const codes = (response: Awaited<ReturnType<typeof listEntities>>) =>
      (response.json() as { items: { code: string }[] }).items.map((item) => item.code);
    const initial = await listEntities();
    expect(initial.statusCode, initial.body).toBe(200);
    expect(codes(initial)).toEqual(['AR', 'AP-ENG']);

    const first = (await requestRevocation('ada', arGrant)).json() as ChangeRequestBody;
    expect((await approve(first, 'bob')).statusCode).toBe(200);

    const narrowed = await listEntities();
    expect(narrowed.statusCode).toBe(200);
    expect(codes(narrowed)).toEqual(['AP-ENG']);

    const second = (await requestRevocation('ada', engagementGrant)).json() as ChangeRequestBody;
    expect((await approve(second, 'bob')).statusCode).toBe(200);

    const rejected = await listEntities();
    expect(rejected.statusCode).toBe(403);
    const revoked = await auditEvents(testApp, org.owner, 'access.grant_revoked');
    expect(revoked.map((event) => event.target_id)).toEqual(
      expect.arrayContaining([arGrant, engagementGrant]),
    );
  });
});
