import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_TREE_HASH,
  HASH_SIZE,
  hashChildren,
  inclusionProof,
  MerkleAccumulator,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/modules/audit-trail/merkle/index.ts';

const MAX_TREE_SIZE = 300;

function sha256(...parts: Uint8Array[]): Buffer {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
}

/** RFC 9162 leaf hash SHA-256(0x00 || data). */
function leafHashOf(data: string | Uint8Array): Buffer {
  return sha256(Buffer.from([0x00]), Buffer.from(data));
}

/** RFC 9162 interior node hash, computed here without the module. */
function nodeHashOf(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Buffer.from([0x01]), left, right);
}

/** Leaf hashes of the data `seed || i`, so each seed gives a different tree. */
function makeLeaves(count: number, seed: number): Buffer[] {
  return Array.from({ length: count }, (_, index) => {
    const data = Buffer.alloc(8);
    data.writeUInt32BE(seed, 0);
    data.writeUInt32BE(index, 4);
    return leafHashOf(data);
  });
}

/** MTH written as the recursion of RFC 9162 section 2.1.1, as an independent reference. */
function referenceTreeHash(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] as Buffer;

  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return nodeHashOf(
    referenceTreeHash(leaves.slice(0, split)),
    referenceTreeHash(leaves.slice(split)),
  );
}

function flipBit(value: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(value);
  const byteIndex = Math.floor(bit / 8) % copy.length;
  copy[byteIndex] = (copy[byteIndex] as number) ^ (1 << (bit % 8));
  return copy;
}

const seedArbitrary = fc.nat({ max: 0xffff_ffff });

/** Builds the seven-leaf tree of the RFC 9162 section 2.1.5 example, named as there. */
function rfcExampleTree() {
  const [d0, d1, d2, d3, d4, d5, d6] = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'].map((data) =>
    leafHashOf(data),
  ) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const [a, b, c, d, e, f] = [d0, d1, d2, d3, d4, d5];
  const g = nodeHashOf(a, b);
  const h = nodeHashOf(c, d);
  const i = nodeHashOf(e, f);
  const j = d6;
  const k = nodeHashOf(g, h);
  const l = nodeHashOf(i, j);
  const root = nodeHashOf(k, l);

  return { leaves: [d0, d1, d2, d3, d4, d5, d6], a, b, c, d, e, f, g, h, i, j, k, l, root };
}

describe('merkle tree hash', () => {
  it('empty tree is SHA-256 of nothing', () => {
    const expected = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

    expect(EMPTY_TREE_HASH.toString('hex')).toBe(expected);
    expect(treeHash([]).toString('hex')).toBe(expected);
    expect(new MerkleAccumulator().root().toString('hex')).toBe(expected);
  });

  it('one-leaf tree equals the leaf', () => {
    const leaf = leafHashOf('only event');

    expect(treeHash([leaf])).toEqual(leaf);
  });

  it('two-leaf tree hashes 0x01 || left || right', () => {
    const left = leafHashOf('first');
    const right = leafHashOf('second');
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0x01]), left, right]))
      .digest();

    expect(hashChildren(left, right)).toEqual(expected);
    expect(treeHash([left, right])).toEqual(expected);
  });

  it('three-leaf tree splits after two', () => {
    const leaves = [leafHashOf('first'), leafHashOf('second'), leafHashOf('third')];
    const left = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0x01]), leaves[0] as Buffer, leaves[1] as Buffer]))
      .digest();
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from([0x01]), left, leaves[2] as Buffer]))
      .digest();

    expect(treeHash(leaves)).toEqual(expected);
  });

  it('hashChildren results are independent buffers', () => {
    const first = hashChildren(leafHashOf('a'), leafHashOf('b'));
    const firstCopy = Buffer.from(first);
    hashChildren(leafHashOf('c'), leafHashOf('d'));

    expect(first).toEqual(firstCopy);
  });

  it('treeHash matches RFC recursion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TREE_SIZE }),
        fc.nat(),
        fc.nat(),
        seedArbitrary,
        (size, rawStart, rawEnd, seed) => {
          const leaves = makeLeaves(size, seed);
          const start = rawStart % (size + 1);
          const end = start + (rawEnd % (size - start + 1));

          expect(treeHash(leaves)).toEqual(referenceTreeHash(leaves));
          expect(treeHash(leaves, start, end)).toEqual(referenceTreeHash(leaves.slice(start, end)));
        },
      ),
    );
  });

  it('hashChildren rejects wrong hash sizes', () => {
    const valid = leafHashOf('valid');

    expect(() => hashChildren(Buffer.alloc(31), valid)).toThrow(RangeError);
    expect(() => hashChildren(valid, Buffer.alloc(33))).toThrow(RangeError);
    expect(() => hashChildren(Buffer.alloc(0), valid)).toThrow(/left child/);
  });

  it('treeHash rejects invalid ranges', () => {
    const leaves = makeLeaves(4, 1);

    expect(() => treeHash(leaves, -1)).toThrow(/Invalid start -1/);
    expect(() => treeHash(leaves, 5)).toThrow(/Invalid start 5/);
    expect(() => treeHash(leaves, 0.5)).toThrow(/Invalid start 0.5/);
    expect(() => treeHash(leaves, 3, 2)).toThrow(RangeError);
    expect(() => treeHash(leaves, 0, 5)).toThrow(/Invalid end 5/);
    expect(() => treeHash(leaves, 0, Number.NaN)).toThrow(RangeError);
    expect(() => treeHash([...leaves, Buffer.alloc(31)])).toThrow(/index 4/);
  });
});

