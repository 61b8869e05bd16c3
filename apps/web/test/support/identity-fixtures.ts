import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import {
  bearer,
  createAdministrator,
  enrolTotp,
  PASSWORD,
  setPassword,
  signIn,
} from '../../../server/test/support/sign-in.ts';
import type { E2eServer } from './e2e-server.ts';
import { TestAuthenticator } from './totp.ts';

export { PASSWORD };

/** A user with a password and a confirmed TOTP authenticator. */
export interface EnrolledUser {
  email: string;
  displayName: string;
  authenticator: TestAuthenticator;
  recoveryCodes: string[];
}

/** Create the first administrator (Ada Admin, organization ORG) with the password PASSWORD. */
export async function createFirstAdministrator(server: E2eServer, email = 'ada@example.com') {
  const created = await createAdministrator(server, email);
  const actor = await server.services.identity.resolveCliActor(email);
  return { ...created, actor: actor as UserActor };
}

/**
 * Create a user as `admin` would through POST /api/v1/users, and return the
 * one-time setup secret without using it.
 */
export async function createUserWithSetupSecret(
  server: E2eServer,
  admin: UserActor,
  user: { email: string; displayName: string },
) {
  return await server.services.auth.users.create(admin, user, {});
}

/** Create a user whose password is PASSWORD and who has no second factor yet. */
export async function createUserWithPassword(
  server: E2eServer,
  admin: UserActor,
  user: { email: string; displayName: string },
) {
  const created = await createUserWithSetupSecret(server, admin, user);
  await setPassword(server.app, created.setupSecret);
  return created;
}

/**
 * Create a user with PASSWORD and TOTP, enrolled through the API in a
 * session that then signs out, so the user starts with no live session.
 */
export async function createUserWithTotp(
  server: E2eServer,
  admin: UserActor,
  user: { email: string; displayName: string },
): Promise<EnrolledUser> {
  await createUserWithPassword(server, admin, user);
  const session = await signIn(server.app, user.email);
  const { secret, recoveryCodes } = await enrolTotp(server.app, session.accessToken);
  const logout = await server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/logout',
    headers: bearer(session.accessToken),
  });
  if (logout.statusCode !== 204) throw new Error(`sign-out after enrolment failed: ${logout.body}`);
  return { ...user, authenticator: new TestAuthenticator(secret), recoveryCodes };
}
