import { randomUUID } from 'node:crypto';
import {
  passkeyCreationOptionsSchema,
  passkeyListSchema,
  passkeyRequestOptionsSchema,
  registeredPasskeySchema,
} from '@peytonix/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import type { UserActor } from '../../src/modules/identity/actor.ts';
import {
  createPasskeyService,
  type PasskeyService,
} from '../../src/modules/identity/mfa/passkeys.ts';
import type { Tx } from '../../src/platform/db/database.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { silentLogger } from '../support/audit-fixtures.ts';
import { bearer, createAdministrator, login, signIn } from '../support/sign-in.ts';
import {
  type CeremonyOptions,
  createSoftAuthenticator,
  type SoftAuthenticator,
} from '../support/soft-authenticator.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

// Browsers accept localhost as an RP ID, but no IP address.
const ORIGIN = 'http://localhost:3000';
const RP_ID = 'localhost';
const ADMIN = 'ada@example.com';

/** Fields of a ceremony that a test replaces. userHandle applies to assertions only. */
type Overrides = Partial<CeremonyOptions> & { userHandle?: string };

interface TestUser {
  id: string;
  email: string;
  actor: UserActor;
}

describe('passkeys', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let passkeys: PasskeyService;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // The pool connects on first use, after startTestApp has migrated.
    handle = openDatabase({
      url: database.appUrl,
      poolMax: 4,
      statementTimeoutMs: 10_000,
      applicationName: 'peytonix-test',
      logger: silentLogger,
    });
    passkeys = createPasskeyService({
      db: handle.db,
      identity: {
        publicOrigin: ORIGIN,
        mfaRequired: true,
        accessTokenTtlMs: 300_000,
        sessionMaxMs: 3_600_000,
        sessionIdleMs: 3_600_000,
        password: { memoryKib: 19_456, timeCost: 2 },
      },
      logger: silentLogger,
    });
    testApp = await startTestApp(database, {
      env: { PEYTONIX_MFA_REQUIRED: 'true', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await handle?.close();
    await database?.drop();
  });

  const inTx = <T>(work: (tx: Tx) => Promise<T>) => handle.db.transaction().execute(work);

  async function ownerQuery(text: string, values: unknown[] = []) {
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  }

  async function createUser(): Promise<TestUser> {
    const email = `user-${randomUUID()}@example.com`;
    const result = await ownerQuery(
      'INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id',
      [email, 'Test User'],
    );
    const id = result.rows[0]?.id as string;
    return { id, email, actor: { type: 'user', userId: id, email, channel: 'api' } };
  }

  async function registrationOptions(user: TestUser) {
    return await inTx((tx) =>
      passkeys.registrationOptions(tx, {
        id: user.id,
        email: user.email,
        displayName: 'Test User',
      }),
    );
  }

  async function register(
    user: TestUser,
    authenticator: SoftAuthenticator,
    overrides: Overrides = {},
  ) {
    const options = await registrationOptions(user);
    const response = authenticator.createRegistrationResponse({
      challenge: options.challenge,
      rpId: RP_ID,
      origin: ORIGIN,
      ...overrides,
    });
    return await inTx((tx) =>
      passkeys.register(tx, user.id, response, 'Laptop', { actor: user.actor, context: {} }),
    );
  }

  /** Create a user with one registered passkey. */
  async function enrolledUser() {
    const user = await createUser();
    const authenticator = createSoftAuthenticator();
    const registration = await register(user, authenticator);
    expect(registration.ok).toBe(true);
    return { user, authenticator };
  }

  async function assertionChallenge(userId: string): Promise<string> {
    const options = await inTx((tx) => passkeys.authenticationOptions(tx, userId));
    if (options === null)
      throw new Error(`user ${userId} has no passkey, so there are no assertion options`);
    return options.challenge;
  }

  function assertion(
    authenticator: SoftAuthenticator,
    challenge: string,
    overrides: Overrides = {},
  ) {
    return authenticator.createAssertionResponse({
      challenge,
      rpId: RP_ID,
      origin: ORIGIN,
      ...overrides,
    });
  }

  const verify = (userId: string, response: unknown) =>
    inTx((tx) => passkeys.verifyAssertion(tx, userId, response));

  async function storedCounter(credentialId: string) {
    const row = await handle.db
      .selectFrom('passkey_credentials')
      .select(['sign_count', 'last_used_at'])
      .where('credential_id', '=', credentialId)
      .executeTakeFirstOrThrow();
    return row;
  }

  /** Seal pending audit events, then return those that target the user, oldest first. */
  async function auditEvents(userId: string) {
    await sealPendingEvents(handle.db);
    return await handle.db
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'reason_code', 'details'])
      .where('target_id', '=', userId)
      .orderBy('seq')
      .execute();
  }

  describe('service', () => {
    it('registers a passkey and verifies an assertion', async () => {
      const user = await createUser();
      const authenticator = createSoftAuthenticator();

      const registration = await register(user, authenticator);

      expect(registration).toMatchObject({
        ok: true,
        passkey: {
          credentialId: authenticator.credentialId,
          name: 'Laptop',
          deviceType: 'singleDevice',
          backedUp: false,
          transports: ['internal'],
          lastUsedAt: null,
        },
      });
      const listed = await passkeys.list(user.id);
      expect(listed.map((passkey) => passkey.credentialId)).toEqual([authenticator.credentialId]);

      const options = await inTx((tx) => passkeys.authenticationOptions(tx, user.id));
      expect(options?.rpId).toBe(RP_ID);
      expect(options?.userVerification).toBe('required');
      expect(options?.allowCredentials?.map((descriptor) => descriptor.id)).toEqual([
        authenticator.credentialId,
      ]);

      const check = await verify(user.id, assertion(authenticator, options?.challenge ?? ''));

      expect(check).toEqual({ ok: true });
      const stored = await storedCounter(authenticator.credentialId);
      expect(stored.sign_count).toBe('1');
      expect(stored.last_used_at).not.toBeNull();
      const actions = await auditEvents(user.id);
      expect(actions.map((event) => event.action)).toEqual(['auth.mfa_enrolled']);
    });

    it('builds registration options for the user', async () => {
      const { user, authenticator } = await enrolledUser();

      await registrationOptions(user);
      const options = await registrationOptions(user);

      expect(options.rp).toEqual({ name: 'Peytonix', id: RP_ID });
      expect(options.user.id).toBe(
        Buffer.from(user.id.replaceAll('-', ''), 'hex').toString('base64url'),
      );
      expect(options.user.name).toBe(user.email);
      expect(options.attestation).toBe('none');
      expect(options.authenticatorSelection).toMatchObject({
        residentKey: 'preferred',
        userVerification: 'required',
      });
      expect(options.excludeCredentials?.map((descriptor) => descriptor.id)).toEqual([
        authenticator.credentialId,
      ]);
      const open = await handle.db
        .selectFrom('webauthn_challenges')
        .select('challenge')
        .where('user_id', '=', user.id)
        .where('purpose', '=', 'registration')
        .execute();
      expect(open).toEqual([{ challenge: options.challenge }]);
    });

    it('returns no assertion options without a passkey', async () => {
      const user = await createUser();

      const options = await inTx((tx) => passkeys.authenticationOptions(tx, user.id));

      expect(options).toBeNull();
    });

    it('rejects a replayed assertion', async () => {
      const { user, authenticator } = await enrolledUser();
      const response = assertion(authenticator, await assertionChallenge(user.id));
      expect(await verify(user.id, response)).toEqual({ ok: true });

      const replayed = await verify(user.id, response);
      await assertionChallenge(user.id);
      const replayedAgainstNewChallenge = await verify(user.id, response);

      expect(replayed).toEqual({ ok: false, reasonCode: 'no_open_challenge' });
      expect(replayedAgainstNewChallenge).toEqual({ ok: false, reasonCode: 'challenge_mismatch' });
    });

    it('spends an assertion challenge on failure', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);

      const forged = await verify(user.id, assertion(authenticator.withOtherKey(), challenge));
      const genuine = await verify(user.id, assertion(authenticator, challenge));

      expect(forged).toEqual({ ok: false, reasonCode: 'signature_invalid' });
      expect(genuine).toEqual({ ok: false, reasonCode: 'no_open_challenge' });
    });

    it('spends a registration challenge on failure', async () => {
      const user = await createUser();
      const authenticator = createSoftAuthenticator();
      const options = await registrationOptions(user);
      const ceremony = { challenge: options.challenge, rpId: RP_ID, origin: ORIGIN };
      const run = (response: unknown) =>
        inTx((tx) =>
          passkeys.register(tx, user.id, response, 'Laptop', { actor: user.actor, context: {} }),
        );

      const failed = await run(
        authenticator.createRegistrationResponse({ ...ceremony, origin: 'http://localhost:4000' }),
      );
      const retried = await run(authenticator.createRegistrationResponse(ceremony));

      expect(failed).toEqual({ ok: false, reasonCode: 'origin_mismatch' });
      expect(retried).toEqual({ ok: false, reasonCode: 'no_open_challenge' });
      expect(await passkeys.list(user.id)).toEqual([]);
      const actions = await auditEvents(user.id);
      expect(actions.map((event) => [event.action, event.reason_code])).toEqual([
        ['auth.mfa_failed', 'origin_mismatch'],
        ['auth.mfa_failed', 'no_open_challenge'],
      ]);
    });

    it('rejects a wrong origin', async () => {
      const user = await createUser();
      const authenticator = createSoftAuthenticator();
      const registration = await register(user, authenticator, {
        origin: 'https://localhost:3000',
      });
      expect(registration).toEqual({ ok: false, reasonCode: 'origin_mismatch' });

      const enrolled = await enrolledUser();
      const challenge = await assertionChallenge(enrolled.user.id);
      const check = await verify(
        enrolled.user.id,
        assertion(enrolled.authenticator, challenge, { origin: 'https://evil.example' }),
      );
      expect(check).toEqual({ ok: false, reasonCode: 'origin_mismatch' });
    });

    it('rejects a wrong rpID', async () => {
      const user = await createUser();
      const authenticator = createSoftAuthenticator();
      const registration = await register(user, authenticator, { rpId: 'evil.example' });
      expect(registration).toEqual({ ok: false, reasonCode: 'rp_id_mismatch' });

      const enrolled = await enrolledUser();
      const challenge = await assertionChallenge(enrolled.user.id);
      const check = await verify(
        enrolled.user.id,
        assertion(enrolled.authenticator, challenge, { rpId: 'localhost.evil.example' }),
      );
      expect(check).toEqual({ ok: false, reasonCode: 'rp_id_mismatch' });
    });

    it('rejects a credential of another user', async () => {
      const owner = await enrolledUser();
      const other = await enrolledUser();
      const challenge = await assertionChallenge(other.user.id);

      const check = await verify(other.user.id, assertion(owner.authenticator, challenge));

      expect(check).toEqual({ ok: false, reasonCode: 'credential_not_owned' });
    });

    it('rejects an unknown credential', async () => {
      const { user } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);

      const check = await verify(user.id, assertion(createSoftAuthenticator(), challenge));

      expect(check).toEqual({ ok: false, reasonCode: 'credential_not_found' });
    });

    it('rejects a credential id registered before', async () => {
      const { authenticator } = await enrolledUser();
      const other = await createUser();

      const registration = await register(other, authenticator);

      expect(registration).toEqual({ ok: false, reasonCode: 'credential_already_registered' });
    });

    it('rejects a counter that does not increase', async () => {
      const { user, authenticator } = await enrolledUser();
      const signIn = async (counter: number) =>
        await verify(
          user.id,
          assertion(authenticator, await assertionChallenge(user.id), { counter }),
        );

      expect(await signIn(5)).toEqual({ ok: true });
      expect(await signIn(5)).toEqual({ ok: false, reasonCode: 'counter_not_increased' });
      expect(await signIn(3)).toEqual({ ok: false, reasonCode: 'counter_not_increased' });
      expect((await storedCounter(authenticator.credentialId)).sign_count).toBe('5');
      expect(await signIn(6)).toEqual({ ok: true });
      expect((await storedCounter(authenticator.credentialId)).sign_count).toBe('6');
    });

    it('rejects a zero counter after a nonzero one', async () => {
      const { user, authenticator } = await enrolledUser();
      const signIn = async (counter: number) =>
        await verify(
          user.id,
          assertion(authenticator, await assertionChallenge(user.id), { counter }),
        );

      expect(await signIn(1)).toEqual({ ok: true });
      expect(await signIn(0)).toEqual({ ok: false, reasonCode: 'counter_not_increased' });
    });

    it('accepts a counter kept at zero', async () => {
      const { user, authenticator } = await enrolledUser();
      const signIn = async () =>
        await verify(
          user.id,
          assertion(authenticator, await assertionChallenge(user.id), { counter: 0 }),
        );

      expect(await signIn()).toEqual({ ok: true });
      expect(await signIn()).toEqual({ ok: true });
    });

    it('rejects an expired challenge', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);
      await ownerQuery(
        `UPDATE webauthn_challenges
            SET created_at = now() - interval '10 minutes', expires_at = now() - interval '5 minutes'
          WHERE user_id = $1`,
        [user.id],
      );

      const expired = await verify(user.id, assertion(authenticator, challenge));
      const again = await verify(user.id, assertion(authenticator, challenge));

      expect(expired).toEqual({ ok: false, reasonCode: 'challenge_expired' });
      expect(again).toEqual({ ok: false, reasonCode: 'no_open_challenge' });
    });

    it('rejects a response without user verification', async () => {
      const user = await createUser();
      const registration = await register(user, createSoftAuthenticator(), { userVerified: false });
      expect(registration).toEqual({ ok: false, reasonCode: 'user_not_verified' });

      const enrolled = await enrolledUser();
      const challenge = await assertionChallenge(enrolled.user.id);
      const check = await verify(
        enrolled.user.id,
        assertion(enrolled.authenticator, challenge, { userVerified: false }),
      );
      expect(check).toEqual({ ok: false, reasonCode: 'user_not_verified' });
    });

    it('rejects a response without user presence', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);

      const check = await verify(
        user.id,
        assertion(authenticator, challenge, { userPresent: false }),
      );

      expect(check).toEqual({ ok: false, reasonCode: 'user_not_present' });
    });

    it('rejects the registration type at sign-in', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);

      const check = await verify(
        user.id,
        assertion(authenticator, challenge, { type: 'webauthn.create' }),
      );

      expect(check).toEqual({ ok: false, reasonCode: 'type_mismatch' });
    });

    it('rejects a user handle of another user', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);
      const otherHandle = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString(
        'base64url',
      );

      const check = await verify(
        user.id,
        assertion(authenticator, challenge, { userHandle: otherHandle }),
      );

      expect(check).toEqual({ ok: false, reasonCode: 'user_handle_mismatch' });
    });

    it('rejects malformed responses and spends the challenge', async () => {
      const { user, authenticator } = await enrolledUser();
      const challenge = await assertionChallenge(user.id);
      const genuine = assertion(authenticator, challenge);

      const malformed = await verify(user.id, { ...genuine, type: 'password' });

      expect(malformed).toEqual({ ok: false, reasonCode: 'malformed_response' });
      expect(await verify(user.id, genuine)).toEqual({
        ok: false,
        reasonCode: 'no_open_challenge',
      });
    });

    it('removes only the user’s own passkey', async () => {
      const owner = await enrolledUser();
      const other = await createUser();
      const credentialId = owner.authenticator.credentialId;

      const byOther = await inTx((tx) =>
        passkeys.remove(tx, other.id, credentialId, { actor: other.actor, context: {} }),
      );
      const byOwner = await inTx((tx) =>
        passkeys.remove(tx, owner.user.id, credentialId, { actor: owner.user.actor, context: {} }),
      );

      expect(byOther).toBe(false);
      expect(byOwner).toBe(true);
      expect(await passkeys.list(owner.user.id)).toEqual([]);
      const actions = await auditEvents(owner.user.id);
      expect(actions.map((event) => event.action)).toEqual([
        'auth.mfa_enrolled',
        'auth.mfa_removed',
      ]);
      expect(actions[1]?.details).toMatchObject({
        method: 'passkey',
        credentialId,
      });
    });
  });

  describe('routes', () => {
    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      testApp.app.inject({
        method: 'POST',
        url,
        payload: payload as Record<string, unknown>,
        headers,
      });

    let accessToken: string;
    let authenticator: SoftAuthenticator;

    beforeAll(async () => {
      await createAdministrator(testApp, ADMIN);
      accessToken = (await signIn(testApp.app, ADMIN)).accessToken;
      authenticator = createSoftAuthenticator();
    });

    it('enrols a passkey from an enrolment-only session', async () => {
      const before = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: bearer(accessToken),
      });
      expect(before.json()).toMatchObject({ session: { assurance: 'enrolment_only' } });
      const listBefore = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account/passkeys',
        headers: bearer(accessToken),
      });
      expect(listBefore.statusCode).toBe(403);

      const options = await post(
        '/api/v1/account/passkeys/options',
        undefined,
        bearer(accessToken),
      );
      expect(options.statusCode).toBe(200);
      const { challenge } = passkeyCreationOptionsSchema.parse(options.json());
      expect(options.json()).toMatchObject({
        rp: { id: RP_ID },
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        extensions: { credProps: true },
        excludeCredentials: [],
      });
      const registered = await post(
        '/api/v1/account/passkeys',
        {
          response: authenticator.createRegistrationResponse({
            challenge,
            rpId: RP_ID,
            origin: ORIGIN,
          }),
          name: 'Security key',
        },
        bearer(accessToken),
      );

      expect(registered.statusCode).toBe(201);
      const body = registeredPasskeySchema.parse(registered.json());
      expect(body.passkey.credentialId).toBe(authenticator.credentialId);
      expect(body.recoveryCodes).toHaveLength(10);
      const after = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: bearer(accessToken),
      });
      expect(after.json()).toMatchObject({ session: { assurance: 'full' }, mfa: { passkeys: 1 } });
      const list = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account/passkeys',
        headers: bearer(accessToken),
      });
      expect(list.statusCode).toBe(200);
      expect(passkeyListSchema.parse(list.json())).toMatchObject({
        items: [{ credentialId: authenticator.credentialId, name: 'Security key' }],
      });
    });

    it('excludes registered passkeys from new options', async () => {
      const options = await post(
        '/api/v1/account/passkeys/options',
        undefined,
        bearer(accessToken),
      );

      expect(options.statusCode).toBe(200);
      expect(passkeyCreationOptionsSchema.parse(options.json()).excludeCredentials).toEqual([
        expect.objectContaining({ id: authenticator.credentialId, type: 'public-key' }),
      ]);
    });

    it('signs in with password and passkey', async () => {
      const password = await login(testApp.app, ADMIN);
      const { mfaToken, methods } = password.json() as { mfaToken: string; methods: string[] };
      expect(methods).toContain('passkey');

      const options = await post('/api/v1/auth/login/passkey/options', { mfaToken });
      expect(options.statusCode).toBe(200);
      const { challenge } = passkeyRequestOptionsSchema.parse(options.json());
      expect(options.json()).toMatchObject({
        rpId: RP_ID,
        userVerification: 'required',
        allowCredentials: [{ id: authenticator.credentialId, type: 'public-key' }],
      });
      const payload = {
        mfaToken,
        response: assertion(authenticator, challenge),
        delivery: 'body',
      };
      const signedIn = await post('/api/v1/auth/login/passkey', payload);
      const replayed = await post('/api/v1/auth/login/passkey', payload);

      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.json()).toMatchObject({ status: 'signed_in', assurance: 'full' });
      expect(replayed.statusCode).toBe(401);
    });

    it('rejects a wrong assertion at sign-in', async () => {
      const password = await login(testApp.app, ADMIN);
      const { mfaToken } = password.json() as { mfaToken: string };
      const options = await post('/api/v1/auth/login/passkey/options', { mfaToken });
      const { challenge } = options.json() as { challenge: string };

      const response = await post('/api/v1/auth/login/passkey', {
        mfaToken,
        response: assertion(authenticator, challenge, { origin: 'https://evil.example' }),
        delivery: 'body',
      });

      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    });

    it('answers a malformed body with 400 problem+json', async () => {
      const password = await login(testApp.app, ADMIN);
      const { mfaToken } = password.json() as { mfaToken: string };
      const genuine = assertion(authenticator, 'AAAAAAAAAAAAAAAAAAAAAA');
      const bodies = [
        { mfaToken, delivery: 'body' },
        { mfaToken, response: { ...genuine, type: 'password' } },
        {
          mfaToken,
          response: { ...genuine, response: { ...genuine.response, signature: 'not base64url!' } },
        },
        {
          mfaToken,
          response: {
            ...genuine,
            response: { ...genuine.response, clientDataJSON: 'A'.repeat(5000) },
          },
        },
        { mfaToken, response: genuine, extra: true },
      ];

      for (const body of bodies) {
        const response = await post('/api/v1/auth/login/passkey', body);
        expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
    });

    it('rejects an unknown sign-in token for options', async () => {
      const response = await post('/api/v1/auth/login/passkey/options', {
        mfaToken: 'A'.repeat(43),
      });

      expect(response.statusCode).toBe(401);
    });

    it('rejects API tokens on passkey management', async () => {
      const permissions = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account/api-tokens/permissions',
        headers: bearer(accessToken),
      });
      const permission = (permissions.json() as { items: { name: string }[] }).items[0]?.name ?? '';
      const created = await post(
        '/api/v1/account/api-tokens',
        { name: 'Script', permissions: [permission], expiresInDays: 1 },
        bearer(accessToken),
      );
      expect(created.statusCode).toBe(201);
      const { token } = created.json() as { token: string };

      const list = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account/passkeys',
        headers: bearer(token),
      });
      const options = await post('/api/v1/account/passkeys/options', undefined, bearer(token));

      expect(list.statusCode).toBe(403);
      expect(options.statusCode).toBe(403);
    });

    it('documents the routes in valid OpenAPI', async () => {
      const response = await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' });
      const document = response.json() as { paths: Record<string, unknown> };

      const result = await new Validator().validate(document);

      expect(result.errors ?? []).toEqual([]);
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/api/v1/auth/login/passkey/options',
          '/api/v1/auth/login/passkey',
          '/api/v1/account/passkeys/options',
          '/api/v1/account/passkeys',
          '/api/v1/account/passkeys/{credentialId}',
        ]),
      );
    });

    it('deletes a passkey once', async () => {
      const url = `/api/v1/account/passkeys/${authenticator.credentialId}`;

      const first = await testApp.app.inject({
        method: 'DELETE',
        url,
        headers: bearer(accessToken),
      });
      const second = await testApp.app.inject({
        method: 'DELETE',
        url,
        headers: bearer(accessToken),
      });

      expect(first.statusCode).toBe(204);
      expect(second.statusCode).toBe(404);
    });
  });
});
