import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { SessionKeyRing } from './session-signing-keys.ts';
import { VerifiedTokenCache } from './verified-token-cache.ts';

export const ACCESS_TOKEN_AUDIENCE = 'peytonix-api';
/** RFC 9068 media type of a JWT access token, checked so an ID token or other JWT cannot pass. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
const MAX_TOKEN_LENGTH = 4096;
const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified tokens remembered per process; about 1 KiB each. */
const VERIFIED_CACHE_ENTRIES = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
}

/** Reason a token was rejected; logged and audited, never sent to the client. */
export type TokenRejection =
  | 'malformed'
  | 'algorithm'
  | 'unknown_kid'
  | 'bad_signature'
  | 'claims'
  | 'expired'
  | 'not_yet_valid';

export class AccessTokenError extends Error {
  readonly reason: TokenRejection;

  constructor(reason: TokenRejection, message: string) {
    super(message);
    this.name = 'AccessTokenError';
    this.reason = reason;
  }
}

export interface AccessTokens {
  issue(claims: AccessTokenClaims): Promise<{ token: string; expiresAt: Date }>;
  /** Verify signature, algorithm, type, issuer, audience and times; throws AccessTokenError. */
  verify(token: string): Promise<AccessTokenClaims>;
}

function rejectionOf(error: unknown): AccessTokenError {
  if (error instanceof AccessTokenError) return error;
  if (error instanceof errors.JWTExpired) return new AccessTokenError('expired', error.message);
  if (error instanceof errors.JWTClaimValidationFailed) {
    const reason = error.claim === 'nbf' || error.claim === 'iat' ? 'not_yet_valid' : 'claims';
    return new AccessTokenError(reason, error.message);
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new AccessTokenError('algorithm', error.message);
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AccessTokenError('bad_signature', error.message);
  }
  if (error instanceof errors.JOSEError) return new AccessTokenError('malformed', error.message);
  return new AccessTokenError('malformed', error instanceof Error ? error.message : String(error));
}

/**
 * EdDSA-signed JWT access tokens. Verification accepts only EdDSA, the
 * configured issuer, the Peytonix audience and the at+jwt type, and looks
 * the key up by `kid` among the accepted session signing keys.
 */
export function createAccessTokens(deps: {
  keyRing: SessionKeyRing;
  issuer: string;
  ttlMs: number;
}): AccessTokens {
  const ttlSeconds = Math.floor(deps.ttlMs / 1000);
  const verified = new VerifiedTokenCache(VERIFIED_CACHE_ENTRIES);

  return {
    async issue(claims) {
      const { kid, privateKey } = await deps.keyRing.signingKey();
      const issuedAt = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ sid: claims.sessionId })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(deps.issuer)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setSubject(claims.userId)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(privateKey);
      return { token, expiresAt: new Date((issuedAt + ttlSeconds) * 1000) };
    },

    async verify(token) {
      const cached = verified.get(token, Date.now(), CLOCK_TOLERANCE_SECONDS * 1000);
      if (cached !== null) return cached;
      if (token.length > MAX_TOKEN_LENGTH) {
        throw new AccessTokenError(
          'malformed',
          `token is longer than ${MAX_TOKEN_LENGTH} characters`,
        );
      }
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            if (header.alg !== 'EdDSA') {
              throw new AccessTokenError('algorithm', `alg ${String(header.alg)} is not accepted`);
            }
            if (typeof header.kid !== 'string') {
              throw new AccessTokenError('unknown_kid', 'the token header has no kid');
            }
            const key = await deps.keyRing.verificationKey(header.kid);
            if (key === null) {
              throw new AccessTokenError('unknown_kid', `kid ${header.kid} is not an accepted key`);
            }
            return key;
          },
          {
            algorithms: ['EdDSA'],
            issuer: deps.issuer,
            audience: ACCESS_TOKEN_AUDIENCE,
            typ: ACCESS_TOKEN_TYPE,
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            maxTokenAge: ttlSeconds + CLOCK_TOLERANCE_SECONDS,
            requiredClaims: ['sub', 'sid', 'iat', 'nbf', 'exp', 'jti'],
          },
        );
        const { sub, sid, exp, nbf } = payload;
        if (
          typeof sub !== 'string' ||
          !UUID.test(sub) ||
          typeof sid !== 'string' ||
          !UUID.test(sid)
        ) {
          throw new AccessTokenError('claims', 'sub and sid must be UUIDs');
        }
        const claims = { userId: sub, sessionId: sid };
        if (typeof exp === 'number' && typeof nbf === 'number') {
          verified.set(token, { claims, expiresAtMs: exp * 1000, notBeforeMs: nbf * 1000 });
        }
        return claims;
      } catch (error) {
        throw rejectionOf(error);
      }
    },
  };
}
