import { EMPTY_TREE_HASH, hashChildren, hashesEqual, isHash, isHashList } from './node-hash.ts';
import { treeHash } from './tree-hash.ts';
import { halve, isOdd, isPowerOfTwo, isTreeSize, largestPowerOfTwoBelow } from './tree-size.ts';

/**
 * Builds the consistency proof PROOF(firstSize, D[0:secondSize]) of RFC 9162
 * section 2.1.4.1, which shows that the first firstSize leaves are the same
 * in both trees. Equal sizes give an empty proof.
 *
 * The work is O(secondSize) hashes. Throws RangeError unless
 * `0 < firstSize <= secondSize <= leaves.length`, or when a leaf hash that
 * the walk reads is not HASH_SIZE bytes. No proof is built for firstSize 0,
 * but verifyConsistency() accepts an empty proof for it.
 */
export function consistencyProof(
  leaves: readonly Uint8Array[],
  firstSize: number,
  secondSize: number,
): Buffer[] {
  if (!isTreeSize(secondSize) || secondSize < 1 || secondSize > leaves.length) {
    throw new RangeError(
      `Invalid second tree size ${secondSize}: expected an integer from 1 to ${leaves.length} (the number of leaves).`,
    );
  }
  if (!isTreeSize(firstSize) || firstSize < 1 || firstSize > secondSize) {
    throw new RangeError(
      `Invalid first tree size ${firstSize}: expected an integer from 1 to ${secondSize} (the second tree size).`,
    );
  }

  // SUBPROOF(m, D[start:end], b) appends its subtree hash after the recursive
  // part, so the hashes are collected top-down and reversed at the end.
  const siblings: Buffer[] = [];
  let start = 0;
  let end = secondSize;
  let firstRootIsKnown = true;

  while (firstSize < end) {
    const split = start + largestPowerOfTwoBelow(end - start);
    if (firstSize <= split) {
      siblings.push(treeHash(leaves, split, end));
      end = split;
    } else {
      siblings.push(treeHash(leaves, start, split));
      start = split;
      firstRootIsKnown = false;
    }
  }

  // Once D[start:end] ends at firstSize it is a subtree of both trees. The
  // verifier has its hash, as firstRoot, only when it is the whole first
  // tree, so in every other case the proof starts with it.
  const proof = firstRootIsKnown ? [] : [treeHash(leaves, start, end)];
  return proof.concat(siblings.reverse());
}

/**
 * Verifies a consistency proof between a tree of firstSize leaves with root
 * firstRoot and a tree of secondSize leaves with root secondRoot.
 *
 * For `0 < firstSize < secondSize` this runs the algorithm of RFC 9162
 * section 2.1.4.2, which defines only that range. The other cases are:
 * - Equal sizes need an empty proof and equal roots.
 * - firstSize 0 needs an empty proof and firstRoot equal to
 *   EMPTY_TREE_HASH. The empty tree is a prefix of every tree, so there is
 *   nothing to prove, and secondRoot is checked only when secondSize is 0.
 *
 * Returns false, and never throws, for any invalid input: a size that is not
 * a safe integer, `firstSize > secondSize`, a root or proof element that is
 * not HASH_SIZE bytes, or a proof of the wrong length.
 *
 * The proof does not fix secondSize by itself. The same proof and roots can
 * also verify with another secondSize, so take each size and its root from
 * the same signed checkpoint.
 */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isTreeSize(firstSize) || !isTreeSize(secondSize) || firstSize > secondSize) return false;
  if (!isHash(firstRoot) || !isHash(secondRoot) || !isHashList(proof)) return false;

  if (firstSize === 0) {
    const secondRootMatches = secondSize > 0 || hashesEqual(secondRoot, EMPTY_TREE_HASH);
    return proof.length === 0 && hashesEqual(firstRoot, EMPTY_TREE_HASH) && secondRootMatches;
  }
  if (firstSize === secondSize) {
    return proof.length === 0 && hashesEqual(firstRoot, secondRoot);
  }

  return verifyConsistencyPath(firstSize, secondSize, firstRoot, secondRoot, proof);
}

/**
 * Runs the steps of RFC 9162 section 2.1.4.2 for `0 < firstSize <
 * secondSize`. The path rebuilds both roots at once: a left sibling belongs
 * to both trees, and a right sibling only to the second.
 */
function verifyConsistencyPath(
  firstSize: number,
  secondSize: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (proof.length === 0) return false;

  // A first tree whose size is a power of two is a perfect subtree of the
  // second, so the proof leaves out its root and the verifier supplies it.
  const path = isPowerOfTwo(firstSize) ? [firstRoot, ...proof] : proof;
  const [seed, ...rest] = path;
  if (seed === undefined) return false;

  let node = firstSize - 1;
  let lastNode = secondSize - 1;
  while (isOdd(node)) {
    node = halve(node);
    lastNode = halve(lastNode);
  }

  let computedFirstRoot = seed;
  let computedSecondRoot = seed;

  for (const sibling of rest) {
    if (lastNode === 0) return false;

    if (isOdd(node) || node === lastNode) {
      computedFirstRoot = hashChildren(sibling, computedFirstRoot);
      computedSecondRoot = hashChildren(sibling, computedSecondRoot);
      while (!isOdd(node) && node !== 0) {
        node = halve(node);
        lastNode = halve(lastNode);
      }
    } else {
      computedSecondRoot = hashChildren(computedSecondRoot, sibling);
    }

    node = halve(node);
    lastNode = halve(lastNode);
  }

  return (
    lastNode === 0 &&
    hashesEqual(computedFirstRoot, firstRoot) &&
    hashesEqual(computedSecondRoot, secondRoot)
  );
}
