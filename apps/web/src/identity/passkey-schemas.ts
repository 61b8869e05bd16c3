import { z } from 'zod';

// The server defines these schemas beside its passkey routes, not in
// @peytonix/contracts, so the web app mirrors them here. The enumerations
// follow the types of @simplewebauthn/browser 14, so a parsed value can be
// handed to startRegistration and startAuthentication as it is.
// TODO: move the passkey schemas into @peytonix/contracts and import them on both sides.

const transportSchema = z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const userVerificationSchema = z.enum(['discouraged', 'preferred', 'required']);

const credentialDescriptorSchema = z.object({
  id: z.string(),
  type: z.literal('public-key'),
  transports: z.array(transportSchema).exactOptional(),
});

/** Options for navigator.credentials.get(), from POST /api/v1/auth/login/passkey/options. */
export const passkeyRequestOptionsSchema = z.object({
  challenge: z.string(),
  timeout: z.number().int().exactOptional(),
  rpId: z.string().exactOptional(),
  allowCredentials: z.array(credentialDescriptorSchema).exactOptional(),
  userVerification: userVerificationSchema.exactOptional(),
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
  /** Ten recovery codes, shown once, when the account had no unused ones; otherwise null. */
  recoveryCodes: z.array(z.string()).nullable(),
});

export type Passkey = z.infer<typeof passkeySchema>;
