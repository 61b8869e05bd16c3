import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import {
  bearer,
  createAdministrator,
  enrolTotp,
  login,
  ORIGIN,
  PASSWORD,
} from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

describe('second factors and throttling', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let totpSecret: string;
  let recoveryCodes: string[];

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      env: { PEYTONIX_PUBLIC_URL: ORIGIN },
      throttlePolicy: {
        account: {
          freeFailures: 4,
          maxDelaySeconds: 1,
          lockAfter: 7,
          lockSeconds: 600,
          maxLockSeconds: 600,
          windowSeconds: 600,
        },
        network: {
          freeFailures: 100,
          maxDelaySeconds: 1,
          lockAfter: 1000,
          lockSeconds: 600,
          maxLockSeconds: 600,
          windowSeconds: 600,
        },
      },
    });
    await createAdministrator(testApp, ADMIN);
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    testApp.app.inject({
      method: 'POST',
      url,
      payload: payload as Record<string, unknown>,
      headers,
    });

  it('gives a user without MFA a session that reaches only enrolment routes', async () => {
    const response = await login(testApp.app, ADMIN);
    const session = response.json() as { status: string; assurance: string; accessToken: string };
    expect(session).toMatchObject({ status: 'signed_in', assurance: 'enrolment_only' });

    const users = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: bearer(session.accessToken),
    });
    expect(users.statusCode).toBe(403);
    expect(users.json()).toMatchObject({ code: 'MFA_ENROLMENT_REQUIRED' });
    const audit = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/audit/events',
      headers: bearer(session.accessToken),
    });
    expect(audit.statusCode).toBe(403);
    const account = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/account',
      headers: bearer(session.accessToken),
    });
    expect(account.statusCode).toBe(200);

    const begin = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/account/mfa/totp',
      headers: bearer(session.accessToken),
    });
    expect(begin.statusCode).toBe(200);
    expect(begin.json()).toMatchObject({
      otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//),
    });
    expect((begin.json() as { qrCodeSvg: string }).qrCodeSvg).toMatch(/^<svg/);
  });

  it('upgrades the session once TOTP is confirmed', async () => {
    const session = (await login(testApp.app, ADMIN)).json() as { accessToken: string };
    const enrolled = await enrolTotp(testApp.app, session.accessToken);
    totpSecret = enrolled.secret;
    recoveryCodes = enrolled.recoveryCodes;

    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const users = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/users',
      headers: bearer(session.accessToken),
    });
    expect(users.statusCode).toBe(200);
  });

  it('stores recovery codes hashed and the TOTP seed sealed', async () => {
    const codes = await testApp.database.db
      .selectFrom('recovery_codes')
      .select('code_sha256')
      .execute();
    const totp = await testApp.database.db
      .selectFrom('totp_credentials')
      .select('secret_sealed')
      .executeTakeFirstOrThrow();

    expect(codes).toHaveLength(10);
    expect(totp.secret_sealed.includes(Buffer.from(totpSecret))).toBe(false);
  });

  it('requires the second factor after the password', async () => {
    const response = await login(testApp.app, ADMIN);

    expect(response.json()).toMatchObject({
      status: 'mfa_required',
      methods: ['totp', 'recovery_code'],
    });
  });

  it('accepts a TOTP code once and rejects its replay', async () => {
    const first = (await login(testApp.app, ADMIN)).json() as { mfaToken: string };
    const second = (await login(testApp.app, ADMIN)).json() as { mfaToken: string };
    // A fresh step, so the code used at enrolment is not the one replayed here.
    await new Promise((resolve) =>
      setTimeout(resolve, (30 - (Math.floor(Date.now() / 1000) % 30) + 1) * 1000),
    );
    const code = await generate({ secret: totpSecret });

    const accepted = await post('/api/v1/auth/login/totp', {
      mfaToken: first.mfaToken,
      code,
      delivery: 'body',
    });
    const replayed = await post('/api/v1/auth/login/totp', {
      mfaToken: second.mfaToken,
      code,
      delivery: 'body',
    });

    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'signed_in', assurance: 'full' });
    expect(replayed.statusCode).toBe(401);
  }, 40_000);

  it('accepts a recovery code once', async () => {
    const code = recoveryCodes[0] ?? '';
    const first = (await login(testApp.app, ADMIN)).json() as { mfaToken: string };
    const second = (await login(testApp.app, ADMIN)).json() as { mfaToken: string };

    const used = await post('/api/v1/auth/login/recovery-code', {
      mfaToken: first.mfaToken,
      code: code.toLowerCase(),
      delivery: 'body',
    });
    const reused = await post('/api/v1/auth/login/recovery-code', {
      mfaToken: second.mfaToken,
      code,
      delivery: 'body',
    });

    expect(used.statusCode).toBe(200);
    expect(reused.statusCode).toBe(401);
  });

  it('spends an MFA challenge once', async () => {
    const challenge = (await login(testApp.app, ADMIN)).json() as { mfaToken: string };
    const codes = recoveryCodes.slice(1, 3);

    const first = await post('/api/v1/auth/login/recovery-code', {
      mfaToken: challenge.mfaToken,
      code: codes[0],
      delivery: 'body',
    });
    const second = await post('/api/v1/auth/login/recovery-code', {
      mfaToken: challenge.mfaToken,
      code: codes[1],
      delivery: 'body',
    });

    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(401);
  });

  it('slows down, then locks an account, alike for unknown emails', async () => {
    const attempt = (email: string) => login(testApp.app, email, 'not-the-password-1', '10.1.1.1');
    const results: Record<string, number[]> = {};

    for (const email of ['locked-out@example.com', ADMIN]) {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        const response = await attempt(email);
        statuses.push(response.statusCode);
        if (response.statusCode === 429) {
          expect(response.headers['retry-after']).toMatch(/^\d+$/);
          expect(response.json()).toMatchObject({ code: 'LOGIN_THROTTLED' });
          await new Promise((resolve) => setTimeout(resolve, 1100));
        }
      }
      results[email] = statuses;
    }

    expect(results['locked-out@example.com']).toEqual(results[ADMIN]);
    expect(results[ADMIN]).toContain(429);
    const right = await login(testApp.app, ADMIN, PASSWORD, '10.1.1.2');
    expect(right.statusCode).toBe(429);

    await sealPendingEvents(testApp.database.db);
    const locked = await testApp.database.db
      .selectFrom('audit_events')
      .select(['action', 'reason_code'])
      .where('action', 'in', ['auth.account_locked', 'auth.login_throttled', 'auth.login_failed'])
      .execute();
    expect(locked.filter((event) => event.action === 'auth.account_locked')).toHaveLength(2);
    expect(locked.some((event) => event.reason_code === 'account_locked')).toBe(true);
    expect(locked.some((event) => event.reason_code === 'account_delay')).toBe(true);
  }, 30_000);
});