describe('MerkleAccumulator', () => {
  it('root matches treeHash at every size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TREE_SIZE }), seedArbitrary, (size, seed) => {
        const leaves = makeLeaves(size, seed);
        const accumulator = new MerkleAccumulator();

        for (const [index, leaf] of leaves.entries()) {
          accumulator.append(leaf);

          expect(accumulator.size).toBe(index + 1);
          expect(accumulator.root()).toEqual(treeHash(leaves, 0, index + 1));
        }
        expect(accumulator.root()).toEqual(referenceTreeHash(leaves));
      }),
    );
  });

  it('fromFrontier resumes with same roots', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_TREE_SIZE }),
        fc.nat(),
        seedArbitrary,
        (size, rawCut, seed) => {
          const leaves = makeLeaves(size, seed);
          const cut = rawCut % (size + 1);
          const original = new MerkleAccumulator();
          for (const leaf of leaves.slice(0, cut)) original.append(leaf);

          const frontier = original.frontier();
          const ones = cut.toString(2).replaceAll('0', '').length;
          expect(frontier).toHaveLength(ones);

          const resumed = MerkleAccumulator.fromFrontier(original.size, frontier);
          expect(resumed.size).toBe(cut);
          expect(resumed.root()).toEqual(original.root());

          for (const [offset, leaf] of leaves.slice(cut).entries()) {
            resumed.append(leaf);
            expect(resumed.root()).toEqual(treeHash(leaves, 0, cut + offset + 1));
          }
        },
      ),
    );
  });

  it('keeps copies, not caller buffers', () => {
    const leaves = makeLeaves(3, 7);
    const accumulator = new MerkleAccumulator();
    const firstLeaf = Buffer.from(leaves[0] as Buffer);
    accumulator.append(firstLeaf);
    firstLeaf.fill(0);

    expect(accumulator.root()).toEqual(leaves[0]);

    accumulator.root().fill(0);
    accumulator.frontier()[0]?.fill(0);
    expect(accumulator.root()).toEqual(leaves[0]);

    const frontier = accumulator.frontier();
    const restored = MerkleAccumulator.fromFrontier(1, frontier);
    frontier[0]?.fill(0);
    expect(restored.root()).toEqual(leaves[0]);

    new MerkleAccumulator().root().fill(0);
    expect(EMPTY_TREE_HASH.toString('hex')).toBe(sha256().toString('hex'));
  });

  it('append rejects wrong leaf size', () => {
    const accumulator = new MerkleAccumulator();

    expect(() => accumulator.append(Buffer.alloc(HASH_SIZE - 1))).toThrow(RangeError);
    expect(() => accumulator.append(Buffer.alloc(HASH_SIZE + 1))).toThrow(RangeError);
    expect(accumulator.size).toBe(0);
  });

  it('fromFrontier rejects invalid state', () => {
    const entry = leafHashOf('entry');

    expect(() => MerkleAccumulator.fromFrontier(-1, [])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(1.5, [entry])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(Number.NaN, [])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(2 ** 53, [entry])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(3, [entry])).toThrow(/expected 2 entries/);
    expect(() => MerkleAccumulator.fromFrontier(4, [entry, entry])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(0, [entry])).toThrow(RangeError);
    expect(() => MerkleAccumulator.fromFrontier(3, [entry, Buffer.alloc(31)])).toThrow(/index 1/);
    expect(() =>
      MerkleAccumulator.fromFrontier(1, 'not an array' as unknown as Uint8Array[]),
    ).toThrow(TypeError);
  });

  it('fromFrontier accepts the maximum size', () => {
    const size = Number.MAX_SAFE_INTEGER;
    const frontier = Array.from({ length: 53 }, (_, index) => leafHashOf(`subtree ${index}`));
    const accumulator = MerkleAccumulator.fromFrontier(size, frontier);

    expect(accumulator.size).toBe(size);
    expect(() => accumulator.append(leafHashOf('one too many'))).toThrow(RangeError);
  });
});

