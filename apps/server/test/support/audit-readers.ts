import pg from 'pg';
import type { Actor } from '../../src/modules/identity/actor.ts';
import type { TestApp } from './test-app.ts';

export const AUDIT_ADMIN = 'ada@example.com';
export const AUDIT_MANAGER = 'max@example.com';
export const AUDIT_READER = 'rita@example.com';

/**
 * Create the organization ORG with the business unit RETAIL, and three
 * users: AUDIT_ADMIN (administrator on ORG), AUDIT_MANAGER (management on
 * RETAIL only) and AUDIT_READER (read_only on ORG, so no audit access).
 * Returns the administrator and an open owner connection for fixtures.
 */
export async function seedAuditReaders(
  testApp: TestApp,
): Promise<{ admin: Actor; owner: pg.Client }> {
  const { services } = testApp;
  const first = await services.identity.createFirstAdministrator({
    email: AUDIT_ADMIN,
    displayName: 'Ada',
    organizationName: 'Example Group',
    organizationCode: 'ORG',
  });
  const admin: Actor = { type: 'user', userId: first.userId, email: AUDIT_ADMIN, channel: 'api' };
  const retail = await services.entities.create(admin, {
    parentCode: 'ORG',
    type: 'business_unit',
    code: 'RETAIL',
    name: 'Retail',
  });

  const owner = new pg.Client({ connectionString: testApp.ownerUrl });
  await owner.connect();
  for (const [email, role, entityId] of [
    [AUDIT_MANAGER, 'management', retail.id],
    [AUDIT_READER, 'read_only', first.organizationId],
  ] as const) {
    const user = await owner.query<{ id: string }>(
      'INSERT INTO users (email, display_name) VALUES ($1, $1) RETURNING id',
      [email],
    );
    await owner.query('INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, $2, $3)', [
      user.rows[0]?.id,
      role,
      entityId,
    ]);
  }
  return { admin, owner };
}
