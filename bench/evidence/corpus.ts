// The files of the evidence benchmark: PDF-like buffers of pseudo-random
// bytes, generated deterministically and kept in memory.
import { createCipheriv, createHash } from 'node:crypto';

/** The header every file starts with, so the magic-byte check accepts it as a PDF. */
export const PDF_HEADER = Buffer.from('%PDF-1.7\n', 'latin1');

/** Bytes after PDF_HEADER that markFiles overwrites. */
const MARK_BYTES = 16;

export interface Corpus {
  files: Buffer[];
  fileBytes: number;
  totalBytes: number;
}

/**
 * Generate `count` files of `fileBytes` bytes each. Every file is the
 * AES-256-CTR keystream of a key derived from the seed and the file's
 * index, so the bytes are the same in every run with the same seed, and no
 * two files share content. The PDF header then overwrites the first bytes.
 */
export function generateCorpus(count: number, fileBytes: number, seed: number): Corpus {
  if (fileBytes < PDF_HEADER.length + MARK_BYTES) {
    throw new RangeError(
      `a file must have at least ${PDF_HEADER.length + MARK_BYTES} bytes, got ${fileBytes}`,
    );
  }
  const zeros = Buffer.alloc(fileBytes);
  const files: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const key = createHash('sha256').update(`peytonix-bench-evidence/${seed}/${index}`).digest();
    const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    const file = cipher.update(zeros);
    PDF_HEADER.copy(file, 0);
    files.push(file);
  }
  return { files, fileBytes, totalBytes: count * fileBytes };
}

/**
 * Overwrite the 16 bytes after the PDF header of every file with a digest
 * of `label`, in place. clamd keeps the hashes of files it found clean and
 * skips scanning them again. In a trial with ClamAV 1.4.6, a 10 MiB file
 * took about 45 ms the second time instead of 175 ms. So each measured set
 * of scans gets its own label and sends clamd content it has not seen, as
 * an upload in production does.
 */
export function markFiles(corpus: Corpus, label: string): void {
  const mark = createHash('sha256').update(label).digest().subarray(0, MARK_BYTES);
  for (const file of corpus.files) mark.copy(file, PDF_HEADER.length);
}
