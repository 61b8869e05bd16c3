import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import type { DataKeyProvider } from '../../src/platform/keys/data-key-provider.ts';
import { MASTER_KEY_FILE, openDataKeyProvider } from '../../src/platform/keys/key-provider.ts';
import { KeyProviderError } from '../../src/platform/keys/key-provider-error.ts';
import { openLocalDataKeys } from '../../src/platform/keys/local-data-keys.ts';
import { KeyFileError } from '../../src/platform/keys/local-signing-key.ts';
import {
  openSealedSecret,
  SealedSecretError,
  sealSecret,
} from '../../src/platform/keys/sealed-secret.ts';

const CONTEXT = 'totp:user-1';
const SECRET = Buffer.from('JBSWY3DPEHPK3PXP-totp-secret');

// Sealed layout under the local provider: 1 version byte, 2 length bytes,
// a 61-byte wrapped key, a 12-byte IV, the ciphertext and a 16-byte tag.
const WRAPPED_KEY_BYTES = 61;
const IV_START = 3 + WRAPPED_KEY_BYTES;
const CIPHERTEXT_START = IV_START + 12;

let dataDir: string;
let keyFile: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'peytonix-data-keys-'));
  keyFile = path.join(dataDir, 'keys', MASTER_KEY_FILE);
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const openLocal = (create: boolean, directory = dataDir) =>
  openLocalDataKeys(directory, MASTER_KEY_FILE, { create });

