import { appendToFrontier, foldFrontier } from './compact-range.ts';
import { HASH_SIZE, isHash } from './node-hash.ts';

/**
 * Computes the Merkle Tree Hash MTH(D[start:end]) of RFC 9162 section 2.1.1.
 *
 * The leaves are leaf hashes already, so they are combined as they are and
 * never hashed again. The tree over no leaves has the root EMPTY_TREE_HASH.
 * The work is O(n) hashes with O(log n) memory, and there is no recursion.
 *
 * Throws RangeError when the range does not fit `0 <= start <= end <=
 * leaves.length`, or when a leaf in the range is not HASH_SIZE bytes.
 */
export function treeHash(
  leaves: readonly Uint8Array[],
  start = 0,
  end: number = leaves.length,
): Buffer {
  if (!Number.isSafeInteger(start) || start < 0 || start > leaves.length) {
    throw new RangeError(
      `Invalid start ${start}: expected an integer from 0 to ${leaves.length} (the number of leaves).`,
    );
  }
  if (!Number.isSafeInteger(end) || end < start || end > leaves.length) {
    throw new RangeError(
      `Invalid end ${end}: expected an integer from start ${start} to ${leaves.length} (the number of leaves).`,
    );
  }

  const frontier: Uint8Array[] = [];
  for (let index = start; index < end; index += 1) {
    const leaf = leaves[index];
    if (!isHash(leaf)) {
      throw new RangeError(`Invalid leaf hash at index ${index}: expected ${HASH_SIZE} bytes.`);
    }
    appendToFrontier(frontier, index - start, leaf);
  }

  return foldFrontier(frontier);
}
