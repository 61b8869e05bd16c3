import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SignedCheckpoint } from './checkpoints/checkpoint-body.ts';
import { findCheckpoint, latestCheckpoint } from './checkpoints/checkpoints.repository.ts';
import { consistencyProof, inclusionProof } from './merkle/index.ts';
import { LeafStore } from './verification/leaf-store.ts';

const BATCH_SIZE = 10_000;

export interface InclusionProofResult {
  seq: number;
  leafIndex: number;
  leafHash: string;
  treeSize: number;
  proof: string[];
  checkpoint: SignedCheckpoint;
}

export interface ConsistencyProofResult {
  first: SignedCheckpoint;
  second: SignedCheckpoint;
  proof: string[];
}

/**
 * Event hashes 1..treeSize, read in seq order. A gap means the chain is
 * damaged, and a proof built over it would be wrong, so it throws.
 * NOTE: a proof reads every leaf up to the tree size; storing interior
 * nodes would make it logarithmic when trails grow past a few million.
 */
async function readLeaves(db: Db, treeSize: number): Promise<LeafStore> {
  const leaves = new LeafStore();
  while (leaves.size < treeSize) {
    const rows = await db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('seq', '>', String(leaves.size))
      .where('seq', '<=', String(treeSize))
      .orderBy('seq')
      .limit(BATCH_SIZE)
      .execute();
    for (const row of rows) {
      if (Number(row.seq) !== leaves.size + 1) {
        throw new AppError('INTERNAL_ERROR', {
          detail: 'The audit trail is damaged; run peytonix audit verify.',
          internal: `expected event ${leaves.size + 1}, found ${row.seq}`,
        });
      }
      leaves.push(row.hash);
    }
    if (rows.length === 0) break;
  }
  if (leaves.size < treeSize) {
    throw new AppError('AUDIT_TRAIL_UNAVAILABLE', {
      detail: `A checkpoint covers ${treeSize} events but the trail holds ${leaves.size}, so it fails an integrity check. Run peytonix audit verify.`,
    });
  }
  return leaves;
}

function notCheckpointed(subject: string): AppError {
  return new AppError('CONFLICT', {
    detail: `${subject} is not covered by a signed checkpoint yet. Retry after the next checkpoint, or pick a tree size from GET /api/v1/audit/checkpoints or peytonix audit checkpoints.`,
  });
}

async function checkpointAt(
  db: Db,
  treeSize: number | undefined,
  subject: string,
): Promise<SignedCheckpoint> {
  const checkpoint =
    treeSize === undefined ? await latestCheckpoint(db) : await findCheckpoint(db, treeSize);
  if (checkpoint === null) {
    throw treeSize === undefined
      ? notCheckpointed(subject)
      : new AppError('RESOURCE_NOT_FOUND', {
          detail: `No checkpoint has tree size ${treeSize}. Pick one from GET /api/v1/audit/checkpoints or peytonix audit checkpoints.`,
        });
  }
  return { checkpoint: checkpoint.checkpoint, signature: checkpoint.signature };
}

/** Prove that event `seq` is in the tree a signed checkpoint commits to. */
export async function proveInclusion(
  db: Db,
  seq: number,
  treeSize?: number,
): Promise<InclusionProofResult> {
  const signed = await checkpointAt(db, treeSize, `Event ${seq}`);
  const size = signed.checkpoint.treeSize;
  if (seq > size) throw notCheckpointed(`Event ${seq}`);

  const leaves = await readLeaves(db, size);
  const proof = inclusionProof(leaves.leaves(), seq - 1, size);
  return {
    seq,
    leafIndex: seq - 1,
    leafHash: leaves.at(seq - 1).toString('hex'),
    treeSize: size,
    proof: proof.map((node) => node.toString('hex')),
    checkpoint: signed,
  };
}

/** Prove that the tree at `secondSize` extends the tree at `firstSize`. */
export async function proveConsistency(
  db: Db,
  firstSize: number,
  secondSize: number,
): Promise<ConsistencyProofResult> {
  if (firstSize > secondSize) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `The first tree size (${firstSize}) must not exceed the second (${secondSize}).`,
    });
  }
  const first = await checkpointAt(db, firstSize, `Tree size ${firstSize}`);
  const second = await checkpointAt(db, secondSize, `Tree size ${secondSize}`);

  const leaves = await readLeaves(db, secondSize);
  const proof = consistencyProof(leaves.leaves(), firstSize, secondSize);
  return { first, second, proof: proof.map((node) => node.toString('hex')) };
}
