import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { assertDataKeyContext, DATA_KEY_BYTES, type DataKeyProvider } from './data-key-provider.ts';
import { KeyProviderError } from './key-provider-error.ts';

/**
 * Sealed secret layout, all lengths in bytes:
 *
 *   version            1   SEALED_SECRET_VERSION
 *   wrapped key length 2   unsigned, big-endian
 *   wrapped key        n   from the data key provider
 *   IV                 12
 *   ciphertext         m   AES-256-GCM, same length as the secret
 *   tag                16
 *
 * The GCM additional data is the version, length and wrapped key followed
 * by the UTF-8 context, so any change to the header also fails the tag.
 */
export const SEALED_SECRET_VERSION = 1;
const LENGTH_BYTES = 2;
const HEADER_BYTES = 1 + LENGTH_BYTES;
const MAX_WRAPPED_KEY_BYTES = 0xffff;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type SealedSecretProblem = 'Truncated' | 'UnknownVersion' | 'AuthenticationFailed';

/**
 * A sealed secret cannot be opened because it is malformed, has an unknown
 * format version or fails authentication. The message names the context
 * and never any key material.
 */
export class SealedSecretError extends Error {
  readonly reason: SealedSecretProblem;
  /** The context the caller tried to open the value for. */
  readonly context: string;

  constructor(
    reason: SealedSecretProblem,
    context: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SealedSecretError';
    this.reason = reason;
    this.context = context;
  }
}

function secretAad(head: Buffer, context: string): Buffer {
  return Buffer.concat([head, Buffer.from(context, 'utf8')]);
}

function assertDataKeyLength(dataKey: Buffer, provider: DataKeyProvider, context: string): void {
  if (dataKey.length !== DATA_KEY_BYTES) {
    throw new KeyProviderError(
      'InvalidDataKey',
      `The ${provider.description} key provider returned a ${dataKey.length}-byte data key ` +
        `for context "${context}", not a ${DATA_KEY_BYTES}-byte AES-256 key.`,
    );
  }
}

/**
 * Encrypt `plaintext` under a fresh data key from `provider`, bound to
 * `context`, and return the sealed value to store. The data key is zeroed
 * before this returns.
 */
export async function sealSecret(
  provider: DataKeyProvider,
  plaintext: Buffer,
  context: string,
): Promise<Buffer> {
  assertDataKeyContext(context);
  const { plaintext: dataKey, wrapped } = await provider.generateDataKey(context);
  try {
    assertDataKeyLength(dataKey, provider, context);
    if (wrapped.length === 0 || wrapped.length > MAX_WRAPPED_KEY_BYTES) {
      throw new KeyProviderError(
        'InvalidWrappedKey',
        `The ${provider.description} key provider returned a ${wrapped.length}-byte wrapped key ` +
          `for context "${context}"; a sealed secret holds 1 to ${MAX_WRAPPED_KEY_BYTES} bytes.`,
      );
    }

    const head = Buffer.alloc(HEADER_BYTES + wrapped.length);
    head.writeUInt8(SEALED_SECRET_VERSION, 0);
    head.writeUInt16BE(wrapped.length, 1);
    wrapped.copy(head, HEADER_BYTES);

    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(secretAad(head, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([head, iv, ciphertext, cipher.getAuthTag()]);
  } finally {
    dataKey.fill(0);
  }
}

interface SealedParts {
  head: Buffer;
  wrapped: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parseSealedSecret(sealed: Buffer, context: string): SealedParts {
  const truncated = (detail: string) =>
    new SealedSecretError(
      'Truncated',
      context,
      `The sealed secret for context "${context}" is truncated or malformed: ${detail}. ` +
        'Restore the stored value or seal the secret again.',
    );

  const version = sealed[0];
  if (version === undefined) {
    throw truncated('it is empty');
  }
  if (version !== SEALED_SECRET_VERSION) {
    throw new SealedSecretError(
      'UnknownVersion',
      context,
      `The sealed secret for context "${context}" starts with format version ${version}, but this ` +
        `server reads only version ${SEALED_SECRET_VERSION}. The value is not a sealed secret or a ` +
        'newer server sealed it; restore the stored value or upgrade the server.',
    );
  }
  if (sealed.length < HEADER_BYTES) {
    throw truncated(`it is ${sealed.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  }

  const wrappedLength = sealed.readUInt16BE(1);
  const minimum = HEADER_BYTES + wrappedLength + IV_BYTES + TAG_BYTES;
  if (wrappedLength === 0) {
    throw truncated('its wrapped key length is 0');
  }
  if (sealed.length < minimum) {
    throw truncated(
      `it is ${sealed.length} bytes, but a ${wrappedLength}-byte wrapped key needs at least ${minimum}`,
    );
  }

  const ivStart = HEADER_BYTES + wrappedLength;
  const tagStart = sealed.length - TAG_BYTES;
  return {
    head: sealed.subarray(0, ivStart),
    wrapped: sealed.subarray(HEADER_BYTES, ivStart),
    iv: sealed.subarray(ivStart, ivStart + IV_BYTES),
    ciphertext: sealed.subarray(ivStart + IV_BYTES, tagStart),
    tag: sealed.subarray(tagStart),
  };
}

/**
 * Decrypt a value made by sealSecret for the same `context`. Rejects with
 * a SealedSecretError for a malformed, altered or unknown-version value and
 * with a KeyProviderError when the provider cannot unwrap the data key,
 * which includes a value sealed for another context.
 */
export async function openSealedSecret(
  provider: DataKeyProvider,
  sealed: Buffer,
  context: string,
): Promise<Buffer> {
  assertDataKeyContext(context);
  const parts = parseSealedSecret(sealed, context);
  const dataKey = await provider.decryptDataKey(parts.wrapped, context);
  try {
    assertDataKeyLength(dataKey, provider, context);
    const decipher = createDecipheriv('aes-256-gcm', dataKey, parts.iv, {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(secretAad(parts.head, context));
    decipher.setAuthTag(parts.tag);

    // GCM returns plaintext from update before final checks the tag, so
    // that output is zeroed unless the tag matches.
    const unverified = decipher.update(parts.ciphertext);
    try {
      decipher.final();
    } catch (error) {
      unverified.fill(0);
      throw new SealedSecretError(
        'AuthenticationFailed',
        context,
        `The sealed secret for context "${context}" failed authentication: it was altered ` +
          'or sealed for another context. Restore the stored value or seal the secret again.',
        { cause: error },
      );
    }
    return unverified;
  } finally {
    dataKey.fill(0);
  }
}
