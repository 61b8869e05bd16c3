// Contract tests at the AWS SDK boundary. KMS cannot run here, so a KMS
// stand-in on 127.0.0.1 speaks the JSON 1.1 protocol that the real client
// sends. The tests check the exact requests (operation, key id, key spec,
// encryption context), that no plaintext is stored or sent back to KMS, and
// that every documented GenerateDataKey and Decrypt error fails closed.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyProviderError } from '../../src/platform/keys/key-provider-error.ts';
import { createKmsClient } from '../../src/platform/keys/kms-client.ts';
import { createKmsDataKeys } from '../../src/platform/keys/kms-data-keys.ts';
import { openSealedSecret, sealSecret } from '../../src/platform/keys/sealed-secret.ts';
import { FakeKms } from '../support/fake-kms.ts';

const KMS_KEY_ID = 'alias/peytonix';
const CONTEXT = 'session-signing-key:kid-1';
const SECRET = Buffer.from('private half of a session signing key');

/** Await a promise that must reject, and return what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (error: unknown) => error,
  );
}

describe('KMS data keys (contract test at the SDK boundary)', () => {
  const kms = new FakeKms();
  let endpoint: string;

  const provider = () =>
    createKmsDataKeys(
      createKmsClient('eu-west-1', {
        endpoint,
        maxAttempts: 1,
        // Explicit credentials, because the default chain would query the instance metadata service.
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'stand-in-secret' },
      }),
      KMS_KEY_ID,
    );

  beforeAll(async () => {
    endpoint = await kms.start();
  });
  afterAll(async () => {
    await kms.stop();
  });
  beforeEach(() => {
    kms.requests.length = 0;
    kms.dataKeys.length = 0;
    kms.failWith = null;
    kms.respondWith = null;
    kms.hangUp = false;
  });

  it('seals with GenerateDataKey and opens with Decrypt', async () => {
    const keys = provider();

    const sealed = await sealSecret(keys, SECRET, CONTEXT);
    const opened = await openSealedSecret(keys, sealed, CONTEXT);

    expect(opened).toEqual(SECRET);
    expect(keys.description).toBe('kms:alias/peytonix');
    expect(kms.requests.map((request) => request.target)).toEqual([
      'TrentService.GenerateDataKey',
      'TrentService.Decrypt',
    ]);
  });

  it('sends the key id, key spec and encryption context', async () => {
    const keys = provider();

    const sealed = await sealSecret(keys, SECRET, CONTEXT);
    await openSealedSecret(keys, sealed, CONTEXT);

    const [generate, decrypt] = kms.requests;
    expect(generate?.contentType).toBe('application/x-amz-json-1.1');
    expect(generate?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/kms\/aws4_request/,
    );
    expect(generate?.body).toEqual({
      KeyId: KMS_KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { 'peytonix:context': CONTEXT },
    });
    expect(Object.keys(decrypt?.body ?? {}).sort()).toEqual([
      'CiphertextBlob',
      'EncryptionContext',
      'KeyId',
    ]);
    expect(decrypt?.body).toMatchObject({
      KeyId: KMS_KEY_ID,
      EncryptionContext: { 'peytonix:context': CONTEXT },
    });
  });

  it('stores the KMS ciphertext blob as the wrapped key', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);

    const wrappedLength = sealed.readUInt16BE(1);
    const wrapped = sealed.subarray(3, 3 + wrappedLength);
    await openSealedSecret(provider(), sealed, CONTEXT);
    const decrypt = kms.requests[1];
    expect(sealed[0]).toBe(1);
    expect(wrapped.toString('base64')).toBe(decrypt?.body.CiphertextBlob);
  });

  it('stores no plaintext in the sealed value', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);

    const [dataKey] = kms.dataKeys;
    expect(dataKey).toBeDefined();
    expect(sealed.includes(SECRET)).toBe(false);
    expect(sealed.includes(dataKey as Buffer)).toBe(false);
    expect(sealed.includes((dataKey as Buffer).subarray(0, 16))).toBe(false);
    expect(sealed.includes((dataKey as Buffer).subarray(16))).toBe(false);
  });

  it('sends no plaintext to KMS when opening', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);
    kms.requests.length = 0;

    await openSealedSecret(provider(), sealed, CONTEXT);

    const [dataKey] = kms.dataKeys;
    const sent = JSON.stringify(kms.requests.map((request) => request.body));
    expect(sent).not.toContain((dataKey as Buffer).toString('base64'));
    expect(sent).not.toContain(SECRET.toString('base64'));
  });

  it('rejects a wrong context with InvalidCiphertextException', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);

    const error = await rejectionOf(openSealedSecret(provider(), sealed, 'totp:user-2'));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidCiphertextException');
    expect((error as KeyProviderError).message).toContain('"totp:user-2"');
    expect(kms.requests[1]?.body.EncryptionContext).toEqual({ 'peytonix:context': 'totp:user-2' });
  });

  it('rejects an altered wrapped key', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);
    const altered = Buffer.from(sealed);
    altered[10] = (altered[10] ?? 0) ^ 0x01;

    const error = await rejectionOf(openSealedSecret(provider(), altered, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidCiphertextException');
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
    ['DryRunOperationException', 412],
  ];
  // InvalidCiphertextException and IncorrectKeyException are Decrypt errors;
  // GenerateDataKey is checked against them too, because any error must fail closed.
  for (const [type, status] of documentedErrors) {
    it(`fails GenerateDataKey closed on ${type}`, async () => {
      kms.failWith = { type, status };

      const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

      expect(error).toBeInstanceOf(KeyProviderError);
      expect((error as KeyProviderError).reason).toBe(type);
      expect((error as KeyProviderError).message).toContain('GenerateDataKey');
      expect((error as KeyProviderError).message).toContain(KMS_KEY_ID);
      expect((error as KeyProviderError).message).toContain(`"${CONTEXT}"`);
    });

    it(`fails Decrypt closed on ${type}`, async () => {
      const sealed = await sealSecret(provider(), SECRET, CONTEXT);
      kms.failWith = { type, status };

      const error = await rejectionOf(openSealedSecret(provider(), sealed, CONTEXT));

      expect(error).toBeInstanceOf(KeyProviderError);
      expect((error as KeyProviderError).reason).toBe(type);
      expect((error as KeyProviderError).message).toContain('Decrypt');
      expect((error as KeyProviderError).message).toContain(KMS_KEY_ID);
      expect((error as KeyProviderError).message).toContain(`"${CONTEXT}"`);
    });
  }

  it('names the missing permission on AccessDeniedException', async () => {
    kms.failWith = { type: 'AccessDeniedException', status: 400 };

    const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

    expect((error as KeyProviderError).message).toContain('kms:GenerateDataKey');
  });

  it('fails closed when the connection drops', async () => {
    kms.hangUp = true;

    const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).message).toContain('check that KMS is reachable');
  });

  it('rejects a GenerateDataKey response without plaintext', async () => {
    kms.respondWith = { CiphertextBlob: Buffer.from('blob').toString('base64') };

    const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('EmptyResponse');
  });

  it('rejects a GenerateDataKey response without ciphertext', async () => {
    kms.respondWith = { Plaintext: Buffer.alloc(32, 1).toString('base64') };

    const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('EmptyResponse');
  });

  it('rejects a data key of the wrong length', async () => {
    kms.respondWith = {
      Plaintext: Buffer.alloc(16, 1).toString('base64'),
      CiphertextBlob: Buffer.from('blob').toString('base64'),
    };

    const error = await rejectionOf(sealSecret(provider(), SECRET, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidDataKey');
  });

  it('rejects a Decrypt response without plaintext', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);
    kms.respondWith = {};

    const error = await rejectionOf(openSealedSecret(provider(), sealed, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('EmptyResponse');
  });

  it('rejects a Decrypt result of the wrong length', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);
    kms.respondWith = { Plaintext: Buffer.alloc(31, 1).toString('base64') };

    const error = await rejectionOf(openSealedSecret(provider(), sealed, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidDataKey');
  });

  it('rejects a Decrypt result that is another data key', async () => {
    const sealed = await sealSecret(provider(), SECRET, CONTEXT);
    kms.respondWith = { Plaintext: Buffer.alloc(32, 1).toString('base64') };

    const error = await rejectionOf(openSealedSecret(provider(), sealed, CONTEXT));

    expect(error).toMatchObject({ name: 'SealedSecretError', reason: 'AuthenticationFailed' });
  });
});
