import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import {
  bearer,
  createAdministrator,
  login,
  ORIGIN,
  PASSWORD,
  signIn,
} from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

describe('sessions', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      env: { PEYTONIX_MFA_REQUIRED: 'false', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
    await createAdministrator(testApp, ADMIN);
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const me = (headers: Record<string, string>) =>
    testApp.app.inject({ method: 'GET', url: '/api/v1/account', headers });

  it('signs in and reaches a protected route with a bearer token', async () => {
    const session = await signIn(testApp.app, ADMIN);

    const response = await me(bearer(session.accessToken));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      email: ADMIN,
      session: { id: session.sessionId, assurance: 'full' },
    });
  });

  it('answers unknown email and wrong password alike', async () => {
    const unknown = await login(testApp.app, 'nobody@example.com', PASSWORD, '10.0.0.1');
    const wrong = await login(testApp.app, ADMIN, 'wrong-password-123', '10.0.0.2');

    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    const strip = (body: string) => {
      const {
        requestId: _requestId,
        instance: _instance,
        ...rest
      } = JSON.parse(body) as Record<string, unknown>;
      return rest;
    };
    expect(strip(unknown.body)).toEqual(strip(wrong.body));
  });

  it('rotates refresh tokens and revokes the family on reuse', async () => {
    const session = await signIn(testApp.app, ADMIN);
    const refresh = (token: string) =>
      testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: token, delivery: 'body' },
      });

    const first = await refresh(session.refreshToken);
    expect(first.statusCode).toBe(200);
    const rotated = first.json() as { refreshToken: string; accessToken: string };
    expect(rotated.refreshToken).not.toBe(session.refreshToken);

    const reuse = await refresh(session.refreshToken);
    expect(reuse.statusCode).toBe(401);

    const afterReuse = await refresh(rotated.refreshToken);
    expect(afterReuse.statusCode).toBe(401);
    expect((await me(bearer(rotated.accessToken))).statusCode).toBe(401);
    await sealPendingEvents(testApp.database.db);
    const events = await testApp.database.db
      .selectFrom('audit_events')
      .select(['action', 'reason_code'])
      .where('action', '=', 'session.refresh_reuse_detected')
      .execute();
    expect(events).toContainEqual({
      action: 'session.refresh_reuse_detected',
      reason_code: 'refresh_token_reused',
    });
  });

  it('never leaves two live tokens after parallel refreshes', async () => {
    const session = await signIn(testApp.app, ADMIN);

    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        testApp.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          payload: { refreshToken: session.refreshToken, delivery: 'body' },
        }),
      ),
    );

    const succeeded = responses.filter((response) => response.statusCode === 200);
    expect(succeeded.length).toBeLessThanOrEqual(1);
    expect(responses.filter((response) => response.statusCode === 401)).toHaveLength(
      50 - succeeded.length,
    );
    const live = await testApp.database.db
      .selectFrom('refresh_tokens')
      .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .select('refresh_tokens.token_sha256')
      .where('sessions.id', '=', session.sessionId)
      .where('refresh_tokens.rotated_at', 'is', null)
      .where('sessions.revoked_at', 'is', null)
      .execute();
    expect(live.length).toBeLessThanOrEqual(1);
    const winner = succeeded[0];
    if (winner !== undefined) {
      const token = (winner.json() as { refreshToken: string }).refreshToken;
      const next = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: token, delivery: 'body' },
      });
      // 49 reuses revoked the family, so even the winner's token is dead.
      expect(next.statusCode).toBe(401);
    }
  });

  it('rejects the next request of a suspended user', async () => {
    const created = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer((await signIn(testApp.app, ADMIN)).accessToken),
      payload: { email: 'sam@example.com', displayName: 'Sam' },
    });
    expect(created.statusCode).toBe(201);
    const { id, setupSecret } = created.json() as { id: string; setupSecret: string };
    await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/setup',
      payload: { setupSecret, password: PASSWORD },
    });
    const sam = await signIn(testApp.app, 'sam@example.com');
    expect((await me(bearer(sam.accessToken))).statusCode).toBe(200);

    const admin = await signIn(testApp.app, ADMIN);
    const suspend = await testApp.app.inject({
      method: 'POST',
      url: `/api/v1/users/${id}/suspend`,
      headers: bearer(admin.accessToken),
    });
    expect(suspend.statusCode).toBe(200);

    const after = await me(bearer(sam.accessToken));
    expect(after.statusCode).toBe(401);
  });

  it('logs out and rejects the session afterwards', async () => {
    const session = await signIn(testApp.app, ADMIN);

    const logout = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(session.accessToken),
    });

    expect(logout.statusCode).toBe(204);
    expect((await me(bearer(session.accessToken))).statusCode).toBe(401);
  });

  it('signs out everywhere', async () => {
    const first = await signIn(testApp.app, ADMIN);
    const second = await signIn(testApp.app, ADMIN);

    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/account/sessions/revoke-all',
      headers: bearer(first.accessToken),
    });

    expect(response.statusCode).toBe(200);
    expect((await me(bearer(first.accessToken))).statusCode).toBe(401);
    expect((await me(bearer(second.accessToken))).statusCode).toBe(401);
  });

  it('denies with 503 when the database cannot revalidate', async () => {
    const session = await signIn(testApp.app, ADMIN);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query(`ALTER DATABASE ${database.name} CONNECTION LIMIT 0`);
      await owner.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = 'peytonix_app'`,
        [database.name],
      );

      const response = await me(bearer(session.accessToken));

      expect(response.statusCode).toBe(503);
      expect(response.body).not.toContain(ADMIN);
    } finally {
      await owner.query(`ALTER DATABASE ${database.name} CONNECTION LIMIT -1`);
      await owner.end();
    }
    expect((await me(bearer(session.accessToken))).statusCode).toBe(200);
  });

  describe('cookies and CSRF', () => {
    async function cookieSession() {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: ADMIN, password: PASSWORD },
      });
      expect(response.statusCode).toBe(200);
      const cookies = Object.fromEntries(response.cookies.map((cookie) => [cookie.name, cookie]));
      return { body: response.json() as { csrfToken: string; accessToken?: string }, cookies };
    }

    it('sets HttpOnly, Secure, SameSite=Strict cookies and no token in the body', async () => {
      const { body, cookies } = await cookieSession();

      expect(body.accessToken).toBeUndefined();
      const access = cookies['__Host-peytonix-access'];
      expect(access).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
      expect(cookies['__Secure-peytonix-refresh']).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
        path: '/api/v1/auth',
      });
      expect(cookies['__Host-peytonix-csrf']?.httpOnly).toBeUndefined();
    });

    it('accepts a cookie POST with the right origin and CSRF token', async () => {
      const { body, cookies } = await cookieSession();
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/mfa/recovery-codes',
        headers: { origin: ORIGIN, 'x-csrf-token': body.csrfToken },
        cookies: { '__Host-peytonix-access': cookies['__Host-peytonix-access']?.value ?? '' },
      });

      expect(response.statusCode).toBe(200);
    });

    it('rejects a cookie POST without the CSRF token', async () => {
      const { cookies } = await cookieSession();
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/mfa/recovery-codes',
        headers: { origin: ORIGIN },
        cookies: { '__Host-peytonix-access': cookies['__Host-peytonix-access']?.value ?? '' },
      });

      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'CSRF_REJECTED' });
    });

    it('rejects a cookie POST from a foreign origin', async () => {
      const { body, cookies } = await cookieSession();
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/mfa/recovery-codes',
        headers: { origin: 'https://evil.example', 'x-csrf-token': body.csrfToken },
        cookies: { '__Host-peytonix-access': cookies['__Host-peytonix-access']?.value ?? '' },
      });

      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'CSRF_REJECTED' });
    });

    it('rejects cookie sign-in steps from a foreign origin', async () => {
      const mfaToken = 'A'.repeat(43);
      const requests = [
        { url: '/api/v1/auth/login', payload: { email: ADMIN, password: PASSWORD } },
        { url: '/api/v1/auth/login/totp', payload: { mfaToken, code: '123456' } },
        {
          url: '/api/v1/auth/login/recovery-code',
          payload: { mfaToken, code: 'ABCD-EFGH-JKMN-PQRS' },
        },
        {
          url: '/api/v1/auth/login/passkey',
          payload: {
            mfaToken,
            response: {
              id: 'B'.repeat(22),
              rawId: 'B'.repeat(22),
              type: 'public-key',
              response: { clientDataJSON: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
              clientExtensionResults: {},
            },
          },
        },
      ];
      for (const { url, payload } of requests) {
        const response = await testApp.app.inject({
          method: 'POST',
          url,
          headers: { origin: 'https://evil.example' },
          payload,
        });
        expect(response.statusCode, url).toBe(403);
        expect(response.json()).toMatchObject({ code: 'CSRF_REJECTED' });
      }
    });

    it('rejects a CSRF token of another session', async () => {
      const mine = await cookieSession();
      const other = await cookieSession();
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/mfa/recovery-codes',
        headers: { origin: ORIGIN, 'x-csrf-token': other.body.csrfToken },
        cookies: { '__Host-peytonix-access': mine.cookies['__Host-peytonix-access']?.value ?? '' },
      });

      expect(response.statusCode).toBe(403);
    });
  });
});
