import { open } from 'node:fs/promises';
import { CHECKPOINT_LINE_PREFIX } from './export-format.ts';

const BLOCK_BYTES = 256 * 1024;
/** Past this much tail without an event line, stop looking; the main pass reports the damage. */
const MAX_TAIL_BYTES = 256 * 1024 * 1024;
const LAST_EVENT_MARKER = Buffer.from('\n{"hash":"');

/**
 * Read the tree sizes of the checkpoint lines at the end of an export,
 * before the main pass, so that pass can take each root as it reaches the
 * size. Lines it cannot parse are skipped here and reported by that pass.
 */
export async function readCheckpointSizes(file: string): Promise<Set<number>> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    let tail = Buffer.alloc(0);
    let position = size;

    while (position > 0 && tail.length < MAX_TAIL_BYTES) {
      const length = Math.min(BLOCK_BYTES, position);
      position -= length;
      const block = Buffer.alloc(length);
      await handle.read(block, 0, length, position);
      tail = Buffer.concat([block, tail]);

      const lastEvent = tail.lastIndexOf(LAST_EVENT_MARKER);
      if (lastEvent !== -1) return sizesIn(tail.subarray(tail.indexOf(0x0a, lastEvent + 1) + 1));
    }
    // The whole file was read: it has no event line, or only the first one.
    const firstLineEnd = tail.indexOf(0x0a);
    return sizesIn(
      tail.subarray(tail.subarray(0, 9).equals(Buffer.from('{"hash":"')) ? firstLineEnd + 1 : 0),
    );
  } finally {
    await handle.close();
  }
}

function sizesIn(section: Buffer): Set<number> {
  const sizes = new Set<number>();
  for (const line of section.toString('utf8').split('\n')) {
    if (!line.startsWith(CHECKPOINT_LINE_PREFIX.toString())) continue;
    try {
      const treeSize = (JSON.parse(line) as { checkpoint?: { treeSize?: unknown } }).checkpoint
        ?.treeSize;
      if (typeof treeSize === 'number' && Number.isSafeInteger(treeSize) && treeSize > 0)
        sizes.add(treeSize);
    } catch {
      // Reported by the main pass.
    }
  }
  return sizes;
}
