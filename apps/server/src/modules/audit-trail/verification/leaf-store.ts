import { appendToFrontier, foldFrontier } from '../merkle/compact-range.ts';

const HASH_LENGTH = 32;

/**
 * Event hashes kept back to back in one growing buffer, 32 bytes each, so
 * a verification can compute checkpoint roots after reading every event.
 * NOTE: this keeps 32 bytes per event in memory (320 MB for ten million
 * events). A pass that read the checkpoint sizes first could stream instead.
 */
export class LeafStore {
  private buffer = Buffer.allocUnsafe(HASH_LENGTH * 4096);
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(hash: Uint8Array): void {
    if (hash.length !== HASH_LENGTH) {
      throw new RangeError(`leaf hash must be 32 bytes, got ${hash.length}`);
    }

    this.reserveOne();
    this.buffer.set(hash, this.count * HASH_LENGTH);
    this.count += 1;
  }

  at(index: number): Buffer {
    return this.buffer.subarray(index * HASH_LENGTH, (index + 1) * HASH_LENGTH);
  }

  /** Return every leaf as a view into the store, without copying. */
  leaves(upTo = this.count): Buffer[] {
    return Array.from({ length: upTo }, (_, index) => this.at(index));
  }

  /** Compute the Merkle roots at each requested size, in one pass over the leaves. */
  rootsAt(sizes: Iterable<number>): Map<number, Buffer> {
    const wanted = [...new Set(sizes)].filter((size) => size <= this.count).sort((a, b) => a - b);
    const roots = new Map<number, Buffer>();
    // The frontier contains views into this store, not copies: leaves are
    // never rewritten, and growing the buffer leaves old views intact.
    const frontier: Uint8Array[] = [];
    let size = 0;

    for (const wantedSize of wanted) {
      for (; size < wantedSize; size += 1) appendToFrontier(frontier, size, this.at(size));
      roots.set(wantedSize, foldFrontier(frontier));
    }
    return roots;
  }

  private reserveOne(): void {
    if ((this.count + 1) * HASH_LENGTH <= this.buffer.length) return;

    const grown = Buffer.allocUnsafe(this.buffer.length * 2);
    this.buffer.copy(grown, 0, 0, this.count * HASH_LENGTH);
    this.buffer = grown;
  }
}
