import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { isAppError } from '../../src/platform/http/app-error.ts';
import { createEntityDirectly, grantRoleDirectly } from '../support/entity-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const JUSTIFICATION = 'The organization has one administrator so far.';

/**
 * Start an app on a new database whose only administrator is Ada, and add
 * `names` as users without grants, each name@example.com.
 */
async function organizationWithOneAdministrator(database: TestDatabase, names: string[]) {
  const testApp = await startTestApp(database);
  await testApp.services.identity.createFirstAdministrator({
    email: 'ada@example.com',
    displayName: 'Ada',
    organizationName: 'Organization',
    organizationCode: 'ORG',
  });
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  for (const name of names) {
    await owner.query('INSERT INTO users (email, display_name) VALUES ($1, $2)', [
      `${name}@example.com`,
      name,
    ]);
  }
  return { testApp, owner };
}

describe('grantAsSoleApprover', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let ada: Actor;

  beforeAll(async () => {
    database = await createTestDatabase();
    ({ testApp, owner } = await organizationWithOneAdministrator(database, [
      'bob',
      'cy',
      'dee',
      'eve',
      'sam',
    ]));
    await owner.query(`UPDATE users SET status = 'suspended' WHERE email = 'sam@example.com'`);
    ada = await testApp.services.identity.resolveCliActor('ada@example.com');
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  const grant = (actor: Actor, email: string, role: 'reviewer' | 'preparer' | 'administrator') =>
    testApp.services.grants.grantAsSoleApprover(actor, {
      email,
      role,
      entityCode: 'ORG',
      justification: JUSTIFICATION,
    });

  /** Run `work` and return the AppError code it raised. */
  const codeOf = async (work: Promise<unknown>): Promise<string> => {
    try {
      await work;
    } catch (error) {
      if (isAppError(error)) return error.code;
      throw error;
    }
    return 'none';
  };

  it('grants at once when no one else could approve', async () => {
    const granted = await grant(ada, 'bob@example.com', 'reviewer');

    expect(granted).toMatchObject({ role: 'reviewer', entityCode: 'ORG' });
    const events = await auditEvents(testApp, owner, 'access.grant_created');
    expect(events.at(-1)?.details).toMatchObject({
      role: 'reviewer',
      soleApprover: true,
      justification: JUSTIFICATION,
    });
  });

  it('grants a role the deciders lack', async () => {
    // Bob reviews, but has neither preparer nor administrator, so he cannot approve it.
    const granted = await grant(ada, 'cy@example.com', 'preparer');

    expect(granted.role).toBe('preparer');
  });

  it('needs a change request once someone could approve', async () => {
    // Bob has the reviewer role and may decide change requests, so he can approve this one.
    expect(await codeOf(grant(ada, 'dee@example.com', 'reviewer'))).toBe('CONFLICT');
  });

  it('needs a request with two administrators', async () => {
    await grantRoleDirectly(testApp.ownerUrl, {
      email: 'eve@example.com',
      role: 'administrator',
      entityCode: 'ORG',
    });
    const eve = await testApp.services.identity.resolveCliActor('eve@example.com');

    // With two administrators, each can approve the other's requests.
    expect(await codeOf(grant(eve, 'cy@example.com', 'administrator'))).toBe('CONFLICT');
  });

  it('rejects an archived entity', async () => {
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'OLD-ENG',
      parentCode: 'ORG',
      type: 'engagement',
    });
    await owner.query(`UPDATE entities SET status = 'archived' WHERE code = 'OLD-ENG'`);

    const archived = testApp.services.grants.grantAsSoleApprover(ada, {
      email: 'dee@example.com',
      role: 'preparer',
      entityCode: 'OLD-ENG',
      justification: JUSTIFICATION,
    });

    expect(await codeOf(archived)).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('rejects own grants', async () => {
    expect(await codeOf(grant(ada, 'ada@example.com', 'reviewer'))).toBe('SOD_OWN_GRANTS');
  });

  it('rejects a user without grants.request', async () => {
    const bob = await testApp.services.identity.resolveCliActor('bob@example.com');

    expect(await codeOf(grant(bob, 'dee@example.com', 'preparer'))).toBe('FORBIDDEN');
  });

  it('rejects a suspended user', async () => {
    expect(await codeOf(grant(ada, 'sam@example.com', 'preparer'))).toBe('RESOURCE_NOT_FOUND');
  });

  it('rejects an unknown entity', async () => {
    const unknown = testApp.services.grants.grantAsSoleApprover(ada, {
      email: 'dee@example.com',
      role: 'preparer',
      entityCode: 'NOPE',
      justification: JUSTIFICATION,
    });

    expect(await codeOf(unknown)).toBe('RESOURCE_NOT_FOUND');
  });
});

describe('grantAsSoleApprover at once', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const organization = await organizationWithOneAdministrator(database, ['xavi', 'yara']);
    testApp = organization.testApp;
    await organization.owner.end();
  });

  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('waits for a concurrent grant, then needs a request', async () => {
    const ada = await testApp.services.identity.resolveCliActor('ada@example.com');
    // Another sole-approver grant in flight: it holds the lock and has made
    // Xavi an administrator, but has not committed yet.
    const other = new pg.Client({ connectionString: database.ownerUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtext('peytonix.sole-approver-grant'))`);
      await other.query(
        `INSERT INTO role_grants (user_id, role, entity_id)
         SELECT users.id, 'administrator', entities.id FROM users, entities
         WHERE users.email = 'xavi@example.com' AND entities.code = 'ORG'`,
      );

      const yara = testApp.services.grants.grantAsSoleApprover(ada, {
        email: 'yara@example.com',
        role: 'administrator',
        entityCode: 'ORG',
        justification: JUSTIFICATION,
      });
      const outcome = yara.then(
        () => 'granted',
        (error: unknown) => (isAppError(error) ? error.code : 'other error'),
      );
      await vi.waitFor(async () => {
        const waiting = await other.query(
          `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
        );
        expect(waiting.rowCount).toBe(1);
      });
      await other.query('COMMIT');

      // Xavi could now approve Yara's grant, so it needs a change request.
      expect(await outcome).toBe('CONFLICT');
    } finally {
      await other.end();
    }
  });
});
