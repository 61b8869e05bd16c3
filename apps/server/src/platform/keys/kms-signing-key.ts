import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { KeyProviderError } from './key-provider-error.ts';
import { kmsError } from './kms-errors.ts';
import { keyIdOf, type SigningKey } from './signing-key.ts';

export interface KmsKeyOptions {
  /** The KMS key that encrypts ours: id, ARN or alias. */
  kmsKeyId: string;
  /** Row name in wrapped_keys, such as audit-checkpoint. */
  name: string;
  create: boolean;
}

/**
 * KMS binds the ciphertext to this context, so a ciphertext copied to
 * another row name fails to decrypt instead of becoming that key.
 */
function encryptionContext(name: string): Record<string, string> {
  return { 'peytonix:key': name };
}

async function createWrappedKey(db: Kysely<Database>, kms: KMSClient, options: KmsKeyOptions) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });

  let encrypted: { CiphertextBlob?: Uint8Array | undefined; KeyId?: string | undefined };
  try {
    encrypted = await kms.send(
      new EncryptCommand({
        KeyId: options.kmsKeyId,
        Plaintext: der,
        EncryptionContext: encryptionContext(options.name),
      }),
    );
  } catch (error) {
    throw kmsError('Encrypt', options.kmsKeyId, error);
  } finally {
    der.fill(0);
  }
  if (encrypted.CiphertextBlob === undefined) {
    throw new KeyProviderError(
      'EmptyResponse',
      `KMS Encrypt with key ${options.kmsKeyId} returned no ciphertext.`,
    );
  }

  // Another instance may have created the key first; its row wins.
  await db
    .insertInto('wrapped_keys')
    .values({
      name: options.name,
      algorithm: 'Ed25519',
      provider: 'kms',
      wrapping_key_id: encrypted.KeyId ?? options.kmsKeyId,
      ciphertext: Buffer.from(encrypted.CiphertextBlob),
      public_key_pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
}

async function decryptPrivateKey(kms: KMSClient, options: KmsKeyOptions, ciphertext: Buffer) {
  let decrypted: { Plaintext?: Uint8Array | undefined };
  try {
    decrypted = await kms.send(
      new DecryptCommand({
        KeyId: options.kmsKeyId,
        CiphertextBlob: ciphertext,
        EncryptionContext: encryptionContext(options.name),
      }),
    );
  } catch (error) {
    throw kmsError('Decrypt', options.kmsKeyId, error);
  }
  if (decrypted.Plaintext === undefined) {
    throw new KeyProviderError(
      'EmptyResponse',
      `KMS Decrypt with key ${options.kmsKeyId} returned no plaintext.`,
    );
  }

  const der = Buffer.from(decrypted.Plaintext);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new KeyProviderError(
      'InvalidKey',
      `The decrypted ${options.name} key is not a PKCS #8 private key.`,
      {
        cause: error,
      },
    );
  } finally {
    der.fill(0);
    decrypted.Plaintext.fill(0);
  }
}

/**
 * Open an Ed25519 signing key kept in wrapped_keys, encrypted by KMS.
 * With `create`, the first caller generates the key and stores it
 * encrypted. The private key exists in plain form only in this process.
 */
export async function openKmsSigningKey(
  db: Kysely<Database>,
  kms: KMSClient,
  options: KmsKeyOptions,
): Promise<SigningKey> {
  const find = () =>
    db.selectFrom('wrapped_keys').selectAll().where('name', '=', options.name).executeTakeFirst();

  let row = await find();
  if (row === undefined && options.create) {
    await createWrappedKey(db, kms, options);
    row = await find();
  }
  if (row === undefined) {
    throw new KeyProviderError(
      'KeyNotCreated',
      `No ${options.name} key exists yet. Start the server once with PEYTONIX_KEYS=kms to create it.`,
    );
  }

  const privateKey = await decryptPrivateKey(kms, options, row.ciphertext);
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyProviderError(
      'InvalidKey',
      `The ${options.name} key is ${privateKey.asymmetricKeyType ?? 'unknown'}, not Ed25519.`,
    );
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  if (publicKeyPem !== row.public_key_pem) {
    throw new KeyProviderError(
      'PublicKeyMismatch',
      `The stored public key of ${options.name} does not belong to its private key; the wrapped_keys row was altered.`,
    );
  }

  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem,
    async sign(message) {
      return sign(null, message, privateKey);
    },
  };
}
