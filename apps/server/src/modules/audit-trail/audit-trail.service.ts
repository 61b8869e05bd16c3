import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { canonicalize } from '../../platform/json/jcs.ts';
import { type AuditEventInput, toAuditFields } from './audit-event-input.ts';

export type { AuditEventInput } from './audit-event-input.ts';

/**
 * Append one event inside the caller's transaction, so the event commits or
 * rolls back with the change it records. The event goes to audit_pending.
 * audit_seal_pending() later gives it its sequence number and hash, in the
 * server's sealer or in the next reader of the trail, so appends never wait
 * for each other.
 *
 * A failure throws AUDIT_TRAIL_UNAVAILABLE (503), and the caller's
 * transaction, with the change it records, rolls back.
 */
export async function appendAuditEvent(tx: Tx, event: AuditEventInput): Promise<void> {
  const fields = toAuditFields(event);

  try {
    await tx
      .insertInto('audit_pending')
      .values({
        actor_type: fields.actorType,
        actor_id: fields.actorId,
        on_behalf_of: fields.onBehalfOf,
        channel: fields.channel,
        action: fields.action,
        outcome: fields.outcome,
        reason_code: fields.reasonCode,
        target_type: fields.targetType,
        target_id: fields.targetId,
        entity_id: fields.entityId,
        request_id: fields.requestId,
        correlation_id: fields.correlationId,
        ip_address: fields.ipAddress,
        user_agent: fields.userAgent,
        details_jcs: canonicalize(fields.details),
      })
      .execute();
  } catch (error) {
    throw new AppError('AUDIT_TRAIL_UNAVAILABLE', {
      detail:
        'The audit trail could not record this action, so the action was not carried out. Retry later; if it persists, check /health/ready.',
      internal: error,
    });
  }
}
