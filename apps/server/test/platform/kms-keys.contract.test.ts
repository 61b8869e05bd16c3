// Contract tests at the AWS SDK boundary. KMS cannot run here, so a KMS
// stand-in on 127.0.0.1 speaks the JSON 1.1 protocol that the real client
// sends. The tests check the exact requests (operation, key id, encryption
// context, no plaintext at rest) and that every documented error fails closed.
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { KeyProviderError } from '../../src/platform/keys/key-provider-error.ts';
import { createKmsClient } from '../../src/platform/keys/kms-client.ts';
import { openKmsSigningKey } from '../../src/platform/keys/kms-signing-key.ts';
import { readEd25519PublicKey, verifyEd25519 } from '../../src/platform/keys/signing-key.ts';
import { openAuditDatabase } from '../support/audit-fixtures.ts';
import { FakeKms, KEY_ARN } from '../support/fake-kms.ts';
import type { TestDatabase } from '../support/test-database.ts';

describe('KMS-protected signing key (contract test at the SDK boundary)', () => {
  const kms = new FakeKms();
  let endpoint: string;
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let close: () => Promise<void>;

  const client = () =>
    createKmsClient('eu-west-1', {
      endpoint,
      maxAttempts: 1,
      // Explicit credentials: the default chain would ask the instance metadata service.
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'stand-in-secret' },
    });
  const open = (create: boolean, name = 'audit-checkpoint') =>
    openKmsSigningKey(handle.db, client(), { kmsKeyId: 'alias/peytonix', name, create });

  beforeAll(async () => {
    endpoint = await kms.start();
    ({ database, handle, close } = await openAuditDatabase());
  });
  afterAll(async () => {
    await close();
    await kms.stop();
  });
  beforeEach(() => {
    kms.requests.length = 0;
    kms.failWith = null;
  });

  it('creates the key once, encrypted, and signs with it', async () => {
    const key = await open(true);

    expect(kms.requests.map((request) => request.target)).toEqual([
      'TrentService.Encrypt',
      'TrentService.Decrypt',
    ]);
    const [encrypt, decrypt] = kms.requests;
    expect(encrypt?.contentType).toBe('application/x-amz-json-1.1');
    expect(encrypt?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/kms\/aws4_request/,
    );
    expect(encrypt?.body).toMatchObject({
      KeyId: 'alias/peytonix',
      EncryptionContext: { 'peytonix:key': 'audit-checkpoint' },
    });
    expect(decrypt?.body).toMatchObject({
      KeyId: 'alias/peytonix',
      EncryptionContext: { 'peytonix:key': 'audit-checkpoint' },
    });

    const stored = await handle.db.selectFrom('wrapped_keys').selectAll().executeTakeFirstOrThrow();
    const plaintext = Buffer.from(String(encrypt?.body.Plaintext), 'base64');
    expect(stored.wrapping_key_id).toBe(KEY_ARN);
    expect(stored.ciphertext.includes(plaintext.subarray(16))).toBe(false);
    const message = Buffer.from('checkpoint');
    expect(
      verifyEd25519(readEd25519PublicKey(key.publicKeyPem), message, await key.sign(message)),
    ).toBe(true);
  });

  it('reopens the same key with one Decrypt', async () => {
    const first = await open(true);
    kms.requests.length = 0;

    const again = await open(false);

    expect(again.keyId).toBe(first.keyId);
    expect(kms.requests.map((request) => request.target)).toEqual(['TrentService.Decrypt']);
  });

  it('refuses to invent a key when not creating', async () => {
    await expect(open(false, 'never-created')).rejects.toMatchObject({
      name: 'KeyProviderError',
      reason: 'KeyNotCreated',
    });
    expect(kms.requests).toEqual([]);
  });

  const documentedErrors: [string, number][] = [
    ['AccessDeniedException', 400],
    ['NotFoundException', 400],
    ['DisabledException', 400],
    ['KMSInvalidStateException', 400],
    ['InvalidKeyUsageException', 400],
    ['InvalidCiphertextException', 400],
    ['IncorrectKeyException', 400],
    ['InvalidGrantTokenException', 400],
    ['KeyUnavailableException', 500],
    ['KMSInternalException', 500],
    ['DependencyTimeoutException', 503],
    ['ThrottlingException', 400],
  ];
  for (const [type, status] of documentedErrors) {
    it(`fails closed on ${type}`, async () => {
      await open(true);
      kms.failWith = { type, status };

      const error = await open(false).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(KeyProviderError);
      expect((error as KeyProviderError).reason).toBe(type);
      expect((error as KeyProviderError).message).toContain('alias/peytonix');
    });
  }

  it('fails closed when KMS is unreachable', async () => {
    const unreachable = createKmsClient('eu-west-1', {
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'stand-in-secret' },
    });

    const opening = openKmsSigningKey(handle.db, unreachable, {
      kmsKeyId: 'alias/peytonix',
      name: 'audit-checkpoint',
      create: false,
    });

    await expect(opening).rejects.toBeInstanceOf(KeyProviderError);
  });

  it('rejects a row whose public key was swapped', async () => {
    await open(true, 'swapped');
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query('ALTER TABLE wrapped_keys DISABLE TRIGGER USER');
      await owner.query(
        "UPDATE wrapped_keys SET public_key_pem = (SELECT public_key_pem FROM wrapped_keys WHERE name = 'audit-checkpoint') WHERE name = 'swapped'",
      );
      await owner.query('ALTER TABLE wrapped_keys ENABLE TRIGGER USER');
    } finally {
      await owner.end();
    }

    await expect(open(false, 'swapped')).rejects.toMatchObject({ reason: 'PublicKeyMismatch' });
  });

  it('rejects a ciphertext under another name', async () => {
    await open(true);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query(
        "INSERT INTO wrapped_keys (name, algorithm, provider, wrapping_key_id, ciphertext, public_key_pem) SELECT 'copied', algorithm, provider, wrapping_key_id, ciphertext, public_key_pem FROM wrapped_keys WHERE name = 'audit-checkpoint'",
      );
    } finally {
      await owner.end();
    }

    await expect(open(false, 'copied')).rejects.toMatchObject({
      reason: 'InvalidCiphertextException',
    });
  });
});
