import { generateKeyPairSync } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_AUDIENCE } from '../../src/modules/identity/sessions/access-tokens.ts';
import { bearer, createAdministrator, ORIGIN, signIn } from '../support/sign-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

describe('access token verification', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let userId: string;
  let sessionId: string;
  let validToken: string;
  let kid: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      env: { PEYTONIX_MFA_REQUIRED: 'false', PEYTONIX_PUBLIC_URL: ORIGIN },
    });
    await createAdministrator(testApp, ADMIN);
    const session = await signIn(testApp.app, ADMIN);
    userId = session.userId;
    sessionId = session.sessionId;
    validToken = session.accessToken;
    kid = (
      JSON.parse(Buffer.from(validToken.split('.')[0] ?? '', 'base64url').toString()) as {
        kid: string;
      }
    ).kid;
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const me = (token: string) =>
    testApp.app.inject({ method: 'GET', url: '/api/v1/account', headers: bearer(token) });

  /** Sign claims with the server's real current key, to vary one claim at a time. */
  async function signWithServerKey(
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ) {
    const { privateKey } = await testApp.services.auth.keyRing.signingKey();
    const now = Math.floor(Date.now() / 1000);
    return await new SignJWT({
      sid: sessionId,
      iss: ORIGIN,
      aud: ACCESS_TOKEN_AUDIENCE,
      sub: userId,
      jti: '00000000-0000-4000-8000-000000000000',
      iat: now,
      nbf: now,
      exp: now + 600,
      ...claims,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt', ...header })
      .sign(privateKey);
  }

  it('accepts the token it issued', async () => {
    expect((await me(validToken)).statusCode).toBe(200);
  });

  it('accepts the scheme name in any case', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/account',
      headers: { authorization: `bearer ${validToken}` },
    });

    expect(response.statusCode).toBe(200);
  });

  it('names the Bearer scheme on 401', async () => {
    const missing = await testApp.app.inject({ method: 'GET', url: '/api/v1/account' });
    const invalid = await me(`${validToken.slice(0, -4)}AAAA`);

    expect(missing.headers['www-authenticate']).toBe('Bearer realm="peytonix"');
    expect(invalid.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('accepts a token re-signed with the server key', async () => {
    expect((await me(await signWithServerKey({}))).statusCode).toBe(200);
  });

  it('rejects alg none', async () => {
    const [, payload] = validToken.split('.');
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }));

    expect((await me(`${header}.${payload}.`)).statusCode).toBe(401);
  });

  it('rejects HS256 signed with the public key', async () => {
    const jwks = (
      await testApp.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    ).json() as {
      keys: { x: string }[];
    };
    const publicKeyBytes = Buffer.from(jwks.keys[0]?.x ?? '', 'base64url');
    const forged = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
      .setIssuer(ORIGIN)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(userId)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .setJti('00000000-0000-4000-8000-000000000001')
      .sign(publicKeyBytes);

    expect((await me(forged)).statusCode).toBe(401);
  });

  it('rejects an unknown kid', async () => {
    expect(
      (
        await me(
          await signWithServerKey({}, { kid: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
        )
      ).statusCode,
    ).toBe(401);
  });

  it('rejects a token signed by a foreign key under the real kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(ORIGIN)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(userId)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .setJti('00000000-0000-4000-8000-000000000002')
      .sign(privateKey);

    expect((await me(forged)).statusCode).toBe(401);
  });

  it('rejects the wrong issuer', async () => {
    expect((await me(await signWithServerKey({ iss: 'https://evil.example' }))).statusCode).toBe(
      401,
    );
  });

  it('rejects the wrong audience', async () => {
    expect((await me(await signWithServerKey({ aud: 'another-api' }))).statusCode).toBe(401);
  });

  it('rejects the wrong token type', async () => {
    expect((await me(await signWithServerKey({}, { typ: 'JWT' }))).statusCode).toBe(401);
  });

  it('rejects an expired token', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const response = await me(await signWithServerKey({ iat: past, nbf: past, exp: past + 600 }));

    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects a token not yet valid', async () => {
    const future = Math.floor(Date.now() / 1000) + 3600;

    expect(
      (await me(await signWithServerKey({ nbf: future, iat: future, exp: future + 600 })))
        .statusCode,
    ).toBe(401);
  });

  it('rejects a payload altered after signing', async () => {
    const [header, payload, signature] = validToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const altered = base64url.encode(
      JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-0000000000ff' }),
    );

    expect((await me(`${header}.${altered}.${signature}`)).statusCode).toBe(401);
  });

  it('rejects a token whose session was revoked', async () => {
    const session = await signIn(testApp.app, ADMIN);
    await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(session.accessToken),
    });

    expect((await me(session.accessToken)).statusCode).toBe(401);
  });

  it('rejects malformed Authorization headers', async () => {
    for (const authorization of [
      'Bearer',
      'Basic YTpi',
      'Bearer a b',
      `bearer${validToken}`,
      `Bearer ${'x'.repeat(5000)}`,
    ]) {
      const response = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: { authorization },
      });
      expect(response.statusCode, authorization.slice(0, 20)).toBe(401);
    }
  });

  it('publishes the signing key in the JWKS', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/auth/jwks' });

    expect(response.json()).toMatchObject({
      keys: [{ kty: 'OKP', crv: 'Ed25519', kid, alg: 'EdDSA', use: 'sig' }],
    });
  });

  it('keeps old tokens valid after key rotation and signs with the new key', async () => {
    const before = await signIn(testApp.app, ADMIN);
    const newKid = await testApp.services.auth.keyRing.rotate();
    const after = await signIn(testApp.app, ADMIN);

    expect(newKid).not.toBe(kid);
    expect((await me(before.accessToken)).statusCode).toBe(200);
    expect((await me(after.accessToken)).statusCode).toBe(200);
    const header = JSON.parse(
      Buffer.from(after.accessToken.split('.')[0] ?? '', 'base64url').toString(),
    ) as { kid: string };
    expect(header.kid).toBe(newKid);
  });

  it('stores the signing key sealed, never in plain form', async () => {
    const rows = await testApp.database.db
      .selectFrom('session_signing_keys')
      .select(['private_key_sealed'])
      .execute();

    for (const row of rows) {
      expect(row.private_key_sealed.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    }
  });
});
