import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringMerkle } from '../../src/modules/audit-trail/export/string-merkle.ts';
import { EMPTY_TREE_HASH, treeHash } from '../../src/modules/audit-trail/merkle/index.ts';

describe('StringMerkle', () => {
  it('matches treeHash at every size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (count) => {
        const leaves = Array.from({ length: count }, () => randomBytes(32));
        const merkle = new StringMerkle();

        leaves.forEach((leaf, index) => {
          merkle.append(leaf.toString('latin1'));
          expect(merkle.root().equals(treeHash(leaves, 0, index + 1)), `size ${index + 1}`).toBe(
            true,
          );
        });
      }),
      { numRuns: 20 },
    );
  });

  it('returns the empty-tree hash with no leaves', () => {
    expect(new StringMerkle().root().equals(EMPTY_TREE_HASH)).toBe(true);
  });
});