/** Await a promise that must reject, and return what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (error: unknown) => error,
  );
}

/** Flip one bit of a copy of `value` at `index`. */
function flipBit(value: Buffer, index: number): Buffer {
  const copy = Buffer.from(value);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

describe('local master key file', () => {
  it('creates a 32-byte key with mode 0600 in a 0700 directory', async () => {
    await openLocal(true);

    const file = await stat(keyFile);
    const directory = await stat(path.dirname(keyFile));
    expect(file.mode & 0o777).toBe(0o600);
    expect(directory.mode & 0o777).toBe(0o700);
    expect(file.size).toBe(32);
  });

  it('leaves no temporary file behind', async () => {
    await openLocal(true);

    expect(await readdir(path.dirname(keyFile))).toEqual([MASTER_KEY_FILE]);
  });

  it('keeps an existing key when creating again', async () => {
    await openLocal(true);
    const before = await readFile(keyFile);

    await openLocal(true);

    expect(await readFile(keyFile)).toEqual(before);
  });

  it('creates one key for concurrent openers', async () => {
    const providers = await Promise.all([openLocal(true), openLocal(true), openLocal(true)]);

    const sealed = await sealSecret(providers[0] as DataKeyProvider, SECRET, CONTEXT);
    for (const provider of providers) {
      expect(await openSealedSecret(provider, sealed, CONTEXT)).toEqual(SECRET);
    }
  });

  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602, 0o660]) {
    it(`rejects mode ${mode.toString(8)}`, async () => {
      await openLocal(true);
      await chmod(keyFile, mode);

      const error = await rejectionOf(openLocal(false));

      expect(error).toBeInstanceOf(KeyFileError);
      expect((error as KeyFileError).file).toBe(keyFile);
      expect((error as KeyFileError).message).toContain(`chmod 600 ${keyFile}`);
      expect((error as KeyFileError).message).toContain(`mode ${mode.toString(8)}`);
    });
  }

  it('rejects a loose mode even with create', async () => {
    await openLocal(true);
    const before = await readFile(keyFile);
    await chmod(keyFile, 0o644);

    await expect(openLocal(true)).rejects.toBeInstanceOf(KeyFileError);
    expect(await readFile(keyFile)).toEqual(before);
  });

  for (const size of [0, 16, 31, 33, 64]) {
    it(`rejects a ${size}-byte file`, async () => {
      await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
      await writeFile(keyFile, Buffer.alloc(size, 7), { mode: 0o600 });

      const error = await rejectionOf(openLocal(true));

      expect(error).toBeInstanceOf(KeyFileError);
      expect((error as KeyFileError).message).toContain(keyFile);
      expect((error as KeyFileError).message).toContain(`is ${size} bytes`);
      expect((await stat(keyFile)).size).toBe(size);
    });
  }

  it('rejects a directory at the key path', async () => {
    await mkdir(keyFile, { recursive: true, mode: 0o700 });

    const error = await rejectionOf(openLocal(true));

    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).message).toContain('not a regular file');
  });

  it('rejects a missing file without create', async () => {
    const error = await rejectionOf(openLocal(false));

    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as KeyFileError).message).toContain(keyFile);
    expect((error as KeyFileError).message).toContain('does not exist');
    expect((error as KeyFileError).message).toContain('restore the master key file from backup');
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a deleted key without create', async () => {
    await openLocal(true);
    await rm(keyFile);

    await expect(openLocal(false)).rejects.toBeInstanceOf(KeyFileError);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('local data keys', () => {
  it('wraps a 32-byte key into 61 versioned bytes', async () => {
    const provider = await openLocal(true);

    const { plaintext, wrapped } = await provider.generateDataKey(CONTEXT);

    expect(provider.description).toBe('local');
    expect(plaintext.length).toBe(32);
    expect(wrapped.length).toBe(WRAPPED_KEY_BYTES);
    expect(wrapped[0]).toBe(1);
    expect(wrapped.includes(plaintext)).toBe(false);
    expect(await provider.decryptDataKey(wrapped, CONTEXT)).toEqual(plaintext);
  });

  it('generates a different key each time', async () => {
    const provider = await openLocal(true);

    const first = await provider.generateDataKey(CONTEXT);
    const second = await provider.generateDataKey(CONTEXT);

    expect(first.plaintext.equals(second.plaintext)).toBe(false);
    expect(first.wrapped.equals(second.wrapped)).toBe(false);
  });

  it('rejects a wrapped key under another context', async () => {
    const provider = await openLocal(true);
    const { wrapped } = await provider.generateDataKey(CONTEXT);

    const error = await rejectionOf(provider.decryptDataKey(wrapped, 'totp:user-2'));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidCiphertext');
    expect((error as KeyProviderError).message).toContain('"totp:user-2"');
  });

  it('rejects a wrapped key of another size', async () => {
    const provider = await openLocal(true);
    const { wrapped } = await provider.generateDataKey(CONTEXT);

    for (const bad of [wrapped.subarray(0, 60), Buffer.concat([wrapped, Buffer.from([0])])]) {
      const error = await rejectionOf(provider.decryptDataKey(bad, CONTEXT));
      expect(error).toBeInstanceOf(KeyProviderError);
      expect((error as KeyProviderError).reason).toBe('InvalidWrappedKey');
    }
  });

  it('rejects an empty context', async () => {
    const provider = await openLocal(true);

    await expect(provider.generateDataKey('')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('sealed secrets under the local master key', () => {
  it('round-trips a secret', async () => {
    const provider = await openLocal(true);

    const sealed = await sealSecret(provider, SECRET, CONTEXT);

    expect(sealed[0]).toBe(1);
    expect(sealed.readUInt16BE(1)).toBe(WRAPPED_KEY_BYTES);
    expect(sealed.length).toBe(CIPHERTEXT_START + SECRET.length + 16);
    expect(sealed.includes(SECRET)).toBe(false);
    expect(await openSealedSecret(provider, sealed, CONTEXT)).toEqual(SECRET);
  });

  it('round-trips an empty secret', async () => {
    const provider = await openLocal(true);

    const sealed = await sealSecret(provider, Buffer.alloc(0), CONTEXT);

    expect(await openSealedSecret(provider, sealed, CONTEXT)).toEqual(Buffer.alloc(0));
  });

  it('opens after the key file is reopened', async () => {
    const sealed = await sealSecret(await openLocal(true), SECRET, CONTEXT);

    const reopened = await openLocal(false);

    expect(await openSealedSecret(reopened, sealed, CONTEXT)).toEqual(SECRET);
  });

  it('seals the same secret differently each time', async () => {
    const provider = await openLocal(true);

    const first = await sealSecret(provider, SECRET, CONTEXT);
    const second = await sealSecret(provider, SECRET, CONTEXT);

    expect(first.equals(second)).toBe(false);
    expect(first.subarray(IV_START, CIPHERTEXT_START)).not.toEqual(
      second.subarray(IV_START, CIPHERTEXT_START),
    );
  });

  it('zeroes the data key after sealing', async () => {
    const local = await openLocal(true);
    const issued: Buffer[] = [];
    const spying: DataKeyProvider = {
      description: local.description,
      async generateDataKey(context) {
        const key = await local.generateDataKey(context);
        issued.push(key.plaintext);
        return key;
      },
      decryptDataKey: (wrapped, context) => local.decryptDataKey(wrapped, context),
    };

    const sealed = await sealSecret(spying, SECRET, CONTEXT);

    expect(issued).toHaveLength(1);
    expect(issued[0]).toEqual(Buffer.alloc(32));
    expect(await openSealedSecret(local, sealed, CONTEXT)).toEqual(SECRET);
  });

  it('rejects every single-bit change', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);

    for (let index = 0; index < sealed.length; index += 1) {
      const error = await rejectionOf(openSealedSecret(provider, flipBit(sealed, index), CONTEXT));
      const known = error instanceof SealedSecretError || error instanceof KeyProviderError;
      expect(known, `byte ${index}: ${String(error)}`).toBe(true);
      expect((error as Error).message, `byte ${index}`).toContain(`"${CONTEXT}"`);
    }
  });

  const parts: [string, number, string][] = [
    ['version byte', 0, 'UnknownVersion'],
    ['wrapped key length high byte', 1, 'Truncated'],
    ['wrapped key length low byte', 2, 'InvalidWrappedKey'],
    ['wrapped key', 3 + 20, 'InvalidCiphertext'],
    ['IV', IV_START + 5, 'AuthenticationFailed'],
    ['ciphertext', CIPHERTEXT_START + 3, 'AuthenticationFailed'],
    ['tag', -1, 'AuthenticationFailed'],
  ];
  for (const [part, offset, reason] of parts) {
    it(`rejects a changed ${part}`, async () => {
      const provider = await openLocal(true);
      const sealed = await sealSecret(provider, SECRET, CONTEXT);
      const index = offset < 0 ? sealed.length + offset : offset;

      const error = await rejectionOf(openSealedSecret(provider, flipBit(sealed, index), CONTEXT));

      expect((error as SealedSecretError | KeyProviderError).reason).toBe(reason);
    });
  }

  it('rejects a longer wrapped key length', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);
    const altered = Buffer.from(sealed);
    altered.writeUInt16BE(WRAPPED_KEY_BYTES + 1, 1);

    const error = await rejectionOf(openSealedSecret(provider, altered, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidWrappedKey');
  });

  it('rejects every truncation', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);

    for (let length = 0; length < sealed.length; length += 1) {
      const error = await rejectionOf(
        openSealedSecret(provider, sealed.subarray(0, length), CONTEXT),
      );
      const known = error instanceof SealedSecretError || error instanceof KeyProviderError;
      expect(known, `length ${length}: ${String(error)}`).toBe(true);
    }
  });

  it('rejects an empty value as truncated', async () => {
    const provider = await openLocal(true);

    const error = await rejectionOf(openSealedSecret(provider, Buffer.alloc(0), CONTEXT));

    expect(error).toBeInstanceOf(SealedSecretError);
    expect((error as SealedSecretError).reason).toBe('Truncated');
    expect((error as SealedSecretError).context).toBe(CONTEXT);
  });

  it('rejects an appended byte', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);

    const error = await rejectionOf(
      openSealedSecret(provider, Buffer.concat([sealed, Buffer.from([0])]), CONTEXT),
    );

    expect(error).toBeInstanceOf(SealedSecretError);
    expect((error as SealedSecretError).reason).toBe('AuthenticationFailed');
  });

  it('rejects an unknown version', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);
    const altered = Buffer.from(sealed);
    altered[0] = 2;

    const error = await rejectionOf(openSealedSecret(provider, altered, CONTEXT));

    expect(error).toBeInstanceOf(SealedSecretError);
    expect((error as SealedSecretError).reason).toBe('UnknownVersion');
    expect((error as SealedSecretError).message).toContain('version 2');
    expect((error as SealedSecretError).message).toContain(`"${CONTEXT}"`);
  });

  it('rejects a wrong context', async () => {
    const provider = await openLocal(true);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);

    const error = await rejectionOf(openSealedSecret(provider, sealed, 'totp:user-2'));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidCiphertext');
    expect((error as KeyProviderError).message).toContain('"totp:user-2"');
  });

  it('binds the context in its own tag', async () => {
    const local = await openLocal(true);
    // A provider that ignores the context, so only the secret's own tag can catch it.
    const contextFree: DataKeyProvider = {
      description: 'context-free',
      generateDataKey: () => local.generateDataKey('fixed'),
      decryptDataKey: (wrapped) => local.decryptDataKey(wrapped, 'fixed'),
    };
    const sealed = await sealSecret(contextFree, SECRET, CONTEXT);

    const error = await rejectionOf(openSealedSecret(contextFree, sealed, 'totp:user-2'));

    expect(error).toBeInstanceOf(SealedSecretError);
    expect((error as SealedSecretError).reason).toBe('AuthenticationFailed');
    expect((error as SealedSecretError).message).toContain('"totp:user-2"');
  });

  it('rejects a different master key', async () => {
    const sealed = await sealSecret(await openLocal(true), SECRET, CONTEXT);
    const otherDataDir = path.join(dataDir, 'other');
    const other = await openLocal(true, otherDataDir);

    const error = await rejectionOf(openSealedSecret(other, sealed, CONTEXT));

    expect(error).toBeInstanceOf(KeyProviderError);
    expect((error as KeyProviderError).reason).toBe('InvalidCiphertext');
    expect((error as KeyProviderError).message).toContain(
      path.join(otherDataDir, 'keys', MASTER_KEY_FILE),
    );
  });

  it('keeps key material out of error messages', async () => {
    const local = await openLocal(true);
    const masterKey = await readFile(keyFile);
    const dataKeys: Buffer[] = [];
    const recording: DataKeyProvider = {
      description: local.description,
      generateDataKey: (context) => local.generateDataKey(context),
      async decryptDataKey(wrapped, context) {
        const key = await local.decryptDataKey(wrapped, context);
        dataKeys.push(Buffer.from(key));
        return key;
      },
    };
    const sealed = await sealSecret(local, SECRET, CONTEXT);

    const messages: string[] = [];
    for (let index = 0; index < sealed.length; index += 1) {
      const error = await rejectionOf(openSealedSecret(recording, flipBit(sealed, index), CONTEXT));
      messages.push((error as Error).message);
    }
    messages.push(
      ((await rejectionOf(openSealedSecret(recording, sealed, 'totp:other'))) as Error).message,
    );

    const secrets = [masterKey, ...dataKeys, SECRET];
    expect(dataKeys.length).toBeGreaterThan(0);
    for (const message of messages) {
      for (const secret of secrets) {
        expect(message).not.toContain(secret.toString('hex'));
        expect(message).not.toContain(secret.toString('base64'));
        expect(message).not.toContain(secret.toString('latin1'));
      }
    }
  });
});

describe('openDataKeyProvider', () => {
  it('opens the local master key from the configuration', async () => {
    const config = loadConfig({ PEYTONIX_DATA_DIR: dataDir });

    const provider = await openDataKeyProvider(
      { ...config, keys: { kind: 'local' } },
      { create: true },
    );

    expect(provider.description).toBe('local');
    expect((await stat(keyFile)).size).toBe(32);
    const sealed = await sealSecret(provider, SECRET, CONTEXT);
    expect(await openSealedSecret(await openLocal(false), sealed, CONTEXT)).toEqual(SECRET);
  });

  it('does not create the local key without create', async () => {
    const config = loadConfig({ PEYTONIX_DATA_DIR: dataDir });

    await expect(
      openDataKeyProvider({ ...config, keys: { kind: 'local' } }, { create: false }),
    ).rejects.toBeInstanceOf(KeyFileError);
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('opens KMS without touching the data directory', async () => {
    const config = loadConfig({ PEYTONIX_DATA_DIR: dataDir });

    const provider = await openDataKeyProvider(
      { ...config, keys: { kind: 'kms', keyId: 'alias/peytonix', region: 'eu-west-1' } },
      { create: true },
    );

    expect(provider.description).toBe('kms:alias/peytonix');
    await expect(stat(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
