import { createHash } from 'node:crypto';
import { canonicalize } from '../../platform/json/jcs.ts';

/**
 * Compute SHA-256 of the RFC 8785 canonical JSON of {kind, targetKey,
 * before, after}. The approver names this hash, so an approval covers
 * exactly the diff they reviewed, and a client can recompute it from the
 * request.
 */
export function diffSha256(diff: {
  kind: string;
  targetKey: string;
  before: unknown;
  after: unknown;
}): Buffer {
  const canonical = canonicalize({
    kind: diff.kind,
    targetKey: diff.targetKey,
    before: diff.before,
    after: diff.after,
  });
  return createHash('sha256').update(canonical, 'utf8').digest();
}

/** True when two JSON states are equal after canonicalization, whatever their member order. */
export function sameState(a: unknown, b: unknown): boolean {
  return canonicalize(a) === canonicalize(b);
}
