import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { AuditAction } from './audit-actions.ts';

export interface AuditEventInput {
  actor: Actor;
  action: AuditAction;
  outcome: 'success' | 'denied' | 'failure';
  reasonCode?: string;
  target?: { type: string; id: string };
  entityId?: string;
  context?: RequestContext;
  details?: Record<string, unknown>;
}

const SECRET_KEY_PATTERN = /(password|secret|token|key|authorization|cookie)/i;
// A key such as setupSecretId or api_key_id names the id of a record that
// contains a secret, not the secret itself, so its value is kept.
const IDENTIFIER_KEY_PATTERN = /(Id|_id)s?$/;

function isSecretKey(key: string): boolean {
  return SECRET_KEY_PATTERN.test(key) && !IDENTIFIER_KEY_PATTERN.test(key);
}

/** Replace values under secret-looking keys, at any depth. */
export function redactDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDetails);
  // A Date has no own properties, so the walk below would store it as {}.
  if (value instanceof Date) return value.toJSON();
  if (value === null || typeof value !== 'object') return value;

  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      isSecretKey(key) ? '[REDACTED]' : redactDetails(inner),
    ]),
  );
}

function actorColumns(actor: Actor) {
  switch (actor.type) {
    case 'user':
      return { actor_type: 'user' as const, actor_id: actor.userId, on_behalf_of: null };
    case 'ai':
      return { actor_type: 'ai' as const, actor_id: null, on_behalf_of: actor.onBehalfOf };
    default:
      return { actor_type: actor.type, actor_id: null, on_behalf_of: null };
  }
}

/**
 * Append one event inside the caller's transaction, so the event commits or
 * rolls back with the change it records. The sequence number comes from
 * the locked chain head, which keeps it gapless under concurrent writers.
 * Returns the event's sequence number.
 */
export async function appendAuditEvent(tx: Tx, event: AuditEventInput): Promise<string> {
  const head = await tx
    .updateTable('audit_chain_head')
    .set({ last_seq: sql`last_seq + 1` })
    .where('singleton', '=', true)
    .returning('last_seq')
    .executeTakeFirstOrThrow();

  await tx
    .insertInto('audit_events')
    .values({
      seq: head.last_seq,
      ...actorColumns(event.actor),
      channel: event.actor.channel,
      action: event.action,
      outcome: event.outcome,
      reason_code: event.reasonCode ?? null,
      target_type: event.target?.type ?? null,
      target_id: event.target?.id ?? null,
      entity_id: event.entityId ?? null,
      request_id: event.context?.requestId ?? null,
      correlation_id: event.context?.correlationId ?? null,
      ip_address: event.context?.ipAddress ?? null,
      user_agent: event.context?.userAgent?.slice(0, 1024) ?? null,
      details: JSON.stringify(redactDetails(event.details ?? {})),
    })
    .execute();
  return head.last_seq;
}
