import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import { readEd25519PublicKey } from '../../../platform/keys/signing-key.ts';
import { readEventRange } from '../audit-events.repository.ts';
import { GENESIS_HASH } from '../chain/audit-record.ts';
import { MerkleAccumulator } from '../merkle/index.ts';
import { sealPendingEvents } from '../sealing/seal-pending.ts';
import { checkLink } from '../verification/chain-link.ts';
import {
  CHECKPOINT_ORIGIN,
  type CheckpointBody,
  checkpointMessage,
  checkSignature,
} from './checkpoint-body.ts';
import {
  insertCheckpoint,
  listCheckpoints,
  listRecentCheckpoints,
  readChainHead,
  type StoredCheckpoint,
} from './checkpoints.repository.ts';

/** Advisory lock key: one checkpoint writer at a time across instances. */
const CHECKPOINT_LOCK = 7_266_041_003;
const BATCH_SIZE = 5000;

/** The chain does not verify, so no checkpoint may be signed over it. */
export class AuditChainDamagedError extends Error {
  readonly seq: number;

  constructor(seq: number, problem: string) {
    super(`audit chain damaged at event ${seq}: ${problem}; run peytonix audit verify`);
    this.name = 'AuditChainDamagedError';
    this.seq = seq;
  }
}

/**
 * The signing key is not the one that signed the existing checkpoints. A
 * checkpoint from it would never verify with the published key.
 */
export class CheckpointKeyMismatchError extends Error {
  constructor(expected: string, actual: string) {
    super(
      `the checkpoint key ${actual} is not the key ${expected} that signed the existing checkpoints; restore the original key file or KMS-wrapped key`,
    );
    this.name = 'CheckpointKeyMismatchError';
  }
}

/**
 * Reject a signing key that signed none of the existing checkpoints: a
 * checkpoint from it would never verify with the published key. Rows that
 * no key of ours signed are forgeries, which verification reports; they do
 * not make the key wrong. NOTE: there is no key rotation yet.
 */
export async function assertCheckpointKey(db: Kysely<Database>, key: SigningKey): Promise<void> {
  const stored = await listCheckpoints(db);
  if (stored.length === 0) return;

  const publicKey = readEd25519PublicKey(key.publicKeyPem);
  if (stored.some((signed) => checkSignature(signed, publicKey) === 'valid')) return;
  throw new CheckpointKeyMismatchError(stored[0]?.checkpoint.keyId ?? 'unknown', key.keyId);
}

/**
 * Find the newest checkpoint that this key signed and that the chain reaches.
 * The application role can insert checkpoint rows, so a row is trusted as
 * the base for the next one only once its signature verifies.
 */
export async function latestGenuineCheckpoint(
  db: Kysely<Database>,
  key: SigningKey,
  headSize: number,
): Promise<StoredCheckpoint | null> {
  const publicKey = readEd25519PublicKey(key.publicKeyPem);
  const stored = await listRecentCheckpoints(db, 1000);
  for (const signed of stored) {
    if (signed.checkpoint.treeSize > headSize) continue;
    if (checkSignature(signed, publicKey) === 'valid') return signed;
  }
  return null;
}

async function resumeAccumulator(
  db: Kysely<Database>,
  latest: StoredCheckpoint | null,
): Promise<{ accumulator: MerkleAccumulator; lastHash: Buffer }> {
  if (latest === null) return { accumulator: new MerkleAccumulator(), lastHash: GENESIS_HASH };

  const { treeSize, rootHash } = latest.checkpoint;
  const accumulator = MerkleAccumulator.fromFrontier(treeSize, latest.frontier);
  // The frontier is not signed, so it must reproduce the signed root.
  if (accumulator.root().toString('hex') !== rootHash) {
    throw new AuditChainDamagedError(
      treeSize,
      'the stored frontier does not match the signed root',
    );
  }
  const [last] = await readEventRange(db, treeSize - 1, treeSize, 1);
  if (last === undefined)
    throw new AuditChainDamagedError(treeSize, 'the last signed event is missing');
  return { accumulator, lastHash: last.hash };
}

/**
 * Extend the Merkle tree with the events after the latest checkpoint,
 * checking each one's hash and link first: a checkpoint must never vouch
 * for events that were already altered.
 */
async function extendTree(
  db: Kysely<Database>,
  accumulator: MerkleAccumulator,
  lastHash: Buffer,
  treeSize: number,
): Promise<void> {
  let prevHash = lastHash;
  while (accumulator.size < treeSize) {
    const batch = await readEventRange(db, accumulator.size, treeSize, BATCH_SIZE);
    if (batch.length === 0)
      throw new AuditChainDamagedError(accumulator.size + 1, 'the event is missing');

    for (const event of batch) {
      const problem = checkLink(accumulator.size + 1, prevHash, event);
      if (problem !== null)
        throw new AuditChainDamagedError(accumulator.size + 1, `failed the ${problem} check`);
      accumulator.append(event.hash);
      prevHash = event.hash;
    }
  }
}

/**
 * Sign a checkpoint over every event committed so far, if there are at
 * least `minNewEvents` since the latest one. Returns null when there is
 * nothing to sign or another instance holds the checkpoint lock.
 */
export async function createCheckpoint(
  db: Kysely<Database>,
  key: SigningKey,
  options: { minNewEvents: number } = { minNewEvents: 1 },
): Promise<StoredCheckpoint | null> {
  await sealPendingEvents(db);
  return db.transaction().execute(async (tx) => {
    const lock = await sql<{
      locked: boolean;
    }>`SELECT pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) AS locked`.execute(tx);
    if (lock.rows[0]?.locked !== true) return null;

    await assertCheckpointKey(tx, key);
    const head = await readChainHead(tx);
    const latest = await latestGenuineCheckpoint(tx, key, head.size);
    const signedSize = latest?.checkpoint.treeSize ?? 0;
    if (head.size - signedSize < Math.max(1, options.minNewEvents)) return null;

    const { accumulator, lastHash } = await resumeAccumulator(tx, latest);
    await extendTree(tx, accumulator, lastHash, head.size);

    const body: CheckpointBody = {
      origin: CHECKPOINT_ORIGIN,
      treeSize: head.size,
      rootHash: accumulator.root().toString('hex'),
      signedAt: new Date().toISOString(),
      keyId: key.keyId,
    };
    const signature = await key.sign(checkpointMessage(body));
    const stored: StoredCheckpoint = {
      checkpoint: body,
      signature: signature.toString('base64'),
      frontier: accumulator.frontier(),
    };
    await insertCheckpoint(tx, stored);
    return stored;
  });
}
