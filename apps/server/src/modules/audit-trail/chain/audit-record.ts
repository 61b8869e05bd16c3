import { createHash } from 'node:crypto';

/**
 * One audit event exactly as the hash chain covers it. Field names are the
 * JSON keys of the canonical form, and an export line carries this object
 * unchanged, so an outside verifier needs no knowledge of our tables.
 */
export interface AuditRecord {
  seq: number;
  occurredAt: string;
  actorType: 'user' | 'system' | 'scim' | 'ai' | 'anonymous';
  actorId: string | null;
  onBehalfOf: string | null;
  channel: string;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  reasonCode: string | null;
  targetType: string | null;
  targetId: string | null;
  entityId: string | null;
  requestId: string | null;
  correlationId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
}

/** The previous hash of the first event. */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * The to_char pattern of occurredAt: UTC with microseconds, the precision
 * of a PostgreSQL timestamptz. audit_canonical_event() hashes the same
 * pattern, so reading with it reproduces the hashed text.
 */
export const OCCURRED_AT_SQL_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"';

const LEAF_PREFIX = Buffer.from([0x00]);

/**
 * hash = SHA-256(0x00 || prev_hash || JCS(event)).
 *
 * The leading zero byte makes each event hash an RFC 9162 leaf hash whose
 * leaf input is prev_hash || JCS(event), so the checkpoint Merkle tree
 * uses the chain hashes as its leaves without hashing every event twice.
 */
export function chainHash(prevHash: Uint8Array, canonicalEvent: string): Buffer {
  return createHash('sha256')
    .update(LEAF_PREFIX)
    .update(prevHash)
    .update(canonicalEvent, 'utf8')
    .digest();
}
