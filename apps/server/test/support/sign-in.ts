import type { FastifyInstance } from 'fastify';
import { generate } from 'otplib';
import type { TestApp } from './test-app.ts';

export const ORIGIN = 'http://127.0.0.1:3000';
export const PASSWORD = 'plum-orbit-lantern-97';

export interface BodySession {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  userId: string;
  assurance: string;
  csrfToken: string | null;
}

/** Create the first administrator and set their password through the setup route. */
export async function createAdministrator(testApp: TestApp, email = 'ada@example.com') {
  const created = await testApp.services.identity.createFirstAdministrator({
    email,
    displayName: 'Ada Admin',
    organizationName: 'Example Group',
    organizationCode: 'ORG',
  });
  await setPassword(testApp.app, created.setupSecret);
  return created;
}

export async function setPassword(app: FastifyInstance, setupSecret: string, password = PASSWORD) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/setup',
    payload: { setupSecret, password },
  });
  if (response.statusCode !== 204) throw new Error(`setup failed: ${response.body}`);
}

export function login(app: FastifyInstance, email: string, password = PASSWORD, ip = '127.0.0.1') {
  return app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password, delivery: 'body' },
    remoteAddress: ip,
  });
}

/** Sign in with body delivery and return the tokens; fails the test on anything but a session. */
export async function signIn(
  app: FastifyInstance,
  email: string,
  password = PASSWORD,
): Promise<BodySession> {
  const response = await login(app, email, password);
  const body = response.json() as BodySession & { status: string };
  if (response.statusCode !== 200 || body.status !== 'signed_in') {
    throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  }
  return body;
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

/** Enrol TOTP for the session and return the seed and the recovery codes. */
export async function enrolTotp(app: FastifyInstance, accessToken: string) {
  const begin = await app.inject({
    method: 'POST',
    url: '/api/v1/account/mfa/totp',
    headers: bearer(accessToken),
  });
  if (begin.statusCode !== 200) throw new Error(`TOTP enrolment failed: ${begin.body}`);
  const { secret } = begin.json() as { secret: string };
  const confirm = await app.inject({
    method: 'POST',
    url: '/api/v1/account/mfa/totp/confirm',
    headers: bearer(accessToken),
    payload: { code: await generate({ secret }) },
  });
  if (confirm.statusCode !== 200) throw new Error(`TOTP confirmation failed: ${confirm.body}`);
  return { secret, recoveryCodes: (confirm.json() as { recoveryCodes: string[] }).recoveryCodes };
}
