import { type Kysely, sql } from 'kysely';
import type { Database } from '../../platform/db/schema.ts';
import { type AuditRecord, OCCURRED_AT_SQL_FORMAT } from './chain/audit-record.ts';

/** An event as stored: the hashed record plus its two chain links. */
export interface StoredAuditEvent {
  record: AuditRecord;
  /** The canonical details text exactly as it was hashed. */
  detailsText: string;
  prevHash: Buffer;
  hash: Buffer;
}

/**
 * Select events with occurredAt rendered by the database in the exact text
 * form that audit_seal_pending() hashed, not re-rendered from a JavaScript Date
 * (which would lose the microseconds).
 */
export function selectAuditEvents(db: Kysely<Database>) {
  return db
    .selectFrom('audit_events')
    .select([
      'seq',
      sql<string>`to_char(occurred_at AT TIME ZONE 'UTC', ${sql.lit(OCCURRED_AT_SQL_FORMAT)})`.as(
        'occurred_at_text',
      ),
      'actor_type',
      'actor_id',
      'on_behalf_of',
      'channel',
      'action',
      'outcome',
      'reason_code',
      'target_type',
      'target_id',
      'entity_id',
      'request_id',
      'correlation_id',
      'ip_address',
      'user_agent',
      'details',
      'details_jcs',
      'prev_hash',
      'hash',
    ]);
}

type SelectedRow = Awaited<ReturnType<ReturnType<typeof selectAuditEvents>['execute']>>[number];

export function toStoredEvent(row: SelectedRow): StoredAuditEvent {
  return {
    record: {
      seq: Number(row.seq),
      occurredAt: row.occurred_at_text,
      actorType: row.actor_type,
      actorId: row.actor_id,
      onBehalfOf: row.on_behalf_of,
      channel: row.channel,
      action: row.action,
      outcome: row.outcome,
      reasonCode: row.reason_code,
      targetType: row.target_type,
      targetId: row.target_id,
      entityId: row.entity_id,
      requestId: row.request_id,
      correlationId: row.correlation_id,
      ipAddress: row.ip_address,
      userAgent: row.user_agent,
      details: row.details,
    },
    detailsText: row.details_jcs,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Events with seq in (after, upTo], in order, at most `limit` of them. */
export async function readEventRange(
  db: Kysely<Database>,
  after: number,
  upTo: number,
  limit: number,
): Promise<StoredAuditEvent[]> {
  const rows = await selectAuditEvents(db)
    .where('seq', '>', String(after))
    .where('seq', '<=', String(upTo))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(toStoredEvent);
}
