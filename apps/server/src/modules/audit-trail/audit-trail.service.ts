import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { type AuditEventInput, toAuditFields } from './audit-event-input.ts';
import { canonicalFragments } from './chain/canonical-fragments.ts';

export type { AuditEventInput } from './audit-event-input.ts';
export { redactDetails } from './audit-event-input.ts';

/**
 * Append one event inside the caller's transaction, so the event commits or
 * rolls back with the change it records. audit_append() numbers, times and
 * hashes the event under the chain-head row lock, which stays held until
 * the caller commits, so append last and commit promptly.
 *
 * A failed append throws AUDIT_TRAIL_UNAVAILABLE (503); the caller's
 * transaction then rolls back, and the change it recorded with it.
 * Returns the event's sequence number.
 */
export async function appendAuditEvent(tx: Tx, event: AuditEventInput): Promise<string> {
  const fields = toAuditFields(event);
  const [head, middle, tail] = canonicalFragments(fields);

  try {
    const result = await sql<{ seq: string }>`
      SELECT audit_append(
        ${fields.actorType}, ${fields.actorId}, ${fields.onBehalfOf}, ${fields.channel},
        ${fields.action}, ${fields.outcome}, ${fields.reasonCode}, ${fields.targetType},
        ${fields.targetId}, ${fields.entityId}, ${fields.requestId}, ${fields.correlationId},
        ${fields.ipAddress}, ${fields.userAgent}, ${JSON.stringify(fields.details)}::jsonb,
        ${head}, ${middle}, ${tail}
      ) AS seq`.execute(tx);
    const seq = result.rows[0]?.seq;
    if (seq === undefined) throw new Error('audit_append returned no sequence number');
    return seq;
  } catch (error) {
    throw new AppError('AUDIT_TRAIL_UNAVAILABLE', {
      detail:
        'The audit trail could not record this action, so the action was not carried out. Retry later; if it persists, check /health/ready.',
      internal: error,
    });
  }
}
