import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withActor } from '../../src/modules/access/actor-scope.ts';
import {
  isEntityCycleError,
  moveEntity,
} from '../../src/modules/entities/entity-tree.repository.ts';
import {
  auditEvents,
  insertEntity,
  type Organization,
  seedOrganization,
  USERS,
  type UserName,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface EntityBody {
  id: string;
  parentId: string | null;
  code: string;
  name: string;
  status: string;
  depth?: number;
}

interface ChangeRequestBody {
  id: string;
  kind: string;
  entityId: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  diffSha256: string;
}

describe('entities API', () => {
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

  const list = async (user: UserName) => {
    const response = await call('GET', '/api/v1/entities', user);
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { items: EntityBody[] }).items;
  };

  const requestMove = (user: UserName, entityId: string, newParent: object) =>
    call('POST', `/api/v1/entities/${entityId}/move-requests`, user, {
      ...newParent,
      justification: 'Reorganization of the finance units.',
    });

  const approve = (request: ChangeRequestBody, user: UserName) =>
    call('POST', `/api/v1/change-requests/${request.id}/approve`, user, {
      diffSha256: request.diffSha256,
    });

  const parentOf = async (entityId: string) => {
    const result = await org.owner.query<{ parent_id: string | null }>(
      'SELECT parent_id FROM entities WHERE id = $1',
      [entityId],
    );
    return result.rows[0]?.parent_id;
  };

  it('list shows the tree in scope with depths', async () => {
    const all = await list('ada');
    const scoped = await list('carl');

    expect(all.map((entity) => [entity.code, entity.depth])).toEqual([
      ['ORG', 0],
      ['AP', 1],
      ['AR', 1],
      ['AP-ENG', 2],
    ]);
    expect(scoped.map((entity) => entity.code)).toEqual(['AP', 'AP-ENG']);
  });

  it('list without any grant is rejected', async () => {
    const response = await call('GET', '/api/v1/entities', 'otto');

    expect(response.statusCode).toBe(403);
  });

  it('create adds an entity below one in scope', async () => {
    const response = await call('POST', '/api/v1/entities', 'carl', {
      parentCode: 'AP',
      type: 'engagement',
      code: 'AP-2026',
      name: 'Payables 2026',
    });

    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({
      code: 'AP-2026',
      parentId: org.entityIds.AP,
      status: 'active',
    });
    const created = await auditEvents(testApp, org.owner, 'entity.created');
    expect(created.at(-1)).toMatchObject({ actor_id: org.userIds.carl });
  });

  it('create below an entity outside scope reads as not found', async () => {
    const outside = await call('POST', '/api/v1/entities', 'carl', {
      parentCode: 'AR',
      type: 'engagement',
      code: 'AR-2026',
      name: 'Receivables 2026',
    });
    const missing = await call('POST', '/api/v1/entities', 'carl', {
      parentCode: 'NOPE',
      type: 'engagement',
      code: 'AR-2026',
      name: 'Receivables 2026',
    });

    expect(outside.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
  });

  it('rename changes the name and audits it', async () => {
    const response = await call('PATCH', `/api/v1/entities/${org.entityIds.AR}`, 'ada', {
      name: 'Receivables',
    });

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ code: 'AR', name: 'Receivables' });
    const updated = await auditEvents(testApp, org.owner, 'entity.updated');
    expect(updated.at(-1)).toMatchObject({
      actor_id: org.userIds.ada,
      target_id: org.entityIds.AR,
      details: { code: 'AR', from: { name: 'AR' }, to: { name: 'Receivables' } },
    });
  });

  it('rename outside scope reads as not found', async () => {
    const outside = await call('PATCH', `/api/v1/entities/${org.entityIds.AR}`, 'carl', {
      name: 'Mine now',
    });
    const missing = await call(
      'PATCH',
      '/api/v1/entities/00000000-0000-4000-8000-000000000000',
      'carl',
      { name: 'Mine now' },
    );

    expect(outside.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(outside.json().code).toBe('RESOURCE_NOT_FOUND');
    const denials = await auditEvents(testApp, org.owner, 'access.denied');
    expect(denials.at(-1)).toMatchObject({
      reason_code: 'OUT_OF_SCOPE',
      actor_id: org.userIds.carl,
    });
  });

  it('rename by a preparer is rejected', async () => {
    const response = await call('PATCH', `/api/v1/entities/${org.entityIds.AP}`, 'pat', {
      name: 'Renamed',
    });

    expect(response.statusCode).toBe(403);
  });

  it('archive rejects the root', async () => {
    const response = await call('POST', `/api/v1/entities/${org.entityIds.ORG}/archive`, 'ada');

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('archive rejects an entity with active children', async () => {
    const response = await call('POST', `/api/v1/entities/${org.entityIds.AP}/archive`, 'ada');

    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'BUSINESS_RULE_VIOLATED', activeChildren: 2 });
  });

  it('archive of a leaf archives it once', async () => {
    const leaf = await insertEntity(org.owner, {
      code: 'AR-OLD',
      type: 'engagement',
      parentId: org.entityIds.AR,
    });

    const first = await call('POST', `/api/v1/entities/${leaf}/archive`, 'ada');
    const second = await call('POST', `/api/v1/entities/${leaf}/archive`, 'ada');
    const rename = await call('PATCH', `/api/v1/entities/${leaf}`, 'ada', { name: 'Renamed' });

    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'archived' });
    expect(second.statusCode).toBe(409);
    expect(rename.statusCode).toBe(422);
    const archived = await auditEvents(testApp, org.owner, 'entity.archived');
    expect(archived.at(-1)).toMatchObject({ target_id: leaf, actor_id: org.userIds.ada });
  });

  it('move of the root is rejected', async () => {
    const response = await requestMove('ada', org.entityIds.ORG, { newParentCode: 'AP' });

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('move below an own descendant is rejected', async () => {
    const response = await requestMove('ada', org.entityIds.AP, { newParentCode: 'AP-ENG' });

    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toContain('subtree');
  });

  it('move to a parent outside scope reads as not found', async () => {
    const response = await requestMove('carl', org.entityIds['AP-ENG'], {
      newParentId: org.entityIds.AR,
    });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('RESOURCE_NOT_FOUND');
  });

  it('approved move puts the subtree below the new parent', async () => {
    const created = await requestMove('ada', org.entityIds['AP-ENG'], {
      newParentId: org.entityIds.AR,
    });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;
    expect(request).toMatchObject({
      kind: 'entity.move',
      entityId: org.entityIds['AP-ENG'],
      before: { parentId: org.entityIds.AP },
      after: { parentId: org.entityIds.AR },
    });
    expect(await parentOf(org.entityIds['AP-ENG'])).toBe(org.entityIds.AP);

    const response = await approve(request, 'bob');

    expect(response.statusCode, response.body).toBe(200);
    expect(await parentOf(org.entityIds['AP-ENG'])).toBe(org.entityIds.AR);
    expect((await list('carl')).map((entity) => entity.code)).not.toContain('AP-ENG');
    const moved = await auditEvents(testApp, org.owner, 'entity.moved');
    expect(moved.at(-1)).toMatchObject({
      actor_id: org.userIds.bob,
      details: {
        fromParentId: org.entityIds.AP,
        toParentId: org.entityIds.AR,
        changeRequestId: request.id,
      },
    });
  });

  it('move that became a cycle is rejected at approval', async () => {
    const p = await insertEntity(org.owner, {
      code: 'P',
      type: 'business_unit',
      parentId: org.entityIds.ORG,
    });
    const q = await insertEntity(org.owner, {
      code: 'Q',
      type: 'business_unit',
      parentId: org.entityIds.ORG,
    });
    const pUnderQ = (await requestMove('ada', p, { newParentId: q })).json() as ChangeRequestBody;
    const qUnderP = (await requestMove('ada', q, { newParentId: p })).json() as ChangeRequestBody;
    expect((await approve(qUnderP, 'bob')).statusCode).toBe(200);

    const response = await approve(pUnderQ, 'bob');

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
    expect(await parentOf(p)).toBe(org.entityIds.ORG);
  });

  it('cycle trigger error is recognised', async () => {
    const attempt = withActor(testApp.database.db, org.actor('ada'), (tx) =>
      moveEntity(tx, org.entityIds.AR, org.entityIds['AP-ENG']),
    );

    const error = await attempt.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(isEntityCycleError(error)).toBe(true);
  });
});
