import { hash } from 'node:crypto';
import { EMPTY_TREE_HASH } from '../merkle/index.ts';

/**
 * An RFC 9162 compact range over hashes held as 32-character binary
 * (latin1) strings, the form in which the export verifier computes them.
 * It matches MerkleAccumulator, but allocates no Buffer per node, which
 * makes the verifier's Merkle pass several times cheaper on Node 24.
 */
export class StringMerkle {
  private readonly frontier: string[] = [];
  private count = 0;
  private readonly nodeInput = Buffer.alloc(65);

  constructor() {
    this.nodeInput[0] = 0x01;
  }

  get size(): number {
    return this.count;
  }

  append(leafHash: string): void {
    let node = leafHash;
    for (let rest = this.count; rest % 2 === 1; rest = (rest - 1) / 2) {
      const left = this.frontier.pop();
      if (left === undefined) throw new Error(`frontier for size ${this.count} is too short`);
      node = this.hashChildren(left, node);
    }
    this.frontier.push(node);
    this.count += 1;
  }

  /** Compute the root of every leaf so far: the right fold of the frontier. */
  root(): Buffer {
    let root = this.frontier.at(-1);
    if (root === undefined) return Buffer.from(EMPTY_TREE_HASH);

    for (let index = this.frontier.length - 2; index >= 0; index -= 1) {
      root = this.hashChildren(this.frontier[index] ?? '', root);
    }
    return Buffer.from(root, 'latin1');
  }

  private hashChildren(left: string, right: string): string {
    this.nodeInput.write(left, 1, 32, 'latin1');
    this.nodeInput.write(right, 33, 32, 'latin1');
    return hash('sha256', this.nodeInput, 'binary');
  }
}
