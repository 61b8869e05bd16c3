import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.ts';
import { cursorTimeSql, decodeCursor, encodeCursor } from '../../platform/db/keyset-cursor.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import { entitiesInSubtreeWith } from '../entities/entity-subtree-filter.ts';
import type { Actor } from '../identity/actor.ts';

export type RunStatusFilter =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'timed_out'
  | 'cancelled';

export interface RunHistoryQuery {
  /** Runs of tests in this entity and every entity below it. */
  entity?: string | undefined;
  /** A test's key. */
  test?: string | undefined;
  status?: RunStatusFilter[] | undefined;
  /** true for previews and re-performances only, false for real runs only. */
  preview?: boolean | undefined;
  after?: string | undefined;
  limit: number;
}

export interface RunHistoryItem {
  runId: string;
  testKey: string;
  entityCode: string;
  runNumber: number | null;
  preview: boolean;
  status: RunStatusFilter;
  requestedBy: string;
  requestedVia: string;
  requestedAt: string;
  finishedAt: string | null;
  exceptionCount: number | null;
  resultHash: string | null;
  reperformsRunId: string | null;
}

/**
 * List runs newest first in the entities where the actor has runs.read,
 * filtered and paged by a keyset cursor over the request time and id.
 */
export async function listRunHistory(
  db: Db,
  access: AccessControl,
  actor: Actor,
  query: RunHistoryQuery,
): Promise<{ items: RunHistoryItem[]; next: string | null }> {
  return await withActor(db, actor, async (tx) => {
    const entityIds = await entitiesInSubtreeWith(tx, access, actor, 'runs.read', query.entity);
    if (entityIds.length === 0) return { items: [], next: null };

    let select = tx
      .selectFrom('runs as r')
      .innerJoin('test_definitions as t', 't.id', 'r.test_id')
      .innerJoin('entities as e', 'e.id', 't.entity_id')
      .innerJoin('users as u', 'u.id', 'r.requested_by')
      .select([
        'r.id',
        't.key',
        'e.code',
        'r.run_number',
        'r.preview',
        'r.status',
        'u.email',
        'r.requested_via',
        'r.requested_at',
        'r.finished_at',
        'r.exception_count',
        'r.result_hash',
        'r.reperforms_run_id',
        sql<string>`${sql.raw(cursorTimeSql('r.requested_at'))}`.as('cursor_at'),
      ])
      .where('t.entity_id', 'in', entityIds);
    if (query.test !== undefined) select = select.where('t.key', '=', query.test);
    if (query.status !== undefined && query.status.length > 0) {
      select = select.where('r.status', 'in', query.status);
    }
    if (query.preview !== undefined) select = select.where('r.preview', '=', query.preview);
    if (query.after !== undefined) {
      const { at, id } = decodeCursor(query.after);
      select = select.where(
        sql<boolean>`(r.requested_at, r.id) < (${at}::timestamptz, ${id}::uuid)`,
      );
    }
    const rows = await select
      .orderBy('r.requested_at', 'desc')
      .orderBy('r.id', 'desc')
      .limit(query.limit + 1)
      .execute();

    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
        runId: row.id,
        testKey: row.key,
        entityCode: row.code,
        runNumber: row.run_number,
        preview: row.preview,
        status: row.status,
        requestedBy: row.email,
        requestedVia: row.requested_via,
        requestedAt: row.requested_at.toISOString(),
        finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
        exceptionCount: row.exception_count === null ? null : Number(row.exception_count),
        resultHash: row.result_hash?.toString('hex') ?? null,
        reperformsRunId: row.reperforms_run_id,
      })),
      next:
        rows.length > query.limit && last !== undefined
          ? encodeCursor({ at: last.cursor_at, id: last.id })
          : null,
    };
  });
}
