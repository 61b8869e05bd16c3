import { EMPTY_TREE_HASH, hashChildren } from './node-hash.ts';
import { halve, isOdd } from './tree-size.ts';

/*
 * A frontier lists the roots of the perfect subtrees that cover the first
 * `size` leaves, largest first. Subtree i has 2^b leaves for the i-th set bit b
 * of `size`, counted from the most significant bit, so the frontier has one
 * entry per 1 bit of `size`.
 */

/**
 * Adds one leaf hash to a frontier of `size` leaves, in place.
 *
 * Each trailing 1 bit of `size` is a perfect subtree of the same height as
 * the one being built, so the new leaf merges with that many frontier
 * entries. This is the stack merge of RFC 9162 section 2.1.2.
 */
export function appendToFrontier(frontier: Uint8Array[], size: number, leafHash: Uint8Array) {
  let node = leafHash;

  for (let rest = size; isOdd(rest); rest = halve(rest)) {
    const left = frontier.pop();
    if (left === undefined) {
      throw new Error(`Internal error: frontier for size ${size} has too few entries.`);
    }
    node = hashChildren(left, node);
  }

  frontier.push(node);
}

/**
 * Computes the root hash of the tree that a frontier covers.
 *
 * RFC 9162 splits a tree at the largest power of two below its size, so the
 * left part is always the next frontier entry and the root is the right fold
 * node(s1, node(s2, ... sk)). Returns a new Buffer, never an entry itself.
 */
export function foldFrontier(frontier: readonly Uint8Array[]): Buffer {
  const last = frontier.at(-1);
  if (last === undefined) return Buffer.from(EMPTY_TREE_HASH);

  let root: Buffer = Buffer.from(last);
  for (let i = frontier.length - 2; i >= 0; i -= 1) {
    root = hashChildren(frontier[i] as Uint8Array, root);
  }
  return root;
}
