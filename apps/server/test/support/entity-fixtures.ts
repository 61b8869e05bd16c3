import type { Actor } from '../../src/modules/identity/actor.ts';
import type { TestApp } from './test-app.ts';

/**
 * Create the first administrator with the organization root ORG, a
 * business unit below it, and a second user without any grant. Returns the
 * administrator as an actor.
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
  return admin;
}
