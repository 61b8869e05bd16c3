import { z } from 'zod';
import { plainText } from './text.ts';

const email = z
  .string()
  .trim()
  .max(320, { error: 'expected at most 320 characters' })
  .pipe(z.email({ error: 'expected an email address such as ana@example.com' }));

/** Bounded here only against abuse; the password policy gives the real limits. */
const password = z
  .string()
  .min(1, { error: 'expected a password' })
  .max(1024, { error: 'expected at most 1024 characters' });
const opaqueToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'expected the token as issued' });

/** cookie: tokens in HttpOnly cookies, for browsers. body: tokens in the JSON body, for API clients. */
export const tokenDeliverySchema = z.enum(['cookie', 'body']).default('cookie');

export const loginInputSchema = z.strictObject({
  email,
  password,
  delivery: tokenDeliverySchema,
});

export const secondFactorSchema = z.enum(['totp', 'passkey', 'recovery_code']);

export const mfaRequiredSchema = z.object({
  status: z.literal('mfa_required'),
  mfaToken: z.string(),
  methods: z.array(secondFactorSchema),
  expiresAt: z.iso.datetime(),
});

export const signedInSchema = z.object({
  status: z.literal('signed_in'),
  userId: z.uuid(),
  sessionId: z.uuid(),
  assurance: z.enum(['full', 'enrolment_only']),
  accessTokenExpiresAt: z.iso.datetime(),
  sessionExpiresAt: z.iso.datetime(),
  csrfToken: z.string().nullable(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
});

export const loginResultSchema = z.discriminatedUnion('status', [
  signedInSchema,
  mfaRequiredSchema,
]);

export const totpLoginInputSchema = z.strictObject({
  mfaToken: opaqueToken,
  code: z
    .string()
    .regex(/^\d{6}$/, { error: 'expected the 6-digit code from your authenticator app' }),
  delivery: tokenDeliverySchema,
});

export const recoveryCodeLoginInputSchema = z.strictObject({
  mfaToken: opaqueToken,
  code: z
    .string()
    .min(16)
    .max(24, { error: 'expected a recovery code such as ABCD-EFGH-JKMN-PQRS' }),
  delivery: tokenDeliverySchema,
});

/** With cookie delivery the refresh token comes from its cookie and the body may be absent. */
export const refreshInputSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({ refreshToken: opaqueToken.optional(), delivery: tokenDeliverySchema }),
);

export const setupPasswordInputSchema = z.strictObject({
  setupSecret: opaqueToken,
  password,
});

export const changePasswordInputSchema = z.strictObject({
  currentPassword: password,
  newPassword: password,
});

export const accountSchema = z.object({
  userId: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  session: z.object({ id: z.uuid(), assurance: z.enum(['full', 'enrolment_only']) }).nullable(),
  mfa: z.object({
    totp: z.boolean(),
    passkeys: z.number().int(),
    recoveryCodesLeft: z.number().int(),
  }),
});

export const sessionSummarySchema = z.object({
  id: z.uuid(),
  assurance: z.enum(['full', 'enrolment_only']),
  authMethods: z.array(z.string()),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});

export const sessionListSchema = z.object({ items: z.array(sessionSummarySchema) });

/** The number of sessions that a revocation ended. */
export const revokedSessionsSchema = z.object({ revoked: z.number().int() });

export const totpEnrolmentSchema = z.object({
  secret: z.string(),
  otpauthUri: z.string(),
  qrCodeSvg: z.string(),
});

export const totpConfirmInputSchema = z.strictObject({
  code: z
    .string()
    .regex(/^\d{6}$/, { error: 'expected the 6-digit code from your authenticator app' }),
});

export const totpRemoveInputSchema = z.strictObject({ password });

export const recoveryCodesSchema = z.object({ recoveryCodes: z.array(z.string()) });

export const apiTokenInputSchema = z.strictObject({
  name: plainText(100),
  permissions: z.array(z.string().max(100)).min(1).max(100),
  expiresInDays: z.number().int().min(1).max(365),
});

