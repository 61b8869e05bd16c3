import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { assertDataKeyContext, DATA_KEY_BYTES, type DataKeyProvider } from './data-key-provider.ts';
import { KeyProviderError } from './key-provider-error.ts';
import { kmsError } from './kms-errors.ts';

/**
 * KMS binds the wrapped key to this context, so a wrapped key copied to
 * another context fails with InvalidCiphertextException.
 */
function encryptionContext(context: string): Record<string, string> {
  return { 'peytonix:context': context };
}

/** Copy the data key that KMS returned, check its length and zero the SDK's copy. */
function takeDataKey(
  plaintext: Uint8Array | undefined,
  operation: string,
  keyId: string,
  context: string,
): Buffer {
  if (plaintext === undefined) {
    throw new KeyProviderError(
      'EmptyResponse',
      `KMS ${operation} with key ${keyId} for context "${context}" returned no plaintext.`,
    );
  }
  try {
    if (plaintext.length !== DATA_KEY_BYTES) {
      throw new KeyProviderError(
        'InvalidDataKey',
        `KMS ${operation} with key ${keyId} for context "${context}" returned a ` +
          `${plaintext.length}-byte key, not a ${DATA_KEY_BYTES}-byte AES-256 key.`,
      );
    }
    return Buffer.from(plaintext);
  } finally {
    // NOTE: the SDK also keeps the base64 response body as a string, which
    // cannot be zeroed and stays in memory until garbage collection.
    plaintext.fill(0);
  }
}

/**
 * Create a data key provider backed by the KMS key `keyId` (id, ARN or
 * alias). Each data key comes from GenerateDataKey, and its wrapped form is
 * the KMS ciphertext blob, which only Decrypt with the same key and context
 * opens. Every KMS failure rejects with a KeyProviderError.
 */
export function createKmsDataKeys(kms: KMSClient, keyId: string): DataKeyProvider {
  return {
    description: `kms:${keyId}`,

    async generateDataKey(context) {
      assertDataKeyContext(context);
      let generated: {
        CiphertextBlob?: Uint8Array | undefined;
        Plaintext?: Uint8Array | undefined;
      };
      try {
        generated = await kms.send(
          new GenerateDataKeyCommand({
            KeyId: keyId,
            KeySpec: 'AES_256',
            EncryptionContext: encryptionContext(context),
          }),
        );
      } catch (error) {
        throw kmsError('GenerateDataKey', keyId, error, context);
      }

      const plaintext = takeDataKey(generated.Plaintext, 'GenerateDataKey', keyId, context);
      if (generated.CiphertextBlob === undefined || generated.CiphertextBlob.length === 0) {
        plaintext.fill(0);
        throw new KeyProviderError(
          'EmptyResponse',
          `KMS GenerateDataKey with key ${keyId} for context "${context}" returned no ciphertext.`,
        );
      }
      return { plaintext, wrapped: Buffer.from(generated.CiphertextBlob) };
    },

    async decryptDataKey(wrapped, context) {
      assertDataKeyContext(context);
      let decrypted: { Plaintext?: Uint8Array | undefined };
      try {
        decrypted = await kms.send(
          new DecryptCommand({
            KeyId: keyId,
            CiphertextBlob: wrapped,
            EncryptionContext: encryptionContext(context),
          }),
        );
      } catch (error) {
        throw kmsError('Decrypt', keyId, error, context);
      }
      return takeDataKey(decrypted.Plaintext, 'Decrypt', keyId, context);
    },
  };
}