describe('second-factor guessing', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      env: { PEYTONIX_PUBLIC_URL: ORIGIN },
      throttlePolicy: {
        account: {
          freeFailures: 100,
          maxDelaySeconds: 1,
          lockAfter: 6,
          lockSeconds: 600,
          maxLockSeconds: 600,
          windowSeconds: 600,
        },
        network: {
          freeFailures: 100,
          maxDelaySeconds: 1,
          lockAfter: 1000,
          lockSeconds: 600,
          maxLockSeconds: 600,
          windowSeconds: 600,
        },
      },
    });
    await createAdministrator(testApp, ADMIN);
    const session = (await login(testApp.app, ADMIN)).json() as { accessToken: string };
    await enrolTotp(testApp.app, session.accessToken);
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('locks the account across fresh password sign-ins', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      const challenge = await login(testApp.app, ADMIN);
      statuses.push(challenge.statusCode);
      if (challenge.statusCode !== 200) continue;
      const { mfaToken } = challenge.json() as { mfaToken: string };
      const guess = await testApp.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login/totp',
        payload: { mfaToken, code: '000000', delivery: 'body' },
      });
      statuses.push(guess.statusCode);
    }

    // Each password sign-in and each wrong code count once, so the sixth
    // step locks the account and later steps are throttled.
    expect(statuses.slice(0, 6)).toEqual([200, 401, 200, 401, 200, 401]);
    expect(statuses.slice(6)).toEqual([429]);
  });
});

describe('removing TOTP', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { env: { PEYTONIX_PUBLIC_URL: ORIGIN } });
    await createAdministrator(testApp, ADMIN);
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('needs the password and leaves the next sign-in enrolment-only', async () => {
    const session = (await login(testApp.app, ADMIN)).json() as { accessToken: string };
    await enrolTotp(testApp.app, session.accessToken);
    expect((await login(testApp.app, ADMIN)).json()).toMatchObject({ status: 'mfa_required' });

    const wrong = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/account/mfa/totp/remove',
      headers: bearer(session.accessToken),
      payload: { password: 'not-the-password-9' },
    });
    const removed = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/account/mfa/totp/remove',
      headers: bearer(session.accessToken),
      payload: { password: PASSWORD },
    });

    expect(wrong.statusCode).toBe(401);
    expect(removed.statusCode).toBe(204);
    expect((await login(testApp.app, ADMIN)).json()).toMatchObject({
      status: 'signed_in',
      assurance: 'enrolment_only',
    });
  });
});
