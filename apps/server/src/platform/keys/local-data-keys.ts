import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertDataKeyContext, DATA_KEY_BYTES, type DataKeyProvider } from './data-key-provider.ts';
import { KeyProviderError } from './key-provider-error.ts';
import { KeyFileError, localKeyPath } from './local-signing-key.ts';

/** Length in bytes of the local master key: an AES-256 key. */
export const MASTER_KEY_BYTES = 32;

// Wrapped data key layout: version (1 byte), IV (12), encrypted key (32), GCM tag (16).
const WRAP_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_KEY_BYTES = 1 + IV_BYTES + DATA_KEY_BYTES + TAG_BYTES;

/**
 * Read the master key after checking that it is a regular file of exactly
 * 32 bytes that neither group nor others may read or write. Rejects with
 * the ENOENT error of `open` when the file does not exist.
 */
async function readMasterKey(file: string): Promise<Buffer> {
  // O_NONBLOCK keeps open from waiting forever on a FIFO placed at this path.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KeyFileError(
        file,
        'is not a regular file',
        'restore the master key file from backup',
      );
    }
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8);
      throw new KeyFileError(
        file,
        `has mode ${mode}, which lets group or others read or write it`,
        `run chmod 600 ${file}`,
      );
    }
    if (info.size !== MASTER_KEY_BYTES) {
      throw new KeyFileError(
        file,
        `is ${info.size} bytes, but a master key is exactly ${MASTER_KEY_BYTES} bytes`,
        'restore the master key file from backup',
      );
    }

    const key = Buffer.alloc(MASTER_KEY_BYTES);
    const { bytesRead } = await handle.read(key, 0, MASTER_KEY_BYTES, 0);
    if (bytesRead !== MASTER_KEY_BYTES) {
      key.fill(0);
      throw new KeyFileError(
        file,
        `returned ${bytesRead} of ${MASTER_KEY_BYTES} bytes`,
        'restore the master key file from backup',
      );
    }
    return key;
  } finally {
    await handle.close();
  }
}

/**
 * Write 32 random bytes to `file` with mode 0600 inside a 0700 directory.
 * The key is written to a temporary file opened with 'wx' and then linked
 * into place, so no process ever reads a partly written key. If another
 * process linked its key first, the link fails with EEXIST and that key wins.
 */
async function createMasterKeyFile(file: string): Promise<void> {
  const directory = path.dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });

  const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(key);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    key.fill(0);
    await rm(temporary, { force: true });
  }

  // Persist the directory entry too, because losing the key after a crash
  // would make every value sealed under it unreadable.
  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
}

/** Bind the wrapped key to its format version and its context. */
function wrapAad(version: number, context: string): Buffer {
  return Buffer.concat([Buffer.from([version]), Buffer.from(context, 'utf8')]);
}

function wrapDataKey(masterKey: KeyObject, dataKey: Buffer, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(wrapAad(WRAP_VERSION, context));
  const encrypted = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([Buffer.from([WRAP_VERSION]), iv, encrypted, cipher.getAuthTag()]);
}

function unwrapDataKey(
  masterKey: KeyObject,
  file: string,
  wrapped: Buffer,
  context: string,
): Buffer {
  const version = wrapped[0];
  if (wrapped.length !== WRAPPED_KEY_BYTES || version !== WRAP_VERSION) {
    throw new KeyProviderError(
      'InvalidWrappedKey',
      `The wrapped data key for context "${context}" is not a local wrapped key ` +
        `(version ${version ?? 'none'}, ${wrapped.length} bytes; expected version ${WRAP_VERSION}, ` +
        `${WRAPPED_KEY_BYTES} bytes). It was altered, or another key provider such as KMS wrapped it.`,
    );
  }

  const iv = wrapped.subarray(1, 1 + IV_BYTES);
  const encrypted = wrapped.subarray(1 + IV_BYTES, 1 + IV_BYTES + DATA_KEY_BYTES);
  const tag = wrapped.subarray(1 + IV_BYTES + DATA_KEY_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(wrapAad(version, context));
  decipher.setAuthTag(tag);
  const dataKey = decipher.update(encrypted);
  try {
    decipher.final();
  } catch (error) {
    dataKey.fill(0);
    throw new KeyProviderError(
      'InvalidCiphertext',
      `The wrapped data key for context "${context}" does not decrypt under the master key ${file}: ` +
        'it was wrapped for another context or under another master key, or it was altered. ' +
        'Restore the original value or master key.',
      { cause: error },
    );
  }
  return dataKey;
}

/**
 * Open the local master key in `<dataDir>/keys/<name>` as a data key
 * provider. With `create`, a missing file is created with 32 random bytes.
 * Without it, a missing file is an error, because a new master key cannot
 * open values sealed under the lost one.
 */
export async function openLocalDataKeys(
  dataDir: string,
  name: string,
  options: { create: boolean },
): Promise<DataKeyProvider> {
  const file = localKeyPath(dataDir, name);

  let keyBytes: Buffer;
  try {
    keyBytes = await readMasterKey(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!options.create) {
      throw new KeyFileError(
        file,
        'does not exist',
        'restore the master key file from backup, because values sealed under it cannot be opened ' +
          'with a new one. If this data directory never held sealed values, start the server once to create it',
      );
    }
    await createMasterKeyFile(file);
    keyBytes = await readMasterKey(file);
  }
  // The KeyObject keeps its own copy outside the JavaScript heap.
  const masterKey = createSecretKey(keyBytes);
  keyBytes.fill(0);

  return {
    description: 'local',
    async generateDataKey(context) {
      assertDataKeyContext(context);
      const plaintext = randomBytes(DATA_KEY_BYTES);
      return { plaintext, wrapped: wrapDataKey(masterKey, plaintext, context) };
    },
    async decryptDataKey(wrapped, context) {
      assertDataKeyContext(context);
      return unwrapDataKey(masterKey, file, wrapped, context);
    },
  };
}
