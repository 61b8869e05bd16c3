import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/**
 * A software WebAuthn authenticator with one ES256 (P-256) credential. It
 * builds registration and assertion responses in the JSON form that
 * browsers send (PublicKeyCredential.toJSON()), with 'none' attestation.
 * Each option below overrides one field, so a test can build exactly the
 * broken response it needs.
 */

/** The value type that isoCBOR.encode accepts. */
type CBORType = Parameters<typeof isoCBOR.encode>[0];

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_CREDENTIAL_DATA = 0x40;

/** COSE key parameters (RFC 9052 and RFC 9053) for an EC2 P-256 key used with ES256. */
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_EC2_CRV = -1;
const COSE_EC2_X = -2;
const COSE_EC2_Y = -3;
const COSE_KTY_EC2 = 2;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;

export interface CeremonyOptions {
  /** The challenge from the server's options, base64url. */
  challenge: string;
  /** rpID whose SHA-256 goes into authenticatorData. */
  rpId: string;
  /** Origin written into clientDataJSON. */
  origin: string;
  /** clientDataJSON type. Defaults to webauthn.create or webauthn.get. */
  type?: string;
  /** Defaults to true. */
  userPresent?: boolean;
  /** Defaults to true. */
  userVerified?: boolean;
  /**
   * Signature counter to report. Defaults to the current counter at
   * registration and to the current counter plus one at each assertion.
   */
  counter?: number;
}

export interface SoftRegistrationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, unknown>;
}

export interface SoftAuthenticationResponse {
  id: string;
  rawId: string;
  type: 'public-key';
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults: Record<string, unknown>;
}

export interface SoftAuthenticator {
  /** The credential id, base64url. */
  readonly credentialId: string;
  /** The value the authenticator's counter had at its last response. */
  readonly counter: number;
  createRegistrationResponse(options: CeremonyOptions): SoftRegistrationResponse;
  createAssertionResponse(
    options: CeremonyOptions & { userHandle?: string },
  ): SoftAuthenticationResponse;
  /**
   * An authenticator with the same credential id but a new key pair, whose
   * signatures the stored public key does not verify.
   */
  withOtherKey(): SoftAuthenticator;
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function flagsByte(options: CeremonyOptions, extra = 0): number {
  let flags = extra;
  if (options.userPresent !== false) flags |= FLAG_USER_PRESENT;
  if (options.userVerified !== false) flags |= FLAG_USER_VERIFIED;
  return flags;
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

function clientData(options: CeremonyOptions, defaultType: string): Buffer {
  const data = {
    type: options.type ?? defaultType,
    challenge: options.challenge,
    origin: options.origin,
    crossOrigin: false,
  };
  return Buffer.from(JSON.stringify(data), 'utf8');
}

function cosePublicKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined)
    throw new Error('the exported P-256 JWK is missing x or y');
  const key = new Map<number, CBORType>([
    [COSE_KTY, COSE_KTY_EC2],
    [COSE_ALG, COSE_ALG_ES256],
    [COSE_EC2_CRV, COSE_CRV_P256],
    [COSE_EC2_X, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
    [COSE_EC2_Y, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
  ]);
  return isoCBOR.encode(key);
}

function build(
  credentialId: Buffer,
  privateKey: KeyObject,
  publicKey: KeyObject,
): SoftAuthenticator {
  let counter = 0;
  const id = base64url(credentialId);

  const nextCounter = (options: CeremonyOptions) => {
    counter = options.counter ?? counter + 1;
    return counter;
  };
  const rpIdHash = (rpId: string) => createHash('sha256').update(rpId).digest();

  return {
    credentialId: id,
    get counter() {
      return counter;
    },

    createRegistrationResponse(options) {
      const credentialIdLength = Buffer.alloc(2);
      credentialIdLength.writeUInt16BE(credentialId.length);
      const authenticatorData = Buffer.concat([
        rpIdHash(options.rpId),
        Buffer.from([flagsByte(options, FLAG_ATTESTED_CREDENTIAL_DATA)]),
        counterBytes(options.counter ?? counter),
        Buffer.alloc(16), // AAGUID: all zeroes, as for 'none' attestation
        credentialIdLength,
        credentialId,
        cosePublicKey(publicKey),
      ]);
      const attestationObject = isoCBOR.encode(
        new Map<string, CBORType>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, CBORType>()],
          ['authData', new Uint8Array(authenticatorData)],
        ]),
      );
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: base64url(clientData(options, 'webauthn.create')),
          attestationObject: base64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
      };
    },

    createAssertionResponse(options) {
      const authenticatorData = Buffer.concat([
        rpIdHash(options.rpId),
        Buffer.from([flagsByte(options)]),
        counterBytes(nextCounter(options)),
      ]);
      const clientDataJSON = clientData(options, 'webauthn.get');
      const clientDataHash = createHash('sha256').update(clientDataJSON).digest();
      // node:crypto signs EC keys in DER form by default, the form WebAuthn uses for ES256.
      const signature = sign(
        'sha256',
        Buffer.concat([authenticatorData, clientDataHash]),
        privateKey,
      );
      return {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: base64url(clientDataJSON),
          authenticatorData: base64url(authenticatorData),
          signature: base64url(signature),
          ...(options.userHandle === undefined ? {} : { userHandle: options.userHandle }),
        },
        clientExtensionResults: {},
      };
    },

    withOtherKey() {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return build(credentialId, other.privateKey, other.publicKey);
    },
  };
}

/** Create an authenticator with a new P-256 key pair and a random 32-byte credential id. */
export function createSoftAuthenticator(): SoftAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return build(randomBytes(32), privateKey, publicKey);
}
