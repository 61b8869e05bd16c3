export { consistencyProof, verifyConsistency } from './consistency-proof.ts';
export { inclusionProof, verifyInclusion } from './inclusion-proof.ts';
export { MerkleAccumulator } from './merkle-accumulator.ts';
export { EMPTY_TREE_HASH, HASH_SIZE, hashChildren } from './node-hash.ts';
export { treeHash } from './tree-hash.ts';
