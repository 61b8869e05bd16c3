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
