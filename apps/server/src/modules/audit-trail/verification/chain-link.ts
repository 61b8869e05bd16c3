import { type AuditRecord, chainHash } from '../chain/audit-record.ts';
import { canonicalize } from '../chain/jcs.ts';

export type LinkProblem = 'gap' | 'link' | 'hash' | null;

/**
 * What is wrong, if anything, with an event at the position where the
 * walk expects `expectedSeq` after an event whose hash was `prevHash`.
 */
export function checkLink(
  expectedSeq: number,
  prevHash: Buffer,
  event: { record: AuditRecord; prevHash: Buffer; hash: Buffer },
): LinkProblem {
  if (event.record.seq !== expectedSeq) return 'gap';
  if (!event.prevHash.equals(prevHash)) return 'link';
  if (!hashMatches(event)) return 'hash';
  return null;
}

/**
 * A stored value that JCS cannot represent, such as a jsonb number beyond
 * the double range, cannot be what was hashed, so it counts as a mismatch.
 */
function hashMatches(event: { record: AuditRecord; prevHash: Buffer; hash: Buffer }): boolean {
  try {
    return recomputeHash(event).equals(event.hash);
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

export function recomputeHash(event: { record: AuditRecord; prevHash: Buffer }): Buffer {
  return chainHash(event.prevHash, canonicalize(event.record));
}