describe('inclusion proofs', () => {
  it('match RFC 9162 example', () => {
    const tree = rfcExampleTree();

    expect(treeHash(tree.leaves)).toEqual(tree.root);
    expect(inclusionProof(tree.leaves, 0, 7)).toEqual([tree.b, tree.h, tree.l]);
    expect(inclusionProof(tree.leaves, 3, 7)).toEqual([tree.c, tree.g, tree.l]);
    expect(inclusionProof(tree.leaves, 4, 7)).toEqual([tree.f, tree.j, tree.k]);
    expect(inclusionProof(tree.leaves, 6, 7)).toEqual([tree.i, tree.k]);
  });

  it('one-leaf tree has empty proof', () => {
    const leaf = leafHashOf('only event');

    expect(inclusionProof([leaf], 0, 1)).toEqual([]);
    expect(verifyInclusion(leaf, 0, 1, [], leaf)).toBe(true);
    expect(verifyInclusion(leaf, 0, 1, [leaf], leaf)).toBe(false);
    // Without the index check, index 1 would walk the same empty path.
    expect(verifyInclusion(leaf, 1, 1, [], leaf)).toBe(false);
  });

  it('valid proofs verify', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_TREE_SIZE }),
        fc.nat(),
        seedArbitrary,
        (treeSize, rawIndex, seed) => {
          const leaves = makeLeaves(treeSize, seed);
          const index = rawIndex % treeSize;
          const root = referenceTreeHash(leaves);
          const proof = inclusionProof(leaves, index, treeSize);

          expect(verifyInclusion(leaves[index] as Buffer, index, treeSize, proof, root)).toBe(true);
        },
      ),
    );
  });

  it('tampered proofs fail', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: MAX_TREE_SIZE }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        seedArbitrary,
        (treeSize, rawIndex, rawOther, rawBit, seed) => {
          // One extra leaf so that the root of treeSize + 1 leaves exists.
          const leaves = makeLeaves(treeSize + 1, seed);
          const index = rawIndex % treeSize;
          const leaf = leaves[index] as Buffer;
          const root = treeHash(leaves, 0, treeSize);
          const proof = inclusionProof(leaves, index, treeSize);
          const otherIndex = (index + 1 + (rawOther % (treeSize - 1))) % treeSize;
          const element = rawOther % proof.length;

          expect(verifyInclusion(flipBit(leaf, rawBit), index, treeSize, proof, root), 'leaf').toBe(
            false,
          );
          expect(verifyInclusion(leaf, otherIndex, treeSize, proof, root), 'index').toBe(false);
          expect(verifyInclusion(leaf, index, treeSize, proof, flipBit(root, rawBit)), 'root').toBe(
            false,
          );
          expect(verifyInclusion(leaf, index, treeSize, proof.slice(0, -1), root), 'last').toBe(
            false,
          );
          expect(verifyInclusion(leaf, index, treeSize, proof.slice(1), root), 'first').toBe(false);
          expect(
            verifyInclusion(leaf, index, treeSize, [...proof, leafHashOf('extra')], root),
            'extended',
          ).toBe(false);

          const flipped = proof.map((hash, position) =>
            position === element ? flipBit(hash, rawBit) : hash,
          );
          expect(verifyInclusion(leaf, index, treeSize, flipped, root), 'flipped').toBe(false);
        },
      ),
    );
  });

  it('proof fails for other tree sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_TREE_SIZE }),
        fc.nat(),
        fc.nat(),
        seedArbitrary,
        (treeSize, rawIndex, rawOtherSize, seed) => {
          const leaves = makeLeaves(MAX_TREE_SIZE + 1, seed);
          const index = rawIndex % treeSize;
          const proof = inclusionProof(leaves, index, treeSize);
          // Any size that still contains the leaf, except treeSize itself.
          const otherSize = index + 1 + (rawOtherSize % (MAX_TREE_SIZE - index));
          fc.pre(otherSize !== treeSize);
          const otherRoot = treeHash(leaves, 0, otherSize);

          expect(verifyInclusion(leaves[index] as Buffer, index, otherSize, proof, otherRoot)).toBe(
            false,
          );
        },
      ),
    );
  });

  it('root, not proof, binds tree size', () => {
    // Leaf 0 has the same path shape in trees of 3 and 4 leaves, so a 3-leaf
    // proof also verifies with size 4 against the 3-leaf root. Only a root
    // signed together with its size rules this out.
    const leaves = makeLeaves(4, 3);
    const proof = inclusionProof(leaves, 0, 3);
    const leaf = leaves[0] as Buffer;

    expect(verifyInclusion(leaf, 0, 4, proof, treeHash(leaves, 0, 3))).toBe(true);
    expect(verifyInclusion(leaf, 0, 4, proof, treeHash(leaves, 0, 4))).toBe(false);
  });

  it('verifyInclusion rejects malformed input', () => {
    const leaves = makeLeaves(5, 9);
    const leaf = leaves[2] as Buffer;
    const root = treeHash(leaves);
    const proof = inclusionProof(leaves, 2, 5);
    const shortElement = [proof[0]?.subarray(1) as Buffer, ...proof.slice(1)];
    const longElement = [Buffer.concat([proof[0] as Buffer, Buffer.alloc(1)]), ...proof.slice(1)];

    expect(verifyInclusion(leaf, 2, 5, proof, root)).toBe(true);
    expect(verifyInclusion(leaf, 5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, -1, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 2.5, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 2, Number.NaN, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 2 ** 53, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 0, [], EMPTY_TREE_HASH)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, shortElement, root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, longElement, root)).toBe(false);
    expect(verifyInclusion(leaf.subarray(1), 2, 5, proof, root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, proof, root.subarray(1))).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, 'proof' as unknown as Uint8Array[], root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, new Array<Uint8Array>(proof.length), root)).toBe(false);
    expect(verifyInclusion(leaf, 2, 5, [...proof, 'x'] as unknown as Uint8Array[], root)).toBe(
      false,
    );
  });

  it('inclusionProof rejects invalid arguments', () => {
    const leaves = makeLeaves(4, 5);

    expect(() => inclusionProof(leaves, 0, 0)).toThrow(/Invalid tree size 0/);
    expect(() => inclusionProof(leaves, 0, 5)).toThrow(/Invalid tree size 5/);
    expect(() => inclusionProof(leaves, 0, 2.5)).toThrow(RangeError);
    expect(() => inclusionProof(leaves, 3, 3)).toThrow(/Invalid leaf index 3/);
    expect(() => inclusionProof(leaves, -1, 3)).toThrow(/Invalid leaf index -1/);
    expect(() => inclusionProof(leaves, 0.5, 3)).toThrow(RangeError);
    expect(() => inclusionProof([], 0, 0)).toThrow(RangeError);
  });
});

