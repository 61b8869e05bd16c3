import { appendToFrontier, foldFrontier } from './compact-range.ts';
import { HASH_SIZE, isHash } from './node-hash.ts';
import { countSetBits, isTreeSize } from './tree-size.ts';

/**
 * Incremental RFC 9162 Merkle tree over an append-only list of leaf hashes.
 *
 * It stores only the frontier: the roots of the perfect subtrees that cover
 * the leaves so far, largest first, one per 1 bit of the size. So append()
 * takes amortized O(1) hashes, root() takes O(log n) hashes and memory is
 * O(log n), and no leaf is read again. A caller persists `size` and
 * frontier() and resumes later with fromFrontier().
 */
export class MerkleAccumulator {
  #size = 0;
  #frontier: Uint8Array[] = [];

  /**
   * Restores an accumulator from the values that `size` and frontier()
   * returned earlier. The frontier entries are copied.
   *
   * Throws RangeError unless the size is a safe integer of at least 0, the
   * frontier has one entry per 1 bit of the size and each entry is HASH_SIZE
   * bytes. Throws TypeError when the frontier is not an array. Whether the
   * entries are the true subtree roots cannot be checked here.
   */
  static fromFrontier(size: number, frontier: readonly Uint8Array[]): MerkleAccumulator {
    if (!isTreeSize(size)) {
      throw new RangeError(`Invalid size ${size}: expected a safe integer of at least 0.`);
    }

    if (!Array.isArray(frontier)) {
      throw new TypeError(`Invalid frontier for size ${size}: expected an array.`);
    }

    const expectedLength = countSetBits(size);
    if (frontier.length !== expectedLength) {
      throw new RangeError(
        `Invalid frontier for size ${size}: expected ${expectedLength} entries (one per 1 bit of the size), got ${frontier.length}.`,
      );
    }

    const invalidIndex = frontier.findIndex((entry) => !isHash(entry));
    if (invalidIndex !== -1) {
      throw new RangeError(
        `Invalid frontier entry at index ${invalidIndex}: expected ${HASH_SIZE} bytes.`,
      );
    }

    const accumulator = new MerkleAccumulator();
    accumulator.#size = size;
    accumulator.#frontier = frontier.map((entry) => Buffer.from(entry));
    return accumulator;
  }

  /** Number of leaves appended so far, including those before fromFrontier(). */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends one leaf hash, which is copied. Throws RangeError unless it is
   * HASH_SIZE bytes, or when the size would pass Number.MAX_SAFE_INTEGER.
   */
  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) {
      throw new RangeError(`Invalid leaf hash: expected ${HASH_SIZE} bytes.`);
    }
    if (this.#size === Number.MAX_SAFE_INTEGER) {
      throw new RangeError(
        `Cannot append: the tree has ${this.#size} leaves, the maximum that a safe integer can count.`,
      );
    }

    appendToFrontier(this.#frontier, this.#size, Buffer.from(leafHash));
    this.#size += 1;
  }

  /**
   * Computes the RFC 9162 root hash over all leaves appended so far, which
   * is EMPTY_TREE_HASH (as a copy) for none. Returns a new Buffer each call.
   */
  root(): Buffer {
    return foldFrontier(this.#frontier);
  }

  /** Returns copies of the perfect-subtree roots, largest first. */
  frontier(): Buffer[] {
    return this.#frontier.map((entry) => Buffer.from(entry));
  }
}
