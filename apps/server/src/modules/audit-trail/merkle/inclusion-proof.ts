import { hashChildren, hashesEqual, isHash, isHashList } from './node-hash.ts';
import { treeHash } from './tree-hash.ts';
import { halve, isOdd, isTreeSize, largestPowerOfTwoBelow } from './tree-size.ts';

/**
 * Builds the inclusion proof PATH(index, D[0:treeSize]) of RFC 9162
 * section 2.1.3.1: the sibling hashes on the way from the leaf to the root,
 * the leaf's own sibling first. A tree of one leaf has an empty proof.
 *
 * The walk goes down from the root and hashes each sibling subtree once, so
 * the work is O(treeSize) hashes. Throws RangeError unless
 * `0 <= index < treeSize <= leaves.length`, or when a leaf hash that the
 * walk reads is not HASH_SIZE bytes.
 */
export function inclusionProof(
  leaves: readonly Uint8Array[],
  index: number,
  treeSize: number,
): Buffer[] {
  if (!isTreeSize(treeSize) || treeSize < 1 || treeSize > leaves.length) {
    throw new RangeError(
      `Invalid tree size ${treeSize}: expected an integer from 1 to ${leaves.length} (the number of leaves).`,
    );
  }
  if (!isTreeSize(index) || index >= treeSize) {
    throw new RangeError(
      `Invalid leaf index ${index}: expected an integer from 0 to ${treeSize - 1} (tree size ${treeSize} minus 1).`,
    );
  }

  const siblings: Buffer[] = [];
  let start = 0;
  let end = treeSize;

  while (end - start > 1) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (index < split) {
      siblings.push(treeHash(leaves, split, end));
      end = split;
    } else {
      siblings.push(treeHash(leaves, start, split));
      start = split;
    }
  }

  return siblings.reverse();
}

/**
 * Verifies an inclusion proof with the algorithm of RFC 9162 section
 * 2.1.3.2, which recomputes only the path from the leaf to the root.
 *
 * Returns false, and never throws, for any invalid input: a size or index
 * that is not a safe integer, `index >= treeSize`, a hash or proof element
 * that is not HASH_SIZE bytes, or a proof of the wrong length.
 *
 * The proof does not fix treeSize by itself. Leaf 0 has the same path in
 * trees of 3 and 4 leaves, for example, so take treeSize and rootHash from
 * the same signed checkpoint.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): boolean {
  if (!isTreeSize(treeSize) || !isTreeSize(index) || index >= treeSize) return false;
  if (!isHash(leafHash) || !isHash(rootHash) || !isHashList(proof)) return false;

  const computedRoot = rootFromInclusionProof(leafHash, index, treeSize, proof);
  return computedRoot !== undefined && hashesEqual(computedRoot, rootHash);
}

/**
 * Runs steps 2 to 5 of RFC 9162 section 2.1.3.2. `lastNode` starts as the
 * index of the last leaf and reaches 0 exactly when the path reaches the
 * root, so a proof that is too long or too short returns undefined.
 */
function rootFromInclusionProof(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
): Uint8Array | undefined {
  let node = index;
  let lastNode = treeSize - 1;
  let root = leafHash;

  for (const sibling of proof) {
    if (lastNode === 0) return undefined;

    if (isOdd(node) || node === lastNode) {
      root = hashChildren(sibling, root);
      // An even node here is the last of its level and has no sibling. It rises
      // unchanged until it is a right child, where `sibling` is its left
      // sibling, so only the indexes move.
      while (!isOdd(node) && node !== 0) {
        node = halve(node);
        lastNode = halve(lastNode);
      }
    } else {
      root = hashChildren(root, sibling);
    }

    node = halve(node);
    lastNode = halve(lastNode);
  }

  return lastNode === 0 ? root : undefined;
}
