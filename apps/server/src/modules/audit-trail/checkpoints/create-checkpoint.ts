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
  latestCheckpoint,
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
 * Reject a signing key other than the one that signed the existing
 * checkpoints. NOTE: there is no key rotation yet, so every checkpoint must
 * come from the key that signed the first one.
 */
export async function assertCheckpointKey(db: Kysely<Database>, key: SigningKey): Promise<void> {
  const rows = await db.selectFrom('audit_checkpoints').select('key_id').distinct().execute();
  const other = rows.find((row) => row.key_id !== key.keyId);
  if (other !== undefined) throw new CheckpointKeyMismatchError(other.key_id, key.keyId);
}

function assertGenuine(latest: StoredCheckpoint, key: SigningKey, headSize: number): void {
  const { treeSize } = latest.checkpoint;
  if (checkSignature(latest, readEd25519PublicKey(key.publicKeyPem)) !== 'valid') {
    throw new AuditChainDamagedError(treeSize, 'the latest checkpoint signature does not verify');
  }
  if (treeSize > headSize) {
    throw new AuditChainDamagedError(
      headSize + 1,
      `the latest checkpoint covers ${treeSize} events`,
    );
  }
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
    const latest = await latestCheckpoint(tx);
    const head = await readChainHead(tx);
    // The application role can insert checkpoint rows, so the latest one is
    // trusted only once its signature verifies and the chain reaches it.
    if (latest !== null) assertGenuine(latest, key, head.size);
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
