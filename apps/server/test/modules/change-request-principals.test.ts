import type { ChangeRequest } from '@peytonix/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import {
  auditEvents,
  type Organization,
  seedOrganization,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const TTL = 'change_requests.ttl_hours';

describe('change requests by AI and service principals', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;
  let aiForAda: Actor;
  let drafted: ChangeRequest;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
    org = await seedOrganization(testApp, database.ownerUrl);
    aiForAda = { type: 'ai', onBehalfOf: org.userIds.ada, channel: 'api' };
  });

  afterAll(async () => {
    await org?.owner.end();
    await testApp?.close();
    await database?.drop();
  });

  const approveAs = (actor: Actor, request: ChangeRequest) =>
    testApp.services.changeRequests.approve(actor, request.id, {
      diffSha256: request.diffSha256,
    });

  const statusOf = async (id: string) => {
    const result = await org.owner.query<{ status: string }>(
      'SELECT status FROM change_requests WHERE id = $1',
      [id],
    );
    return result.rows[0]?.status;
  };

  it('AI principal drafts a request for its user', async () => {
    drafted = await testApp.services.settings.requestChange(aiForAda, TTL, {
      value: 96,
      justification: 'Suggested from the approval backlog.',
    });

    expect(drafted).toMatchObject({
      status: 'pending',
      requestedBy: org.userIds.ada,
      requestedByType: 'ai',
    });
    const created = await auditEvents(testApp, org.owner, 'change_request.created');
    expect(created.at(-1)).toMatchObject({
      actor_type: 'ai',
      actor_id: null,
      on_behalf_of: org.userIds.ada,
      target_id: drafted.id,
      details: { requestedByType: 'ai' },
    });
  });

  it('AI principal cannot approve', async () => {
    const aiForBob: Actor = { type: 'ai', onBehalfOf: org.userIds.bob, channel: 'api' };

    await expect(approveAs(aiForBob, drafted)).rejects.toMatchObject({
      code: 'SOD_PRINCIPAL_CANNOT_APPROVE',
    });
    await expect(
      testApp.services.changeRequests.reject(aiForBob, drafted.id, { note: 'No.' }),
    ).rejects.toMatchObject({ code: 'SOD_PRINCIPAL_CANNOT_APPROVE' });
    expect(await statusOf(drafted.id)).toBe('pending');
    const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
    expect(violations.at(-1)).toMatchObject({
      reason_code: 'SOD_PRINCIPAL_CANNOT_APPROVE',
      actor_type: 'ai',
      on_behalf_of: org.userIds.bob,
      target_id: drafted.id,
    });
  });

  it('service principals cannot approve', async () => {
    for (const type of ['system', 'scim'] as const) {
      const actor: Actor = { type, channel: 'worker' };

      await expect(approveAs(actor, drafted)).rejects.toMatchObject({
        code: 'SOD_PRINCIPAL_CANNOT_APPROVE',
      });
      const violations = await auditEvents(testApp, org.owner, 'access.sod_violation');
      expect(violations.at(-1)).toMatchObject({
        reason_code: 'SOD_PRINCIPAL_CANNOT_APPROVE',
        actor_type: type,
        target_id: drafted.id,
      });
    }
    expect(await statusOf(drafted.id)).toBe('pending');
  });

  it('user behind the AI draft cannot approve it', async () => {
    await expect(approveAs(org.actor('ada'), drafted)).rejects.toMatchObject({
      code: 'SOD_AUTHOR_CANNOT_APPROVE',
    });
  });

  it('another person approves the AI draft', async () => {
    const applied = await approveAs(org.actor('bob'), drafted);

    expect(applied).toMatchObject({ status: 'applied', decidedBy: org.userIds.bob });
  });

  it('service principal cannot request a change', async () => {
    const attempt = testApp.services.settings.requestChange(
      { type: 'system', channel: 'worker' },
      TTL,
      { value: 24, justification: 'Scheduled.' },
    );

    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      actor_type: 'system',
      reason_code: 'PRINCIPAL_NOT_ALLOWED',
    });
  });

  it('AI principal has only its user permissions', async () => {
    const aiForPat: Actor = { type: 'ai', onBehalfOf: org.userIds.pat, channel: 'api' };

    const attempt = testApp.services.grants.requestGrant(aiForPat, {
      userId: org.userIds.otto,
      role: 'preparer',
      entityId: org.entityIds.AP,
      justification: 'Suggested staffing.',
    });

    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('AI principal cannot grant its own user a role', async () => {
    const attempt = testApp.services.grants.requestGrant(aiForAda, {
      userId: org.userIds.ada,
      role: 'administrator',
      entityId: org.entityIds.AR,
      justification: 'Suggested.',
    });

    await expect(attempt).rejects.toMatchObject({ code: 'SOD_OWN_GRANTS' });
  });
});
