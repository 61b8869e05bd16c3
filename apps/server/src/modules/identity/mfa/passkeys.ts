import { createHash } from 'node:crypto';
import { plainText } from '@peytonix/contracts';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import {
  COSEALG,
  decodeAttestationObject,
  isoBase64URL,
  type ParsedAuthenticatorData,
  parseAuthenticatorData,
} from '@simplewebauthn/server/helpers';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { IdentityConfig } from '../../../platform/config/config.ts';
import type { Db, Tx } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { RequestContext, UserActor } from '../actor.ts';
import type { FactorCheck } from '../login/login.service.ts';

/** How long a registration or sign-in challenge stays usable. The browser gets the same timeout. */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;
/** Bounds the excludeCredentials and allowCredentials lists that every ceremony sends. */
export const MAX_PASSKEYS_PER_USER = 20;
const RP_NAME = 'Peytonix';
/**
 * The COSE algorithms offered at registration and accepted when verifying
 * it. Listed explicitly, because the library's default adds ML-DSA-44 only
 * on runtimes that support it.
 */
const SUPPORTED_ALGORITHMS = [COSEALG.ES256, COSEALG.EdDSA, COSEALG.RS256];
/** The transport values that WebAuthn Level 3 defines. Others are dropped before storing. */
const KNOWN_TRANSPORTS = new Set(['ble', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

// ---------------------------------------------------------------------------
// Request shapes. The routes use these schemas for their bodies, and the
// service parses with them again, so no caller hands the library unchecked
// JSON. The maximum lengths are generous bounds for real authenticators:
// credential ids are at most 1023 bytes, and the largest supported
// signatures and keys (RS256 with 4096-bit keys) stay far below 8 KiB.
// ---------------------------------------------------------------------------

function base64url(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[A-Za-z0-9_-]+$/, { error: 'expected base64url without padding' });
}

/** Same bounds as the CHECK constraint on passkey_credentials.credential_id. */
export const credentialIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,1366}$/, { error: 'expected 16 to 1366 base64url characters' });

export const passkeyNameSchema = plainText(100);

/**
 * Extension outputs are accepted as any JSON object, or left out, because
 * browsers add new ones over time. They are not passed on, because no
 * extension output is used.
 */
const clientExtensionResultsSchema = z.record(z.string().max(64), z.unknown()).optional();

const authenticatorAttachmentSchema = z.enum(['platform', 'cross-platform']);

export const registrationResponseSchema = z.object({
  id: credentialIdSchema,
  rawId: credentialIdSchema,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    attestationObject: base64url(16_384),
    authenticatorData: base64url(8192).optional(),
    transports: z
      .array(z.string().regex(/^[a-z-]{1,32}$/))
      .max(16)
      .optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8192).optional(),
  }),
  authenticatorAttachment: authenticatorAttachmentSchema.nullish(),
  clientExtensionResults: clientExtensionResultsSchema,
});

export const authenticationResponseSchema = z.object({
  id: credentialIdSchema,
  rawId: credentialIdSchema,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(4096),
    authenticatorData: base64url(8192),
    signature: base64url(8192),
    userHandle: base64url(128).nullish(),
  }),
  authenticatorAttachment: authenticatorAttachmentSchema.nullish(),
  clientExtensionResults: clientExtensionResultsSchema,
});

export type RegistrationResponse = z.infer<typeof registrationResponseSchema>;
export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;

/** The members of CollectedClientData that the checks below read. */
const clientDataSchema = z.object({
  type: z.string(),
  challenge: z.string(),
  origin: z.string(),
  crossOrigin: z.boolean().optional(),
  topOrigin: z.string().optional(),
});

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

/** Reason code of a rejected registration or assertion, also recorded as the audit reason_code. */
export type PasskeyRejection =
  | 'malformed_response'
  | 'invalid_name'
  | 'no_open_challenge'
  | 'challenge_expired'
  | 'challenge_mismatch'
  | 'type_mismatch'
  | 'origin_mismatch'
  | 'cross_origin'
  | 'rp_id_mismatch'
  | 'user_not_present'
  | 'user_not_verified'
  | 'credential_not_found'
  | 'credential_not_owned'
  | 'user_handle_mismatch'
  | 'counter_not_increased'
  | 'signature_invalid'
  | 'attestation_invalid'
  | 'verification_failed'
  | 'credential_already_registered'
  | 'passkey_limit_reached';