describe('consistency proofs', () => {
  it('match RFC 9162 example', () => {
    const tree = rfcExampleTree();

    expect(consistencyProof(tree.leaves, 3, 7)).toEqual([tree.c, tree.d, tree.g, tree.l]);
    expect(consistencyProof(tree.leaves, 4, 7)).toEqual([tree.l]);
    expect(consistencyProof(tree.leaves, 6, 7)).toEqual([tree.i, tree.j, tree.k]);
    expect(consistencyProof(tree.leaves, 7, 7)).toEqual([]);
  });

  it('valid proofs verify', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_TREE_SIZE }),
        fc.nat(),
        seedArbitrary,
        (secondSize, rawFirst, seed) => {
          const leaves = makeLeaves(secondSize, seed);
          const firstSize = 1 + (rawFirst % secondSize);
          const firstRoot = referenceTreeHash(leaves.slice(0, firstSize));
          const secondRoot = referenceTreeHash(leaves);
          const proof = consistencyProof(leaves, firstSize, secondSize);

          expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(secondSize)) + 1);
          expect(verifyConsistency(firstSize, secondSize, firstRoot, secondRoot, proof)).toBe(true);
        },
      ),
    );
  });

  it('tampered proofs fail', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: MAX_TREE_SIZE }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        seedArbitrary,
        (secondSize, rawFirst, rawOther, rawBit, seed) => {
          const leaves = makeLeaves(MAX_TREE_SIZE + 1, seed);
          const firstSize = 1 + (rawFirst % (secondSize - 1));
          const firstRoot = treeHash(leaves, 0, firstSize);
          const secondRoot = treeHash(leaves, 0, secondSize);
          const proof = consistencyProof(leaves, firstSize, secondSize);
          const element = rawOther % proof.length;

          const verify = (candidate: Uint8Array[], first = firstRoot, second = secondRoot) =>
            verifyConsistency(firstSize, secondSize, first, second, candidate);

          expect(verify(proof), 'valid').toBe(true);
          expect(verify(proof, flipBit(firstRoot, rawBit)), 'first root').toBe(false);
          expect(verify(proof, firstRoot, flipBit(secondRoot, rawBit)), 'second root').toBe(false);
          expect(verify(proof, secondRoot, secondRoot), 'swapped root').toBe(false);

          const flipped = proof.map((hash, position) =>
            position === element ? flipBit(hash, rawBit) : hash,
          );
          expect(verify(flipped), 'flipped').toBe(false);

          const dropped = proof.filter((_, position) => position !== element);
          expect(verify(dropped), 'dropped').toBe(false);
          expect(verify([...proof, leafHashOf('extra')]), 'extended').toBe(false);
        },
      ),
    );
  });

  it('proof fails for other tree sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: MAX_TREE_SIZE }),
        fc.nat(),
        fc.nat(),
        seedArbitrary,
        (secondSize, rawFirst, rawOther, seed) => {
          const leaves = makeLeaves(MAX_TREE_SIZE + 1, seed);
          const firstSize = 1 + (rawFirst % (secondSize - 1));
          const firstRoot = treeHash(leaves, 0, firstSize);
          const secondRoot = treeHash(leaves, 0, secondSize);
          const proof = consistencyProof(leaves, firstSize, secondSize);

          // A wrong first size in 1..secondSize, with its own root and with the real one.
          const otherFirst = 1 + ((firstSize + (rawOther % (secondSize - 1))) % secondSize);
          const otherFirstRoot = treeHash(leaves, 0, otherFirst);
          expect(
            verifyConsistency(otherFirst, secondSize, otherFirstRoot, secondRoot, proof),
            `first size ${otherFirst} with its root`,
          ).toBe(false);
          expect(
            verifyConsistency(otherFirst, secondSize, firstRoot, secondRoot, proof),
            `first size ${otherFirst} with the real root`,
          ).toBe(false);

          // A wrong second size in firstSize..MAX_TREE_SIZE + 1, with its own root.
          const span = MAX_TREE_SIZE + 2 - firstSize;
          const otherSecond =
            firstSize + ((secondSize - firstSize + 1 + (rawOther % (span - 1))) % span);
          const otherSecondRoot = treeHash(leaves, 0, otherSecond);
          expect(
            verifyConsistency(firstSize, otherSecond, firstRoot, otherSecondRoot, proof),
            `second size ${otherSecond} with its root`,
          ).toBe(false);
        },
      ),
    );
  });

  it('equal sizes need equal roots', () => {
    const leaves = makeLeaves(5, 11);
    const root = treeHash(leaves);

    expect(consistencyProof(leaves, 5, 5)).toEqual([]);
    expect(verifyConsistency(5, 5, root, root, [])).toBe(true);
    expect(verifyConsistency(5, 5, root, treeHash(leaves, 0, 4), [])).toBe(false);
    expect(verifyConsistency(5, 5, root, root, [root])).toBe(false);
    expect(verifyConsistency(2.5, 2.5, root, root, [])).toBe(false);
    expect(verifyConsistency(-1, -1, root, root, [])).toBe(false);
  });

  it('empty first tree needs empty proof', () => {
    const leaves = makeLeaves(5, 13);
    const root = treeHash(leaves);

    expect(verifyConsistency(0, 5, EMPTY_TREE_HASH, root, [])).toBe(true);
    expect(verifyConsistency(0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [])).toBe(true);
    expect(verifyConsistency(0, 5, EMPTY_TREE_HASH, root, [root])).toBe(false);
    expect(verifyConsistency(0, 5, root, root, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY_TREE_HASH, root, [])).toBe(false);
  });

  it('verifyConsistency rejects malformed input', () => {
    const leaves = makeLeaves(6, 15);
    const firstRoot = treeHash(leaves, 0, 3);
    const secondRoot = treeHash(leaves);
    const proof = consistencyProof(leaves, 3, 6);
    const shortElement = [proof[0]?.subarray(1) as Buffer, ...proof.slice(1)];

    expect(verifyConsistency(3, 6, firstRoot, secondRoot, proof)).toBe(true);
    expect(verifyConsistency(3, 6, firstRoot, secondRoot, [])).toBe(false);
    expect(verifyConsistency(6, 3, firstRoot, secondRoot, proof)).toBe(false);
    expect(verifyConsistency(-1, 6, firstRoot, secondRoot, proof)).toBe(false);
    expect(verifyConsistency(3.5, 6, firstRoot, secondRoot, proof)).toBe(false);
    expect(verifyConsistency(3, Number.POSITIVE_INFINITY, firstRoot, secondRoot, proof)).toBe(
      false,
    );
    expect(verifyConsistency(3, 6, firstRoot, secondRoot, shortElement)).toBe(false);
    expect(verifyConsistency(3, 6, firstRoot, secondRoot, new Array<Uint8Array>(3))).toBe(false);
    expect(verifyConsistency(3, 6, firstRoot.subarray(1), secondRoot, proof)).toBe(false);
    expect(verifyConsistency(3, 6, firstRoot, Buffer.alloc(33), proof)).toBe(false);
    expect(verifyConsistency(3, 6, firstRoot, secondRoot, {} as unknown as Uint8Array[])).toBe(
      false,
    );
  });

  it('consistencyProof rejects invalid arguments', () => {
    const leaves = makeLeaves(4, 17);

    expect(() => consistencyProof(leaves, 0, 4)).toThrow(/Invalid first tree size 0/);
    expect(() => consistencyProof(leaves, 3, 2)).toThrow(/Invalid first tree size 3/);
    expect(() => consistencyProof(leaves, 1.5, 4)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 1, 5)).toThrow(/Invalid second tree size 5/);
    expect(() => consistencyProof(leaves, 1, 0)).toThrow(RangeError);
    expect(() => consistencyProof(leaves, 1, Number.NaN)).toThrow(RangeError);
  });
});
