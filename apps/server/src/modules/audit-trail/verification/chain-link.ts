import type { StoredAuditEvent } from '../audit-events.repository.ts';
import { chainHash } from '../chain/audit-record.ts';
import { canonicalEventText } from '../chain/canonical-event.ts';
import { canonicalize } from '../chain/jcs.ts';

export type LinkProblem = 'gap' | 'link' | 'hash' | null;

/**
 * What is wrong, if anything, with an event at the position where the
 * walk expects `expectedSeq` after an event whose hash was `prevHash`.
 */
export function checkLink(
  expectedSeq: number,
  prevHash: Buffer,
  event: StoredAuditEvent,
): LinkProblem {
  if (event.record.seq !== expectedSeq) return 'gap';
  if (!event.prevHash.equals(prevHash)) return 'link';
  if (!hashMatches(event)) return 'hash';
  return null;
}

/**
 * The hash covers the stored details text, and queries read the jsonb copy
 * of it, so both must match: the copy must canonicalize to the text. A
 * value that JCS cannot represent, such as a jsonb number beyond the double
 * range, cannot be what was hashed, so it counts as a mismatch too.
 */
function hashMatches(event: StoredAuditEvent): boolean {
  try {
    if (canonicalize(event.record.details) !== event.detailsText) return false;
    return recomputeHash(event).equals(event.hash);
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

export function recomputeHash(event: StoredAuditEvent): Buffer {
  return chainHash(event.prevHash, canonicalEventText(event.record, event.detailsText));
}
