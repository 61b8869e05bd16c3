import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { CHECKPOINT_ORIGIN, type SignedCheckpoint } from './checkpoint-body.ts';

export interface StoredCheckpoint extends SignedCheckpoint {
  frontier: Buffer[];
}

type CheckpointRow = {
  tree_size: string;
  root_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: Buffer;
  frontier: Buffer[];
};

function toStoredCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return {
    checkpoint: {
      origin: CHECKPOINT_ORIGIN,
      treeSize: Number(row.tree_size),
      rootHash: row.root_hash.toString('hex'),
      signedAt: row.signed_at.toISOString(),
      keyId: row.key_id,
    },
    signature: row.signature.toString('base64'),
    frontier: row.frontier,
  };
}

export async function listCheckpoints(db: Kysely<Database>): Promise<StoredCheckpoint[]> {
  const rows = await db.selectFrom('audit_checkpoints').selectAll().orderBy('tree_size').execute();
  return rows.map(toStoredCheckpoint);
}

/** Read the newest `limit` checkpoints, largest tree first. */
export async function listRecentCheckpoints(
  db: Kysely<Database>,
  limit: number,
): Promise<StoredCheckpoint[]> {
  const rows = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('tree_size', 'desc')
    .limit(limit)
    .execute();
  return rows.map(toStoredCheckpoint);
}

export async function latestCheckpoint(db: Kysely<Database>): Promise<StoredCheckpoint | null> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('tree_size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? null : toStoredCheckpoint(row);
}

export async function findCheckpoint(
  db: Kysely<Database>,
  treeSize: number,
): Promise<StoredCheckpoint | null> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tree_size', '=', String(treeSize))
    .executeTakeFirst();
  return row === undefined ? null : toStoredCheckpoint(row);
}

export async function insertCheckpoint(
  db: Kysely<Database>,
  stored: StoredCheckpoint,
): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({
      tree_size: stored.checkpoint.treeSize,
      root_hash: Buffer.from(stored.checkpoint.rootHash, 'hex'),
      signed_at: new Date(stored.checkpoint.signedAt),
      key_id: stored.checkpoint.keyId,
      signature: Buffer.from(stored.signature, 'base64'),
      frontier: stored.frontier,
    })
    .execute();
}

export async function readChainHead(
  db: Kysely<Database>,
): Promise<{ size: number; lastHash: Buffer }> {
  const head = await db
    .selectFrom('audit_chain_head')
    .select(['last_seq', 'last_hash'])
    .executeTakeFirstOrThrow();
  return { size: Number(head.last_seq), lastHash: head.last_hash };
}
