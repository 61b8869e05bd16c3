/** Length in bytes of every data key: an AES-256 key. */
export const DATA_KEY_BYTES = 32;

/**
 * A source of AES-256 data keys for envelope encryption. Each data key
 * comes with a wrapped form that the caller stores next to its ciphertext.
 * The wrapped form is encrypted under a master key that never leaves the
 * provider.
 *
 * `context` names what the key protects, such as `totp:<user id>` or
 * `session-signing-key:<kid>`. The provider binds it to the wrapped key,
 * so a wrapped key copied to another context fails to decrypt. It appears
 * in error messages, so it must not contain a secret.
 */
export interface DataKeyProvider {
  /** e.g. 'local' or 'kms:<key id>'; safe to log. */
  readonly description: string;
  /** Generate a fresh data key. The caller zeroes `plaintext` once it is done with it. */
  generateDataKey(context: string): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  /** Unwrap a data key. Rejects with a KeyProviderError for another context or an altered key. */
  decryptDataKey(wrapped: Buffer, context: string): Promise<Buffer>;
}

/** Reject an empty context, which would bind the key to nothing. */
export function assertDataKeyContext(context: string): void {
  if (typeof context !== 'string' || context.length === 0) {
    throw new TypeError('A data key context must be a non-empty string, such as totp:<user id>.');
  }
}
