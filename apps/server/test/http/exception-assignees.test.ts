import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/modules/access/permissions.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { freshExceptions } from '../support/exception-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';
const SUSPENDED = 'sue@example.com';
const REVIEWER = 'rita@example.com';
const MANAGER = 'mona@example.com';
const READER = 'rob@example.com';
/** A preparer and a reviewer of another business unit. */
const OUTSIDE_PREPARER = 'olga@example.com';
const OUTSIDE_REVIEWER = 'oscar@example.com';

const USERS: [string, string][] = [
  [PREPARER, 'Pia Preparer'],
  [SUSPENDED, 'Sue Suspended'],
  [REVIEWER, 'Rita Reviewer'],
  [MANAGER, 'Mona Manager'],
  [READER, 'Rob Reader'],
  [OUTSIDE_PREPARER, 'Olga Outside'],
  [OUTSIDE_REVIEWER, 'Oscar Outside'],
];

const GRANTS: [string, Role, string][] = [
  [PREPARER, 'preparer', 'AP'],
  [SUSPENDED, 'preparer', 'AP'],
  [REVIEWER, 'reviewer', 'AP'],
  [MANAGER, 'management', 'AP'],
  [READER, 'read_only', 'AP'],
  [OUTSIDE_PREPARER, 'preparer', 'OUT'],
  [OUTSIDE_REVIEWER, 'reviewer', 'OUT'],
];

interface AssigneeList {
  items: { id: string; displayName: string; email: string }[];
}

describe('exception assignees', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let admin: Actor;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'OUT',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await testApp.database.db
      .insertInto('users')
      .values(USERS.map(([email, displayName]) => ({ email, display_name: displayName })))
      .execute();
    for (const [email, role, entityCode] of GRANTS) {
      await grantRoleDirectly(testApp.ownerUrl, { email, role, entityCode });
    }

    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query("UPDATE users SET status = 'suspended' WHERE email = $1", [SUSPENDED]);
    } finally {
      await owner.end();
    }
  });

  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  const listAssignees = async (query: string, user: string) => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/api/v1/exceptions/assignees?${query}`,
      headers: { 'x-test-user': user },
    });
    return {
      status: response.statusCode,
      contentType: response.headers['content-type'],
      body: response.json() as Record<string, unknown>,
    };
  };

  const emailsOf = (body: Record<string, unknown>) =>
    (body as unknown as AssigneeList).items.map((item) => item.email);

  it('lists active preparers of the entity and above it', async () => {
    const response = await listAssignees('entity=AP', REVIEWER);

    expect(response.status).toBe(200);
    // The administrator is a preparer on ORG, above AP.
    expect(emailsOf(response.body)).toEqual([ADMIN, PREPARER]);
  });

  it('returns id, display name and email only', async () => {
    const response = await listAssignees('entity=AP', MANAGER);
    const [first] = (response.body as unknown as AssigneeList).items;

    expect(Object.keys(first ?? {}).sort()).toEqual(['displayName', 'email', 'id']);
    expect((response.body as unknown as AssigneeList).items).toContainEqual({
      id: expect.any(String),
      displayName: 'Pia Preparer',
      email: PREPARER,
    });
  });

  it('leaves out suspended users and other roles', async () => {
    const emails = emailsOf((await listAssignees('entity=AP', PREPARER)).body);

    expect(emails).not.toContain(SUSPENDED);
    expect(emails).not.toContain(REVIEWER);
    expect(emails).not.toContain(MANAGER);
    expect(emails).not.toContain(READER);
  });

  it('leaves out preparers of other entities', async () => {
    const emails = emailsOf((await listAssignees('entity=AP', REVIEWER)).body);

    expect(emails).not.toContain(OUTSIDE_PREPARER);
  });

  it('lists users the assign step accepts', async () => {
    const { ids } = await freshExceptions(testApp, admin, 'AP', ['V1']);
    const [id = ''] = ids;
    const emails = emailsOf((await listAssignees('entity=AP', REVIEWER)).body);

    for (const email of emails) {
      const assigned = await testApp.app.inject({
        method: 'POST',
        url: `/api/v1/exceptions/${id}/assign`,
        headers: { 'x-test-user': REVIEWER },
        payload: { assignee: email },
      });
      expect(assigned.statusCode, `${email}: ${assigned.body}`).toBe(200);
    }
    const suspended = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/exceptions/${id}/assign`,
      headers: { 'x-test-user': REVIEWER },
      payload: { assignee: SUSPENDED },
    });
    expect(suspended.statusCode).toBe(422);
  });

  it('answers 404 for an entity outside the caller’s scope', async () => {
    const outside = await listAssignees('entity=AP', OUTSIDE_REVIEWER);
    const missing = await listAssignees('entity=NOPE', OUTSIDE_REVIEWER);

    expect(outside.status).toBe(404);
    expect(outside.body.code).toBe('RESOURCE_NOT_FOUND');
    // Out of scope reads exactly like an entity that does not exist.
    expect(outside.body.detail).toBe(missing.body.detail?.toString().replace('NOPE', 'AP'));
    expect(JSON.stringify(outside.body)).not.toContain(PREPARER);
  });

  it('rejects a caller who may not assign', async () => {
    const response = await listAssignees('entity=AP', READER);

    expect(response.status).toBe(403);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
  });

  it.each([
    ['no entity', ''],
    ['a malformed entity code', 'entity=%3Cscript%3E'],
    ['an unknown parameter', 'entity=AP&role=reviewer'],
  ])('rejects %s with 400 problem+json', async (_case, query) => {
    const response = await listAssignees(query, REVIEWER);

    expect(response.status).toBe(400);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });
});