export interface PasskeySummary {
  credentialId: string;
  name: string;
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type PasskeyRegistration =
  | { ok: true; passkey: PasskeySummary }
  | { ok: false; reasonCode: PasskeyRejection };

/** The user a passkey is created for, as the authenticator shows it. */
export interface PasskeyUser {
  id: string;
  email: string;
  displayName: string;
}

/** The actor and request context that a change's audit event records. */
export interface AuditSource {
  actor: UserActor;
  context: RequestContext;
}

/**
 * Passkeys as a second factor. Every method that takes `tx` runs inside
 * the caller's transaction. `register` and `verifyAssertion` spend their
 * challenge before checking anything and report a rejection by returning
 * it, not by throwing, so the caller must commit the transaction for the
 * challenge to stay spent.
 */
export interface PasskeyService {
  /** Create options for navigator.credentials.create() and store their challenge. */
  registrationOptions(tx: Tx, user: PasskeyUser): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /**
   * Verify a registration response and store the passkey. Appends
   * auth.mfa_enrolled, or auth.mfa_failed with the rejection as reason code.
   */
  register(
    tx: Tx,
    userId: string,
    response: unknown,
    name: string,
    audit: AuditSource,
  ): Promise<PasskeyRegistration>;
  /**
   * Create options for navigator.credentials.get() and store their
   * challenge. Returns null when the user has no passkey.
   */
  authenticationOptions(
    tx: Tx,
    userId: string,
  ): Promise<PublicKeyCredentialRequestOptionsJSON | null>;
  /** Verify a sign-in assertion by one of the user's passkeys and record its use. */
  verifyAssertion(tx: Tx, userId: string, response: unknown): Promise<FactorCheck>;
  /** Return the user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeySummary[]>;
  /**
   * Delete one of the user's passkeys and append auth.mfa_removed. Returns
   * false when the user has no passkey with that id.
   */
  remove(tx: Tx, userId: string, credentialId: string, audit: AuditSource): Promise<boolean>;
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

type Purpose = 'registration' | 'authentication';

/** Convert a user's UUID to its 16 bytes, which are the WebAuthn user handle. */
function userHandleBytes(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}

const summaryColumns = [
  'credential_id',
  'name',
  'device_type',
  'backed_up',
  'transports',
  'created_at',
  'last_used_at',
] as const;

function toSummary(row: {
  credential_id: string;
  name: string;
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  transports: string[];
  created_at: Date;
  last_used_at: Date | null;
}): PasskeySummary {
  return {
    credentialId: row.credential_id,
    name: row.name,
    deviceType: row.device_type,
    backedUp: row.backed_up,
    transports: row.transports,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

async function listDescriptors(db: Db | Tx, userId: string) {
  const rows = await db
    .selectFrom('passkey_credentials')
    .select(['credential_id', 'transports'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => ({ id: row.credential_id, transports: row.transports }));
}

/** Replace the user's challenges for `purpose` with a new one that expires after the TTL. */
async function storeChallenge(tx: Tx, userId: string, purpose: Purpose, challenge: string) {
  await tx
    .deleteFrom('webauthn_challenges')
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .execute();
  await tx
    .insertInto('webauthn_challenges')
    .values({
      user_id: userId,
      purpose,
      challenge,
      expires_at: sql<Date>`now() + make_interval(secs => ${PASSKEY_CHALLENGE_TTL_MS / 1000})`,
    })
    .execute();
}

/**
 * Mark the user's newest unused challenge for `purpose` used and return
 * it. The row lock makes concurrent calls take turns, and only the first
 * one finds the challenge unused. An expired challenge is spent too.
 */
async function spendChallenge(
  tx: Tx,
  userId: string,
  purpose: Purpose,
): Promise<{ challenge: string } | { rejection: PasskeyRejection }> {
  const open = await tx
    .selectFrom('webauthn_challenges')
    .select(['id', 'challenge', sql<boolean>`expires_at > now()`.as('live')])
    .where('user_id', '=', userId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  if (open === undefined) return { rejection: 'no_open_challenge' };

  const spent = await tx
    .updateTable('webauthn_challenges')
    .set({ used_at: sql`now()` })
    .where('id', '=', open.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (spent.numUpdatedRows === 0n) return { rejection: 'no_open_challenge' };
  if (!open.live) return { rejection: 'challenge_expired' };
  return { challenge: open.challenge };
}

interface Expected {
  type: 'webauthn.create' | 'webauthn.get';
  challenge: string;
  origin: string;
  rpIdHash: Buffer;
}

/**
 * Check the client data and the authenticator data before the library
 * does, to name the reason of a rejection. These checks only ever reject,
 * so acceptance still rests on the library's verification.
 */
function precheck(
  clientDataJSON: string,
  authenticatorData: Uint8Array,
  expected: Expected,
): PasskeyRejection | null {
  let clientData: z.infer<typeof clientDataSchema>;
  let authData: ParsedAuthenticatorData;
  try {
    const decoded = Buffer.from(clientDataJSON, 'base64url').toString('utf8');
    clientData = clientDataSchema.parse(JSON.parse(decoded));
    authData = parseAuthenticatorData(new Uint8Array(authenticatorData));
  } catch {
    return 'malformed_response';
  }

  if (clientData.type !== expected.type) return 'type_mismatch';
  if (clientData.challenge !== expected.challenge) return 'challenge_mismatch';
  if (clientData.origin !== expected.origin) return 'origin_mismatch';
  // Peytonix never runs a ceremony inside a frame of another site.
  if (clientData.crossOrigin === true || clientData.topOrigin !== undefined) return 'cross_origin';
  if (!expected.rpIdHash.equals(authData.rpIdHash)) return 'rp_id_mismatch';
  if (!authData.flags.up) return 'user_not_present';
  if (!authData.flags.uv) return 'user_not_verified';
  return null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------
// Service
// ---------------------------------------------------------------------------

/**
 * Build the passkey service. The RP ID is the host name of
 * `identity.publicOrigin`, and responses must come from exactly that origin.
 * NOTE: browsers reject an IP address as RP ID, so passkeys only work when
 * the public origin has a domain name (localhost counts as one).
 */
export function createPasskeyService(deps: {
  db: Db;
  identity: IdentityConfig;
  logger: Logger;
}): PasskeyService {
  const { db, logger } = deps;
  const publicOrigin = new URL(deps.identity.publicOrigin);
  const expectedOrigin = publicOrigin.origin;
  const rpID = publicOrigin.hostname;
  const rpIdHash = createHash('sha256').update(rpID).digest();

  /** Return a rejection. An error caught on the way is logged, because the result does not carry it. */
  const reject = (userId: string, step: Purpose, reasonCode: PasskeyRejection, error?: unknown) => {
    if (error !== undefined) {
      logger.info(
        { userId, step, reasonCode, error: errorMessage(error) },
        'passkey response rejected',
      );
    }
    return { ok: false as const, reasonCode };
  };

  const countPasskeys = async (tx: Tx, userId: string) => {
    const row = await tx
      .selectFrom('passkey_credentials')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  };

  /** Verify a registration response and insert its credential. The caller records the outcome. */
  const storeRegistration = async (
    tx: Tx,
    userId: string,
    response: unknown,
    name: string,
  ): Promise<PasskeyRegistration> => {
    const spent = await spendChallenge(tx, userId, 'registration');
    if ('rejection' in spent) return reject(userId, 'registration', spent.rejection);

    const parsed = registrationResponseSchema.safeParse(response);
    if (!parsed.success) return reject(userId, 'registration', 'malformed_response', parsed.error);
    const passkeyName = passkeyNameSchema.safeParse(name);
    if (!passkeyName.success) return reject(userId, 'registration', 'invalid_name');
    const body = parsed.data;

    let authenticatorData: Uint8Array;
    try {
      authenticatorData = decodeAttestationObject(
        isoBase64URL.toBuffer(body.response.attestationObject),
      ).get('authData');
    } catch (error) {
      return reject(userId, 'registration', 'malformed_response', error);
    }
    const rejection = precheck(body.response.clientDataJSON, authenticatorData, {
      type: 'webauthn.create',
      challenge: spent.challenge,
      origin: expectedOrigin,
      rpIdHash,
    });
    if (rejection !== null) return reject(userId, 'registration', rejection);

    const libraryInput: RegistrationResponseJSON = {
      id: body.id,
      rawId: body.rawId,
      type: body.type,
      response: {
        clientDataJSON: body.response.clientDataJSON,
        attestationObject: body.response.attestationObject,
        ...(body.response.transports === undefined ? {} : { transports: body.response.transports }),
      },
      clientExtensionResults: {},
    };
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response: libraryInput,
        expectedChallenge: spent.challenge,
        expectedOrigin,
        expectedRPID: rpID,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
    } catch (error) {
      return reject(userId, 'registration', 'verification_failed', error);
    }
    if (!verification.verified) return reject(userId, 'registration', 'attestation_invalid');

    const info = verification.registrationInfo;
    const publicKey = Buffer.from(info.credential.publicKey);
    if (!credentialIdSchema.safeParse(info.credential.id).success || publicKey.length > 4096) {
      return reject(userId, 'registration', 'malformed_response');
    }
    if ((await countPasskeys(tx, userId)) >= MAX_PASSKEYS_PER_USER) {
      return reject(userId, 'registration', 'passkey_limit_reached');
    }

    const transports = (body.response.transports ?? []).filter((value) =>
      KNOWN_TRANSPORTS.has(value),
    );
    const stored = await tx
      .insertInto('passkey_credentials')
      .values({
        credential_id: info.credential.id,
        user_id: userId,
        public_key: publicKey,
        sign_count: info.credential.counter,
        transports,
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
        name: passkeyName.data,
      })
      .onConflict((conflict) => conflict.column('credential_id').doNothing())
      .returning(summaryColumns)
      .executeTakeFirst();
    if (stored === undefined) {
      return reject(userId, 'registration', 'credential_already_registered');
    }

    return { ok: true, passkey: toSummary(stored) };
  };

  return {
    async registrationOptions(tx, user) {
      const existing = await listDescriptors(tx, user.id);
      if (existing.length >= MAX_PASSKEYS_PER_USER) {
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: `This account already has the maximum of ${MAX_PASSKEYS_PER_USER} passkeys. Remove one before adding another.`,
        });
      }

      const options = await generateRegistrationOptions({
        rpName: RP_NAME,
        rpID,
        userName: user.email,
        userDisplayName: user.displayName,
        userID: userHandleBytes(user.id),
        timeout: PASSKEY_CHALLENGE_TTL_MS,
        attestationType: 'none',
        excludeCredentials: existing,
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      await storeChallenge(tx, user.id, 'registration', options.challenge);
      return options;
    },

    async register(tx, userId, response, name, audit) {
      const result = await storeRegistration(tx, userId, response, name);
      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: result.ok ? 'auth.mfa_enrolled' : 'auth.mfa_failed',
        outcome: result.ok ? 'success' : 'failure',
        ...(result.ok ? {} : { reasonCode: result.reasonCode }),
        target: { type: 'user', id: userId },
        context: audit.context,
        details: result.ok
          ? {
              method: 'passkey',
              credentialId: result.passkey.credentialId,
              name: result.passkey.name,
              deviceType: result.passkey.deviceType,
              backedUp: result.passkey.backedUp,
            }
          : { method: 'passkey', step: 'enrolment' },
      });
      return result;
    },

    async authenticationOptions(tx, userId) {
      const allowCredentials = await listDescriptors(tx, userId);
      if (allowCredentials.length === 0) return null;

      const options = await generateAuthenticationOptions({
        rpID,
        allowCredentials,
        userVerification: 'required',
        timeout: PASSKEY_CHALLENGE_TTL_MS,
      });
      await storeChallenge(tx, userId, 'authentication', options.challenge);
      return options;
    },

    async verifyAssertion(tx, userId, response) {
      const spent = await spendChallenge(tx, userId, 'authentication');
      if ('rejection' in spent) return reject(userId, 'authentication', spent.rejection);

      const parsed = authenticationResponseSchema.safeParse(response);
      if (!parsed.success) {
        return reject(userId, 'authentication', 'malformed_response', parsed.error);
      }
      const body = parsed.data;

      const credential = await tx
        .selectFrom('passkey_credentials')
        .select(['credential_id', 'user_id', 'public_key', 'sign_count', 'transports'])
        .where('credential_id', '=', body.id)
        .forUpdate()
        .executeTakeFirst();
      if (credential === undefined) return reject(userId, 'authentication', 'credential_not_found');
      if (credential.user_id !== userId) {
        return reject(userId, 'authentication', 'credential_not_owned');
      }

      const expectedHandle = isoBase64URL.fromBuffer(userHandleBytes(userId));
      if (body.response.userHandle && body.response.userHandle !== expectedHandle) {
        return reject(userId, 'authentication', 'user_handle_mismatch');
      }
      const authenticatorData = Buffer.from(body.response.authenticatorData, 'base64url');
      const rejection = precheck(body.response.clientDataJSON, authenticatorData, {
        type: 'webauthn.get',
        challenge: spent.challenge,
        origin: expectedOrigin,
        rpIdHash,
      });
      if (rejection !== null) return reject(userId, 'authentication', rejection);

      const libraryInput: AuthenticationResponseJSON = {
        id: body.id,
        rawId: body.rawId,
        type: body.type,
        response: {
          clientDataJSON: body.response.clientDataJSON,
          authenticatorData: body.response.authenticatorData,
          signature: body.response.signature,
          ...(body.response.userHandle ? { userHandle: body.response.userHandle } : {}),
        },
        clientExtensionResults: {},
      };
      let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verification = await verifyAuthenticationResponse({
          response: libraryInput,
          expectedChallenge: spent.challenge,
          expectedOrigin,
          expectedRPID: rpID,
          requireUserVerification: true,
          // The stored counter is compared below, after the signature, so
          // counter_not_increased is only reported for a correctly signed
          // assertion: the sign of a cloned authenticator. With 0 here the
          // library's own counter comparison never rejects.
          credential: {
            id: credential.credential_id,
            publicKey: new Uint8Array(credential.public_key),
            counter: 0,
            transports: credential.transports,
          },
        });
      } catch (error) {
        return reject(userId, 'authentication', 'verification_failed', error);
      }
      if (!verification.verified) return reject(userId, 'authentication', 'signature_invalid');

      // WebAuthn Level 3, section 7.2: a counter that does not increase
      // means the credential may exist twice. Authenticators without a
      // counter always report 0, which is accepted while the stored value
      // is 0 too.
      const storedCounter = Number(credential.sign_count);
      const newCounter = verification.authenticationInfo.newCounter;
      if ((newCounter > 0 || storedCounter > 0) && newCounter <= storedCounter) {
        return reject(userId, 'authentication', 'counter_not_increased');
      }

      await tx
        .updateTable('passkey_credentials')
        .set({
          sign_count: newCounter,
          last_used_at: sql`now()`,
          backed_up: verification.authenticationInfo.credentialBackedUp,
        })
        .where('credential_id', '=', credential.credential_id)
        .execute();
      return { ok: true };
    },

    async list(userId) {
      const rows = await db
        .selectFrom('passkey_credentials')
        .select(summaryColumns)
        .where('user_id', '=', userId)
        .orderBy('created_at')
        .orderBy('credential_id')
        .execute();
      return rows.map(toSummary);
    },

    async remove(tx, userId, credentialId, audit) {
      const removed = await tx
        .deleteFrom('passkey_credentials')
        .where('user_id', '=', userId)
        .where('credential_id', '=', credentialId)
        .returning(['credential_id', 'name'])
        .executeTakeFirst();
      if (removed === undefined) return false;

      await appendAuditEvent(tx, {
        actor: audit.actor,
        action: 'auth.mfa_removed',
        outcome: 'success',
        target: { type: 'user', id: userId },
        context: audit.context,
        details: { method: 'passkey', credentialId: removed.credential_id, name: removed.name },
      });
      return true;
    },
  };
}
