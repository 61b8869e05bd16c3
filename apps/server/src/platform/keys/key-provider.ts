import { type Kysely, sql } from 'kysely';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/schema.ts';
import type { DataKeyProvider } from './data-key-provider.ts';
import { KeyProviderError } from './key-provider-error.ts';
import { createKmsClient } from './kms-client.ts';
import { createKmsDataKeys } from './kms-data-keys.ts';
import { openKmsSigningKey } from './kms-signing-key.ts';
import { openLocalDataKeys } from './local-data-keys.ts';
import { openLocalSigningKey } from './local-signing-key.ts';
import type { SigningKey } from './signing-key.ts';

export const CHECKPOINT_KEY_FILE = 'audit-checkpoint-ed25519.pem';
export const CHECKPOINT_KEY_NAME = 'audit-checkpoint';
/** The local master key that wraps data keys, in `<dataDir>/keys`. */
export const MASTER_KEY_FILE = 'master.key';

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

/**
 * Open the provider of data keys for sealed secrets: the local master key
 * file or the configured KMS key. `create` matters only for the local
 * file. Pass it only where a missing file means a new installation,
 * because a new master key cannot open values sealed under a lost one.
 * Opening a KMS provider sends no request, so KMS problems surface on
 * first use.
 */
export async function openDataKeyProvider(
  config: Config,
  options: { create: boolean },
): Promise<DataKeyProvider> {
  const keys = config.keys;
  if (keys.kind === 'local') {
    return openLocalDataKeys(config.dataDir, MASTER_KEY_FILE, options);
  }
  return createKmsDataKeys(createKmsClient(keys.region), keys.keyId);
}

/**
 * Open the data-key provider for a running database. A local master key is
 * created only while nothing sealed under one exists yet, so a lost master
 * key fails closed instead of being replaced by a key that opens nothing.
 */
export async function openDataKeysForDatabase(
  config: Config,
  db: Kysely<Database>,
): Promise<DataKeyProvider> {
  const sealed = await db
    .selectFrom('session_signing_keys')
    .select('kid')
    .unionAll(db.selectFrom('totp_credentials').select(sql<string>`user_id::text`.as('kid')))
    .limit(1)
    .executeTakeFirst();
  return openDataKeyProvider(config, { create: sealed === undefined });
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
export function memoizeKey<Key = SigningKey>(open: () => Promise<Key>): () => Promise<Key> {
  let opened: Promise<Key> | null = null;
  return () => {
    opened ??= open().catch((error: unknown) => {
      opened = null;
      throw error;
    });
    return opened;
  };
}
