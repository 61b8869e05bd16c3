import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { EvidenceState } from '../../platform/db/schema.ts';
import type { AuditAction } from '../audit-trail/audit-actions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { CheckOutcome } from './evidence-check.ts';

/**
 * How long a claimed check may run before another may take the version
 * over, because the process that claimed it is presumed dead.
 */
export const CHECK_LEASE_SECONDS = 15 * 60;

/** The version a check recorded an outcome for. */
export interface RecordedCheck {
  entityId: string;
  evidenceId: string;
  version: number;
  state: EvidenceState;
  scanAttempts: number;
  nextScanAt: Date | null;
}

const OUTCOME_ACTIONS: Record<Exclude<CheckOutcome['state'], 'not_uploaded'>, AuditAction> = {
  available: 'evidence.uploaded',
  rejected: 'evidence.rejected',
  quarantined: 'evidence.quarantined',
  scan_pending: 'evidence.scan_pending',
};

/**
 * Record a check's outcome through peytonix_record_evidence_check, which
 * accepts it only from the holder of `token`, and append its audit event
 * in the same transaction. Returns null when the claim was lost, such as
 * when it outlived its lease and another check took the version.
 */
export async function recordCheck(
  tx: Tx,
  input: {
    versionId: string;
    token: string;
    outcome: Exclude<CheckOutcome, { state: 'not_uploaded' }>;
    actor: Actor;
    context?: RequestContext | undefined;
    details: Record<string, unknown>;
  },
): Promise<RecordedCheck | null> {
  const { outcome } = input;
  const signature = outcome.state === 'quarantined' ? outcome.signature.slice(0, 500) : null;
  const scanError = outcome.state === 'scan_pending' ? outcome.error : null;
  let rejection: string | null = null;
  if (outcome.state === 'rejected') rejection = outcome.reason.slice(0, 1000);
  const object = outcome.object;

  const { rows } = await sql<{
    entity_id: string;
    evidence_id: string;
    version: number;
    state: EvidenceState;
    scan_attempts: number;
    next_scan_at: Date | null;
  }>`SELECT * FROM peytonix_record_evidence_check(
       ${input.versionId}::uuid, ${input.token}::uuid, ${outcome.state},
       ${object?.versionId ?? null}, ${object?.etag ?? null}, ${outcome.scanned},
       ${signature}, ${scanError}, ${rejection})`.execute(tx);
  const row = rows[0];
  if (row === undefined) return null;

  const details: Record<string, unknown> = { ...input.details, version: row.version };
  if (outcome.state === 'quarantined') {
    details.signature = outcome.signature;
    if (outcome.mismatch !== null) details.mismatch = outcome.mismatch;
  }
  if (outcome.state === 'rejected') details.reason = outcome.reason;
  if (outcome.state === 'scan_pending') {
    details.scanError = outcome.error;
    details.nextScanAt = row.next_scan_at?.toISOString() ?? null;
  }
  await appendAuditEvent(tx, {
    actor: input.actor,
    action: OUTCOME_ACTIONS[outcome.state],
    outcome: outcome.state === 'available' ? 'success' : 'failure',
    ...(outcome.state === 'rejected' ? { reasonCode: outcome.code } : {}),
    ...(outcome.state === 'scan_pending' ? { reasonCode: 'SCAN_PENDING' } : {}),
    ...(outcome.state === 'quarantined' ? { reasonCode: 'MALWARE_FOUND' } : {}),
    target: { type: 'evidence', id: row.evidence_id },
    entityId: row.entity_id,
    ...(input.context ? { context: input.context } : {}),
    details,
  });

  return {
    entityId: row.entity_id,
    evidenceId: row.evidence_id,
    version: row.version,
    state: row.state,
    scanAttempts: row.scan_attempts,
    nextScanAt: row.next_scan_at,
  };
}
