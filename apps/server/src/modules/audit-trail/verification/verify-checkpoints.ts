import type { KeyObject } from 'node:crypto';
import {
  CHECKPOINT_ORIGIN,
  checkSignature,
  type SignedCheckpoint,
} from '../checkpoints/checkpoint-body.ts';
import { type Damage, damage } from './damage.ts';

/** The event hashes a verification has read: how many, and the tree roots at given sizes. */
export interface TreeRoots {
  readonly size: number;
  rootsAt(sizes: readonly number[]): Map<number, Buffer>;
}

/**
 * Check every checkpoint, smallest tree first: its signature against the
 * verifier's public key, that the chain reaches its tree size, and that the
 * root it signed is the root of the event hashes it covers.
 */
export function verifyCheckpoints(
  checkpoints: readonly SignedCheckpoint[],
  leaves: TreeRoots,
  publicKey: KeyObject,
): Damage | null {
  const ordered = [...checkpoints].sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize);
  const roots = leaves.rootsAt(ordered.map((signed) => signed.checkpoint.treeSize));
  let coveredSize = 0;

  for (const signed of ordered) {
    const { treeSize, rootHash, keyId, origin } = signed.checkpoint;

    if (origin !== CHECKPOINT_ORIGIN) {
      return damage(
        'bad_checkpoint_signature',
        treeSize,
        `checkpoint at tree size ${treeSize} names origin ${origin}, expected ${CHECKPOINT_ORIGIN}`,
      );
    }
    const signature = checkSignature(signed, publicKey);
    if (signature === 'wrong_key') {
      return damage(
        'bad_checkpoint_signature',
        treeSize,
        `checkpoint at tree size ${treeSize} names key ${keyId}, which is not the given public key`,
      );
    }
    if (signature === 'invalid') {
      return damage(
        'bad_checkpoint_signature',
        treeSize,
        `checkpoint at tree size ${treeSize} has a signature that does not verify with the given public key`,
      );
    }
    if (treeSize > leaves.size) {
      return damage(
        'truncated',
        leaves.size + 1,
        `the chain ends at ${leaves.size} events, but a signed checkpoint covers ${treeSize}`,
      );
    }
    if (roots.get(treeSize)?.toString('hex') !== rootHash) {
      const first = treeSize > coveredSize ? coveredSize + 1 : 1;
      return damage(
        'checkpoint_mismatch',
        first,
        `events ${first} to ${treeSize} do not produce the root signed at tree size ${treeSize}`,
      );
    }
    coveredSize = treeSize;
  }
  return null;
}
