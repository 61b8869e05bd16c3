import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inclusionProof, treeHash } from '../../../server/src/modules/audit-trail/merkle/index.ts';
import { rootFromInclusionProof } from '../../src/audit/audit-verification.ts';

function leaf(index: number): Buffer {
  return createHash('sha256').update(`leaf ${index}`).digest();
}

describe('rootFromInclusionProof', () => {
  it('matches the server for every leaf of trees up to 17', async () => {
    const leaves = Array.from({ length: 17 }, (_, index) => leaf(index));
    for (let size = 1; size <= leaves.length; size += 1) {
      const root = treeHash(leaves, 0, size).toString('hex');
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(leaves, index, size).map((hash) => hash.toString('hex'));
        const computed = await rootFromInclusionProof(
          leaves[index]?.toString('hex') ?? '',
          index,
          size,
          proof,
        );
        expect(computed, `leaf ${index} of ${size}`).toBe(root);
      }
    }
  });

  it('rejects a proof for another leaf', async () => {
    const leaves = Array.from({ length: 8 }, (_, index) => leaf(index));
    const root = treeHash(leaves).toString('hex');
    const proof = inclusionProof(leaves, 3, 8).map((hash) => hash.toString('hex'));
    const computed = await rootFromInclusionProof(leaf(4).toString('hex'), 3, 8, proof);
    expect(computed).not.toBe(root);
  });

  it('rejects a proof of the wrong length', async () => {
    const leaves = Array.from({ length: 8 }, (_, index) => leaf(index));
    const proof = inclusionProof(leaves, 3, 8).map((hash) => hash.toString('hex'));
    expect(await rootFromInclusionProof(leaf(3).toString('hex'), 3, 8, proof.slice(1))).toBe(
      undefined,
    );
    expect(
      await rootFromInclusionProof(leaf(3).toString('hex'), 3, 8, [...proof, proof[0] ?? '']),
    ).toBe(undefined);
  });

  it('rejects a leaf index outside the tree', async () => {
    expect(await rootFromInclusionProof(leaf(0).toString('hex'), 4, 4, [])).toBe(undefined);
  });
});
