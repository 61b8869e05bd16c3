import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../src/modules/identity/sessions/verified-token-cache.ts';
import { bearer, createAdministrator, ORIGIN, signIn } from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('verified token cache', () => {
  const claims = { userId: 'u', sessionId: 's' };

  it('forgets a token at its expiry', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('token', { claims, expiresAtMs: 2_000, notBeforeMs: 0 });

    expect(cache.get('token', 1_999, 0)).toEqual(claims);
    expect(cache.get('token', 2_000, 0)).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('withholds a token before its nbf', () => {
    const cache = new VerifiedTokenCache(10);
    cache.set('token', { claims, expiresAtMs: 10_000, notBeforeMs: 5_000 });

    expect(cache.get('token', 1_000, 0)).toBeNull();
    expect(cache.get('token', 4_000, 1_000)).toEqual(claims);
  });

  it('evicts the oldest entry when full', () => {
    const cache = new VerifiedTokenCache(2);
    for (const token of ['a', 'b', 'c'])
      cache.set(token, { claims, expiresAtMs: 10_000, notBeforeMs: 0 });

    expect(cache.get('a', 0, 0)).toBeNull();
    expect(cache.get('c', 0, 0)).toEqual(claims);
    expect(cache.size).toBe(2);
  });
});

describe('batched revalidation', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      env: { PEYTONIX_MFA_REQUIRED: 'false', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
    await createAdministrator(testApp, 'ada@example.com');
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('answers each request of a batch for its own session', async () => {
    const sessions = [];
    for (let i = 0; i < 6; i += 1) sessions.push(await signIn(testApp.app, 'ada@example.com'));
    const revoked = new Set([sessions[1]?.sessionId, sessions[4]?.sessionId]);
    for (const session of sessions.filter((item) => revoked.has(item.sessionId))) {
      await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: bearer(session.accessToken),
      });
    }

    const requests = sessions.flatMap((session) =>
      Array.from({ length: 20 }, () =>
        testApp.app
          .inject({ method: 'GET', url: '/api/v1/account', headers: bearer(session.accessToken) })
          .then((response) => ({ session: session.sessionId, status: response.statusCode })),
      ),
    );
    const results = await Promise.all(requests);

    for (const result of results) {
      expect(result.status, result.session).toBe(revoked.has(result.session) ? 401 : 200);
    }
  });
});
