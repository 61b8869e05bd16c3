import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createAdministrator,
  login,
  ORIGIN,
  PASSWORD,
  setPassword,
  signIn,
} from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';

describe('accounts, API tokens and session limits', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let preparerId: string;

  // One data directory, so a second app instance opens the same master key.
  const env = {
    PEYTONIX_MFA_REQUIRED: 'false',
    PEYTONIX_PUBLIC_URL: ORIGIN,
    PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-accounts-')),
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { env });
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    await createAdministrator(testApp, ADMIN);
    const admin = await signIn(testApp.app, ADMIN);
    const created = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: bearer(admin.accessToken),
      payload: { email: PREPARER, displayName: 'Pia Preparer' },
    });
    const body = created.json() as { id: string; setupSecret: string };
    preparerId = body.id;
    await setPassword(testApp.app, body.setupSecret);
  });

  afterAll(async () => {
    await owner.end();
    await testApp.close();
    await database.drop();
  });

  const get = (url: string, headers: Record<string, string>) =>
    testApp.app.inject({ method: 'GET', url, headers });

  describe('passwords', () => {
    it('rejects a setup secret used twice', async () => {
      const admin = await signIn(testApp.app, ADMIN);
      const created = (
        await testApp.app.inject({
          method: 'POST',
          url: '/api/v1/users',
          headers: bearer(admin.accessToken),
          payload: { email: 'once@example.com', displayName: 'Once' },
        })
      ).json() as { setupSecret: string };
      await setPassword(testApp.app, created.setupSecret);

      const again = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/setup',
        payload: { setupSecret: created.setupSecret, password: 'another-long-passphrase' },
      });

      expect(again.statusCode).toBe(401);
    });

    it.each([
      ['too short', 'short-pass'],
      ['common', 'password123456'],
      ['padded common', '!!qwertyuiop2024'],
      ['too long', 'x'.repeat(120) + 'y'.repeat(137)],
      ['containing the display name', 'x-piapreparer-x9'],
    ])('rejects a %s password', async (_case, password) => {
      const session = await signIn(testApp.app, PREPARER);
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/password',
        headers: bearer(session.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: password },
      });

      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({ code: 'WEAK_PASSWORD' });
    });

    it('throttles wrong current passwords like sign-in', async () => {
      const session = await signIn(testApp.app, PREPARER);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const response = await testApp.app.inject({
          method: 'POST',
          url: '/api/v1/account/password',
          headers: bearer(session.accessToken),
          payload: {
            currentPassword: `wrong-guess-${i}-abcdef`,
            newPassword: 'granite-harbor-sonnet-42',
          },
        });
        statuses.push(response.statusCode);
      }

      // Three free failures, then the account must wait before the next try.
      expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(statuses.slice(3)).toContain(429);
      await owner.query(`DELETE FROM login_throttles WHERE key = $1`, [PREPARER]);
    });

    it('changes the password and ends the other sessions', async () => {
      const kept = await signIn(testApp.app, PREPARER);
      const other = await signIn(testApp.app, PREPARER);
      const next = 'granite-harbor-sonnet-42';

      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/password',
        headers: bearer(kept.accessToken),
        payload: { currentPassword: PASSWORD, newPassword: next },
      });

      expect(response.statusCode).toBe(204);
      expect((await get('/api/v1/account', bearer(kept.accessToken))).statusCode).toBe(200);
      expect((await get('/api/v1/account', bearer(other.accessToken))).statusCode).toBe(401);
      expect((await login(testApp.app, PREPARER, PASSWORD, '10.9.0.1')).statusCode).toBe(401);
      await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/password',
        headers: bearer(kept.accessToken),
        payload: { currentPassword: next, newPassword: PASSWORD },
      });
    });

    it('stores argon2id hashes and upgrades them when the parameters change', async () => {
      const before = await owner.query<{ password_hash: string }>(
        'SELECT password_hash FROM password_credentials WHERE user_id = $1',
        [preparerId],
      );
      expect(before.rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

      const stronger = await startTestApp(database, {
        env: { ...env, PEYTONIX_PASSWORD_TIME_COST: '3' },
        migrate: false,
      });
      try {
        expect((await login(stronger.app, PREPARER)).statusCode).toBe(200);
      } finally {
        await stronger.close();
      }

      const after = await owner.query<{ password_hash: string }>(
        'SELECT password_hash FROM password_credentials WHERE user_id = $1',
        [preparerId],
      );
      expect(after.rows[0]?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
      expect((await login(testApp.app, PREPARER)).statusCode).toBe(200);
    });
  });

  describe('keys', () => {
    it('fails closed with 503 on an instance with another master key', async () => {
      const stranger = await startTestApp(database, {
        env: { ...env, PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-stranger-')) },
        migrate: false,
      });
      try {
        const response = await login(stranger.app, PREPARER, PASSWORD, '10.8.0.1');

        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ code: 'KEY_PROVIDER_UNAVAILABLE' });
      } finally {
        await stranger.close();
      }
    });
  });

  describe('session limits', () => {
    it('ends a session after the idle timeout', async () => {
      const session = await signIn(testApp.app, PREPARER);
      await owner.query(
        `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`,
        [session.sessionId],
      );

      expect((await get('/api/v1/account', bearer(session.accessToken))).statusCode).toBe(401);
      const refresh = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: session.refreshToken, delivery: 'body' },
      });
      expect(refresh.statusCode).toBe(401);
    });

    it('ends a session at its absolute lifetime, whatever refreshes happened', async () => {
      const session = await signIn(testApp.app, PREPARER);
      await owner.query(
        `UPDATE sessions SET created_at = now() - interval '13 hours', expires_at = now() - interval '1 hour' WHERE id = $1`,
        [session.sessionId],
      );

      expect((await get('/api/v1/account', bearer(session.accessToken))).statusCode).toBe(401);
    });

    it('lets an administrator revoke all sessions of a user', async () => {
      const preparer = await signIn(testApp.app, PREPARER);
      const admin = await signIn(testApp.app, ADMIN);

      const response = await testApp.app.inject({
        method: 'POST',
        url: `/api/v1/users/${preparerId}/revoke-sessions`,
        headers: bearer(admin.accessToken),
      });

      expect(response.statusCode).toBe(200);
      expect((await get('/api/v1/account', bearer(preparer.accessToken))).statusCode).toBe(401);
    });

    it('keeps user administration from non-administrators', async () => {
      const preparer = await signIn(testApp.app, PREPARER);

      const response = await testApp.app.inject({
        method: 'POST',
        url: `/api/v1/users/${preparerId}/revoke-sessions`,
        headers: bearer(preparer.accessToken),
      });

      expect(response.statusCode).toBe(403);
    });

    it('refuses to let an administrator suspend themselves', async () => {
      const admin = await signIn(testApp.app, ADMIN);

      for (const id of [admin.userId, admin.userId.toUpperCase()]) {
        for (const verb of ['suspend', 'deprovision']) {
          const response = await testApp.app.inject({
            method: 'POST',
            url: `/api/v1/users/${id}/${verb}`,
            headers: bearer(admin.accessToken),
          });
          expect(response.statusCode, `${verb} ${id}`).toBe(422);
        }
      }
      expect((await get('/api/v1/account', bearer(admin.accessToken))).statusCode).toBe(200);
    });

    it('rejects control characters in names', async () => {
      const admin = await signIn(testApp.app, ADMIN);
      const user = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        headers: bearer(admin.accessToken),
        payload: { email: 'nul@example.com', displayName: 'a\u0000b' },
      });
      const token = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/api-tokens',
        headers: bearer(admin.accessToken),
        payload: { name: 'line\nbreak', permissions: ['audit_trail.read'], expiresInDays: 1 },
      });

      expect(user.statusCode).toBe(400);
      expect(token.statusCode).toBe(400);
    });
  });

  describe('refresh with cookies', () => {
    async function cookieLogin() {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: PREPARER, password: PASSWORD },
      });
      return (
        response.cookies.find((cookie) => cookie.name === '__Secure-peytonix-refresh')?.value ?? ''
      );
    }

    it('rotates the refresh cookie from the public origin', async () => {
      const refresh = await cookieLogin();
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        headers: { origin: ORIGIN },
        cookies: { '__Secure-peytonix-refresh': refresh },
      });

      expect(response.statusCode).toBe(200);
      const next = response.cookies.find((cookie) => cookie.name === '__Secure-peytonix-refresh');
      expect(next?.value).not.toBe(refresh);
    });

    it('rejects a cookie refresh without or from a foreign origin', async () => {
      const refresh = await cookieLogin();
      for (const headers of [{}, { origin: 'https://evil.example' }]) {
        const response = await testApp.app.inject({
          method: 'POST',
          url: '/api/v1/auth/refresh',
          headers,
          cookies: { '__Secure-peytonix-refresh': refresh },
        });
        expect(response.statusCode).toBe(403);
      }
    });
  });

  describe('personal API tokens', () => {
    async function createToken(permissions: string[], expiresInDays = 30) {
      const admin = await signIn(testApp.app, ADMIN);
      return await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/api-tokens',
        headers: bearer(admin.accessToken),
        payload: { name: 'ci export', permissions, expiresInDays },
      });
    }

    it('reaches only routes whose permission it carries', async () => {
      const created = await createToken(['audit_trail.read']);
      expect(created.statusCode).toBe(201);
      const { token } = created.json() as { token: string };
      expect(token).toMatch(/^ptx_/);

      expect((await get('/api/v1/audit/events', bearer(token))).statusCode).toBe(200);
      expect((await get('/api/v1/users', bearer(token))).statusCode).toBe(403);
      expect((await get('/api/v1/account', bearer(token))).statusCode).toBe(403);
      const mint = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/account/api-tokens',
        headers: bearer(token),
        payload: { name: 'x', permissions: ['users.manage'], expiresInDays: 1 },
      });
      expect(mint.statusCode).toBe(403);
    });

    it('carries only permissions its user holds', async () => {
      const created = await createToken(['audit_trail.read', 'runs.execute']);

      expect(created.statusCode).toBe(400);
      expect(created.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((created.json() as { detail: string }).detail).toContain('runs.execute');
    });

    it('stores only the hash of the token', async () => {
      const { token } = (await createToken(['audit_trail.read'])).json() as { token: string };
      const rows = await owner.query<{ token_sha256: Buffer }>(
        'SELECT token_sha256 FROM api_tokens',
      );

      for (const row of rows.rows) {
        expect(row.token_sha256.toString('utf8')).not.toContain(token.slice(4));
      }
    });

    it('stops working once revoked or expired', async () => {
      const first = (await createToken(['audit_trail.read'])).json() as {
        id: string;
        token: string;
      };
      const second = (await createToken(['audit_trail.read'])).json() as {
        id: string;
        token: string;
      };
      const admin = await signIn(testApp.app, ADMIN);

      const revoke = await testApp.app.inject({
        method: 'DELETE',
        url: `/api/v1/account/api-tokens/${first.id}`,
        headers: bearer(admin.accessToken),
      });
      await owner.query(
        `UPDATE api_tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day' WHERE id = $1`,
        [second.id],
      );

      expect(revoke.statusCode).toBe(204);
      expect((await get('/api/v1/audit/events', bearer(first.token))).statusCode).toBe(401);
      expect((await get('/api/v1/audit/events', bearer(second.token))).statusCode).toBe(401);
    });

    it('rejects unknown permissions and lifetimes over a year', async () => {
      expect((await createToken(['everything'])).statusCode).toBe(400);
      expect((await createToken(['audit_trail.read'], 400)).statusCode).toBe(400);
    });

    it('rejects a token that was never issued', async () => {
      const response = await get('/api/v1/audit/events', bearer(`ptx_${'A'.repeat(43)}`));

      expect(response.statusCode).toBe(401);
    });
  });
});