export const apiTokenSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  permissions: z.array(z.string()),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});

export const createdApiTokenSchema = apiTokenSchema.extend({
  /** Shown once; only its hash is stored. */
  token: z.string(),
});

export const userStatusSchema = z.enum(['active', 'suspended', 'deprovisioned']);

export const userSummarySchema = z.object({
  id: z.uuid(),
  email: z.string(),
  displayName: z.string(),
  status: userStatusSchema,
  createdAt: z.iso.datetime(),
  lastLoginAt: z.iso.datetime().nullable(),
});

export const userListSchema = z.object({ items: z.array(userSummarySchema) });

export const createUserInputSchema = z.strictObject({
  email,
  displayName: plainText(200),
});

export const createdUserSchema = userSummarySchema.extend({
  setupSecret: z.string(),
  setupSecretExpiresAt: z.iso.datetime(),
});

/** UUIDs compare as text in code, so upper-case spellings are folded to the stored lower case. */
export const idParamsSchema = z.strictObject({
  id: z.uuid({ error: 'expected a UUID' }).transform((id) => id.toLowerCase()),
});

// Passkeys (WebAuthn). The two option schemas describe the
// PublicKeyCredentialCreationOptionsJSON and PublicKeyCredentialRequestOptionsJSON
// values that @simplewebauthn/server 14 generates, so the response serializer
// keeps every member the browser needs. The web app hands a parsed value to
// startRegistration or startAuthentication of @simplewebauthn/browser 14 as it
// is. Optional members are exactOptional because both apps compile with
// exactOptionalPropertyTypes. So a member that is present with the value
// undefined fails the parse, and the server's response serialization too.

const userVerificationSchema = z.enum(['discouraged', 'preferred', 'required']);

/**
 * A credential in allowCredentials or excludeCredentials. `type` is always
 * public-key and `transports` contains WebAuthn transport names, but both
 * libraries type them as plain strings.
 */
const credentialDescriptorSchema = z.object({
  id: z.string(),
  type: z.string(),
  transports: z.array(z.string()).exactOptional(),
});

/** Options for navigator.credentials.create(), from POST /api/v1/account/passkeys/options. */
export const passkeyCreationOptionsSchema = z.object({
  rp: z.object({ name: z.string(), id: z.string().exactOptional() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ alg: z.number().int(), type: z.literal('public-key') })),
  timeout: z.number().int().exactOptional(),
  excludeCredentials: z.array(credentialDescriptorSchema).exactOptional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: z.enum(['platform', 'cross-platform']).exactOptional(),
      requireResidentKey: z.boolean().exactOptional(),
      residentKey: z.enum(['discouraged', 'preferred', 'required']).exactOptional(),
      userVerification: userVerificationSchema.exactOptional(),
    })
    .exactOptional(),
  hints: z.array(z.enum(['hybrid', 'security-key', 'client-device'])).exactOptional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).exactOptional(),
  extensions: z.object({ credProps: z.boolean().exactOptional() }).exactOptional(),
});

/** Options for navigator.credentials.get(), from POST /api/v1/auth/login/passkey/options. */
export const passkeyRequestOptionsSchema = z.object({
  challenge: z.string(),
  timeout: z.number().int().exactOptional(),
  rpId: z.string().exactOptional(),
  allowCredentials: z.array(credentialDescriptorSchema).exactOptional(),
  userVerification: userVerificationSchema.exactOptional(),
});

export const passkeySchema = z.object({
  credentialId: z.string(),
  name: z.string(),
  deviceType: z.enum(['singleDevice', 'multiDevice']),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
});

export const passkeyListSchema = z.object({ items: z.array(passkeySchema) });

export const registeredPasskeySchema = z.object({
  passkey: passkeySchema,
  /** Ten single-use recovery codes, shown once, when the account had no unused ones. Otherwise null. */
  recoveryCodes: z.array(z.string()).nullable(),
});
