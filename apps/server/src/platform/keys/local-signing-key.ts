import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { keyIdOf, type SigningKey } from './signing-key.ts';

export class KeyFileError extends Error {
  readonly file: string;
  readonly fix: string;

  constructor(file: string, problem: string, fix: string) {
    super(`${file}: ${problem}; ${fix}`);
    this.name = 'KeyFileError';
    this.file = file;
    this.fix = fix;
  }
}

const KEY_DIRECTORY = 'keys';

export function localKeyPath(dataDir: string, name: string): string {
  return path.join(dataDir, KEY_DIRECTORY, name);
}

/**
 * Refuse a key file that group or others may read or write: a private key
 * that other local users can copy no longer proves anything.
 */
async function assertPrivate(file: string): Promise<void> {
  const info = await stat(file);
  if (!info.isFile()) {
    throw new KeyFileError(file, 'is not a regular file', 'replace it with the key file');
  }
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8);
    throw new KeyFileError(
      file,
      `has mode ${mode}, which lets other users read it`,
      `run chmod 600 ${file}`,
    );
  }
}

async function createKeyFile(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });

  // 'wx' fails if another process created the file first; that file wins.
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(pem);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Open the Ed25519 key in `<dataDir>/keys/<name>`, creating it with mode
 * 0600 when `create` is set and it does not exist yet.
 */
export async function openLocalSigningKey(
  dataDir: string,
  name: string,
  options: { create: boolean },
): Promise<SigningKey> {
  const file = localKeyPath(dataDir, name);

  let pem: string;
  try {
    await assertPrivate(file);
    pem = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!options.create) {
      throw new KeyFileError(
        file,
        'does not exist',
        'restore it from backup; if no checkpoint was ever signed, start the server once to create it',
      );
    }
    await createKeyFile(file);
    await assertPrivate(file);
    pem = await readFile(file, 'utf8');
  }

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new KeyFileError(
      file,
      'is not a PEM private key',
      'restore the Ed25519 key file from backup',
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(
      file,
      `holds a ${privateKey.asymmetricKeyType ?? 'unknown'} key`,
      'restore the Ed25519 key file',
    );
  }
  const publicKey = createPublicKey(privateKey);

  return {
    keyId: keyIdOf(publicKey),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    async sign(message) {
      return sign(null, message, privateKey);
    },
  };
}
