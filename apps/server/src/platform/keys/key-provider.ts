import type { Kysely } from 'kysely';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/schema.ts';
import { KeyProviderError } from './key-provider-error.ts';
import { createKmsClient } from './kms-client.ts';
import { openKmsSigningKey } from './kms-signing-key.ts';
import { openLocalSigningKey } from './local-signing-key.ts';
import type { SigningKey } from './signing-key.ts';

export const CHECKPOINT_KEY_FILE = 'audit-checkpoint-ed25519.pem';
export const CHECKPOINT_KEY_NAME = 'audit-checkpoint';

/**
 * Open the Ed25519 key that signs audit checkpoints: a 0600 file in the
 * data directory, or a row of wrapped_keys encrypted by KMS. Only `start`
 * and `audit checkpoint` pass `create`, because they sign. Other commands
 * fail rather than make a key that no checkpoint was signed with.
 */
export async function openCheckpointKey(
  config: Config,
  options: { create: boolean; db?: Kysely<Database> },
): Promise<SigningKey> {
  const keys = config.keys;
  // Once checkpoints exist, only their key can sign more, so a missing key
  // must be restored, never replaced by a new one.
  const create =
    options.create && !(options.db !== undefined && (await checkpointsExist(options.db)));
  if (keys.kind === 'local') {
    return openLocalSigningKey(config.dataDir, CHECKPOINT_KEY_FILE, { create });
  }

  if (options.db === undefined) {
    throw new KeyProviderError(
      'DatabaseRequired',
      'The KMS key provider keeps its keys in the database; open it first.',
    );
  }
  return openKmsSigningKey(options.db, createKmsClient(keys.region), {
    kmsKeyId: keys.keyId,
    name: CHECKPOINT_KEY_NAME,
    create,
  });
}

async function checkpointsExist(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .select('tree_size')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Cache the key once it opens, so a KMS-backed key is decrypted once per
 * process, but retry after a failure instead of caching the failure.
 */
export function memoizeKey(open: () => Promise<SigningKey>): () => Promise<SigningKey> {
  let opened: Promise<SigningKey> | null = null;
  return () => {
    opened ??= open().catch((error: unknown) => {
      opened = null;
      throw error;
    });
    return opened;
  };
}
