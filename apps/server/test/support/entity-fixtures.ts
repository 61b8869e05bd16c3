import pg from 'pg';
import type { Role } from '../../src/modules/access/permissions.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import type { TestApp } from './test-app.ts';

/**
 * Create the first administrator with the organization root ORG, a
 * business unit below it, and a second user without any grant. The
 * administrator also gets the preparer role on ORG, so one actor can
 * import and run. Returns the administrator as an actor.
 */
export async function seedBusinessUnit(
  testApp: TestApp,
  options: { adminEmail: string; outsiderEmail: string; code: string; name: string },
): Promise<Actor> {
  const { services } = testApp;
  const first = await services.identity.createFirstAdministrator({
    email: options.adminEmail,
    displayName: 'Ada',
    organizationName: 'Example Group',
    organizationCode: 'ORG',
  });
  const admin: Actor = {
    type: 'user',
    userId: first.userId,
    email: options.adminEmail,
    channel: 'api',
  };
  await services.entities.create(admin, {
    parentCode: 'ORG',
    type: 'business_unit',
    code: options.code,
    name: options.name,
  });
  await testApp.database.db
    .insertInto('users')
    .values({ email: options.outsiderEmail, display_name: 'Otto' })
    .execute();
  await grantRoleDirectly(testApp.ownerUrl, {
    email: options.adminEmail,
    role: 'preparer',
    entityCode: 'ORG',
  });
  return admin;
}

/**
 * Give `email` the role on the entity `entityCode` by writing the grant as
 * the database owner. Test setup only: the product path for grants is a
 * change request that a second person approves.
 */
export async function grantRoleDirectly(
  ownerUrl: string,
  grant: { email: string; role: Role; entityCode: string },
): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const result = await client.query(
      `INSERT INTO role_grants (user_id, role, entity_id)
       SELECT users.id, $2, entities.id FROM users, entities
       WHERE lower(users.email) = lower($1) AND lower(entities.code) = lower($3)
       ON CONFLICT DO NOTHING`,
      [grant.email, grant.role, grant.entityCode],
    );
    if (result.rowCount === 0) {
      const exists = await client.query(
        `SELECT 1 FROM role_grants JOIN users ON users.id = role_grants.user_id
         JOIN entities ON entities.id = role_grants.entity_id
         WHERE lower(users.email) = lower($1) AND role = $2 AND lower(entities.code) = lower($3)`,
        [grant.email, grant.role, grant.entityCode],
      );
      if (exists.rowCount === 0) {
        throw new Error(`no user ${grant.email} or no entity ${grant.entityCode} to grant`);
      }
    }
  } finally {
    await client.end();
  }
}

/** Create an entity as the database owner. Test setup only. */
export async function createEntityDirectly(
  ownerUrl: string,
  entity: { code: string; parentCode: string; type: 'business_unit' | 'subsidiary' | 'engagement' },
): Promise<string> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(
      `INSERT INTO entities (parent_id, type, code, name)
       SELECT id, $2, $3, $3 FROM entities WHERE lower(code) = lower($1)
       RETURNING id`,
      [entity.parentCode, entity.type, entity.code],
    );
    const id = result.rows[0]?.id;
    if (id === undefined) throw new Error(`no parent entity ${entity.parentCode}`);
    return id;
  } finally {
    await client.end();
  }
}

/**
 * Create a user for each email in `grants` and give each the listed role
 * on the listed entity, as the database owner. Test setup only.
 */
export async function addUsersWithGrants(
  testApp: TestApp,
  grants: readonly (readonly [email: string, role: Role, entityCode: string])[],
): Promise<void> {
  const emails = [...new Set(grants.map(([email]) => email))];
  await testApp.database.db
    .insertInto('users')
    .values(emails.map((email) => ({ email, display_name: email })))
    .execute();
  for (const [email, role, entityCode] of grants) {
    await grantRoleDirectly(testApp.ownerUrl, { email, role, entityCode });
  }
}
