import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Passwords of the embedded cluster's three roles, generated on first start
 * and kept in `<data dir>/credentials.json` with mode 0600.
 */
export interface EmbeddedCredentials {
  superuserPassword: string;
  ownerPassword: string;
  appPassword: string;
}

export const CREDENTIALS_FILE_NAME = 'credentials.json';

function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

export function readOrCreateCredentials(dataDir: string): EmbeddedCredentials {
  const filePath = path.join(dataDir, CREDENTIALS_FILE_NAME);
  try {
    return JSON.parse(readFileSync(filePath, 'utf8')) as EmbeddedCredentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }

  const credentials: EmbeddedCredentials = {
    superuserPassword: generatePassword(),
    ownerPassword: generatePassword(),
    appPassword: generatePassword(),
  };
  writeFileSync(filePath, JSON.stringify(credentials), { mode: 0o600, flag: 'wx' });
  return credentials;
}

export function readCredentials(dataDir: string): EmbeddedCredentials {
  return JSON.parse(
    readFileSync(path.join(dataDir, CREDENTIALS_FILE_NAME), 'utf8'),
  ) as EmbeddedCredentials;
}
