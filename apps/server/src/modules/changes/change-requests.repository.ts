import { type Selectable, sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import { cursorTimeSql, type KeysetPosition } from '../../platform/db/keyset-cursor.ts';
import type { ChangeRequestStatus, ChangeRequestsTable } from '../../platform/db/schema.ts';

export type ChangeRequestRow = Selectable<ChangeRequestsTable> & {
  /** Pending, but past expires_at by the database clock. */
  past_expiry: boolean;
};

const COLUMNS = [
  'change_requests.id',
  'change_requests.kind',
  'change_requests.entity_id',
  'change_requests.target_type',
  'change_requests.target_key',
  'change_requests.before_state',
  'change_requests.after_state',
  'change_requests.diff_sha256',
  'change_requests.justification',
  'change_requests.status',
  'change_requests.requested_by',
  'change_requests.requested_by_type',
  'change_requests.requested_at',
  'change_requests.expires_at',
  'change_requests.decided_by',
  'change_requests.decided_at',
  'change_requests.decision_note',
  'change_requests.approved_diff_sha256',
  'change_requests.applied_at',
] as const;

const pastExpiry = sql<boolean>`(change_requests.status = 'pending' AND change_requests.expires_at <= now())`;

/** The status shown to readers, where a pending request past its expiry reads as expired. */
const effectiveStatus = sql<ChangeRequestStatus>`(CASE WHEN change_requests.status = 'pending' AND change_requests.expires_at <= now() THEN 'expired' ELSE change_requests.status END)`;

export async function insertChangeRequest(
  tx: Tx,
  request: {
    kind: string;
    entityId: string;
    targetType: string;
    targetKey: string;
    before: unknown;
    after: unknown;
    diffSha256: Buffer;
    justification: string;
    requestedBy: string;
    requestedByType: 'user' | 'ai';
    ttlHours: number;
  },
): Promise<ChangeRequestRow> {
  return await tx
    .insertInto('change_requests')
    .values({
      kind: request.kind,
      entity_id: request.entityId,
      target_type: request.targetType,
      target_key: request.targetKey,
      before_state: JSON.stringify(request.before),
      after_state: JSON.stringify(request.after),
      diff_sha256: request.diffSha256,
      justification: request.justification,
      requested_by: request.requestedBy,
      requested_by_type: request.requestedByType,
      expires_at: sql<Date>`now() + make_interval(hours => ${request.ttlHours}::int)`,
    })
    .returning([...COLUMNS, pastExpiry.as('past_expiry')])
    .executeTakeFirstOrThrow();
}

/**
 * Load the request `id` if the scoped actor can see it. With `lock`, the
 * row stays locked until the transaction ends, so two deciders of one
 * request run one after the other. A locking read also needs the
 * request's entity in the actor's scope, because row-level security then
 * applies the update policy.
 */
export async function findChangeRequest(
  tx: Tx,
  id: string,
  options: { lock: boolean },
): Promise<ChangeRequestRow | undefined> {
  const query = tx
    .selectFrom('change_requests')
    .select([...COLUMNS, pastExpiry.as('past_expiry')])
    .where('change_requests.id', '=', id);
  return await (options.lock ? query.forUpdate() : query).executeTakeFirst();
}

/** Load and lock the pending request of `kind` on `targetKey`, if one exists. */
export async function findPendingForTarget(
  tx: Tx,
  kind: string,
  targetKey: string,
): Promise<ChangeRequestRow | undefined> {
  return await tx
    .selectFrom('change_requests')
    .select([...COLUMNS, pastExpiry.as('past_expiry')])
    .where('change_requests.kind', '=', kind)
    .where('change_requests.target_key', '=', targetKey)
    .where('change_requests.status', '=', 'pending')
    .forUpdate()
    .executeTakeFirst();
}

/**
 * List the requests the scoped actor can see that `requesterId` made or
 * that belong to one of `entityIds`, newest first.
 */
export async function listChangeRequests(
  tx: Tx,
  filter: {
    requesterId: string | null;
    entityIds: readonly string[];
    status?: ChangeRequestStatus | undefined;
    /** Only requests after this position in the newest-first order. */
    after?: KeysetPosition | undefined;
    limit: number;
  },
): Promise<(ChangeRequestRow & { cursor_at: string })[]> {
  const { requesterId, entityIds } = filter;
  if (requesterId === null && entityIds.length === 0) return [];

  let query = tx
    .selectFrom('change_requests')
    .select([
      ...COLUMNS,
      pastExpiry.as('past_expiry'),
      sql<string>`${sql.raw(cursorTimeSql('change_requests.requested_at'))}`.as('cursor_at'),
    ])
    .where((eb) => {
      const visible = [];
      if (requesterId !== null) visible.push(eb('change_requests.requested_by', '=', requesterId));
      if (entityIds.length > 0) visible.push(eb('change_requests.entity_id', 'in', entityIds));
      return eb.or(visible);
    });
  if (filter.status !== undefined) query = query.where(effectiveStatus, '=', filter.status);
  if (filter.after !== undefined) {
    const { at, id } = filter.after;
    query = query.where(
      sql<boolean>`(change_requests.requested_at, change_requests.id) < (${at}::timestamptz, ${id}::uuid)`,
    );
  }
  return await query
    .orderBy('change_requests.requested_at', 'desc')
    .orderBy('change_requests.id', 'desc')
    .limit(filter.limit)
    .execute();
}

/** Close a pending request without a decision, because it went stale or expired. */
export async function closeUndecided(
  tx: Tx,
  id: string,
  status: 'stale' | 'expired',
): Promise<void> {
  await tx.updateTable('change_requests').set({ status }).where('id', '=', id).execute();
}

export async function recordApproval(
  tx: Tx,
  id: string,
  approval: { decidedBy: string; note: string | null; approvedDiffSha256: Buffer },
): Promise<void> {
  await tx
    .updateTable('change_requests')
    .set({
      status: 'approved',
      decided_by: approval.decidedBy,
      decided_at: sql<Date>`now()`,
      decision_note: approval.note,
      approved_diff_sha256: approval.approvedDiffSha256,
    })
    .where('id', '=', id)
    .execute();
}

export async function recordApplied(tx: Tx, id: string): Promise<void> {
  await tx
    .updateTable('change_requests')
    .set({ status: 'applied', applied_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

export async function recordRejection(
  tx: Tx,
  id: string,
  rejection: { decidedBy: string; note: string },
): Promise<void> {
  await tx
    .updateTable('change_requests')
    .set({
      status: 'rejected',
      decided_by: rejection.decidedBy,
      decided_at: sql<Date>`now()`,
      decision_note: rejection.note,
    })
    .where('id', '=', id)
    .execute();
}
