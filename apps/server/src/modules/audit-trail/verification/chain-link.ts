import { canonicalize } from '../../../platform/json/jcs.ts';
import type { StoredAuditEvent } from '../audit-events.repository.ts';
import { chainHash } from '../chain/audit-record.ts';
import { canonicalEventText } from '../chain/canonical-event.ts';

export type LinkProblem = 'gap' | 'link' | 'hash' | null;

/**
 * Report what is wrong, if anything, with an event at the position where the
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
 * of it, so the two must canonicalize alike. A value
 * that JCS cannot represent (a jsonb number beyond the double range) or
 * nesting too deep to walk cannot be what was hashed, so either counts as
 * a mismatch.
 */
function hashMatches(event: StoredAuditEvent): boolean {
  try {
    const copy = canonicalize(event.record.details);
    if (copy !== canonicalize(JSON.parse(event.detailsText))) return false;
    return recomputeHash(event).equals(event.hash);
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) {
      return false;
    }
    throw error;
  }
}

export function recomputeHash(event: StoredAuditEvent): Buffer {
  return chainHash(event.prevHash, canonicalEventText(event.record, event.detailsText));
}
