import type { AuditSearchQuery } from '@peytonix/contracts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import {
  type StoredAuditEvent,
  selectAuditEvents,
  toStoredEvent,
} from './audit-events.repository.ts';
import type { AuditReadScope } from './audit-read-scope.ts';

export interface AuditSearchFilters {
  from?: Date;
  to?: Date;
  actorId?: string;
  actorType?: 'user' | 'system' | 'scim' | 'ai' | 'anonymous';
  action?: string;
  outcome?: 'success' | 'denied' | 'failure';
  targetType?: string;
  targetId?: string;
  entityId?: string;
  /** Return events with a lower sequence number than this (the cursor). */
  beforeSeq?: number;
  limit: number;
}

/**
 * Search events newest first, keyset-paginated on seq. One extra row is
 * read, so `more` reports whether another page exists.
 */
export async function searchAuditEvents(
  db: Db,
  scope: Exclude<AuditReadScope, { kind: 'none' }>,
  filters: AuditSearchFilters,
): Promise<{ events: StoredAuditEvent[]; more: boolean }> {
  let query = selectAuditEvents(db)
    .orderBy('seq', 'desc')
    .limit(filters.limit + 1);

  if (scope.kind === 'subtrees') {
    // Every entity of the reader's subtrees, as resolved in its scope.
    query = query.where('entity_id', 'in', scope.entityIds);
  }
  if (filters.from !== undefined) query = query.where('occurred_at', '>=', filters.from);
  if (filters.to !== undefined) query = query.where('occurred_at', '<', filters.to);
  if (filters.actorId !== undefined) query = query.where('actor_id', '=', filters.actorId);
  if (filters.actorType !== undefined) query = query.where('actor_type', '=', filters.actorType);
  if (filters.action !== undefined) query = query.where('action', '=', filters.action);
  if (filters.outcome !== undefined) query = query.where('outcome', '=', filters.outcome);
  if (filters.targetType !== undefined) query = query.where('target_type', '=', filters.targetType);
  if (filters.targetId !== undefined) query = query.where('target_id', '=', filters.targetId);
  if (filters.entityId !== undefined) query = query.where('entity_id', '=', filters.entityId);
  if (filters.beforeSeq !== undefined) query = query.where('seq', '<', String(filters.beforeSeq));

  const rows = await query.execute();
  return {
    events: rows.slice(0, filters.limit).map(toStoredEvent),
    more: rows.length > filters.limit,
  };
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString('base64url');
}

/** Decode a cursor to its seq; return null for a cursor this server did not issue. */
export function decodeCursor(cursor: string): number | null {
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * Turn a validated search query (API query string or CLI options) into
 * filters. `cursorName` is how the caller spells the cursor in a message.
 */
export function toSearchFilters(query: AuditSearchQuery, cursorName: string): AuditSearchFilters {
  const { from, to, cursor, limit, ...exact } = query;
  const beforeSeq = cursor === undefined ? undefined : decodeCursor(cursor);
  if (beforeSeq === null) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid ${cursorName} ${JSON.stringify(cursor)}: pass the cursor from the previous page unchanged, or omit it.`,
    });
  }

  const defined = Object.fromEntries(
    Object.entries(exact).filter(([, value]) => value !== undefined),
  );
  return {
    ...defined,
    ...(from === undefined ? {} : { from: new Date(from) }),
    ...(to === undefined ? {} : { to: new Date(to) }),
    ...(beforeSeq === undefined ? {} : { beforeSeq }),
    limit,
  };
}
