import { type Selectable, sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type {
  ExceptionEventsTable,
  ExceptionStatus,
  ExceptionsTable,
} from '../../platform/db/schema.ts';

export type ExceptionRow = Selectable<ExceptionsTable> & { test_key: string; entity_code: string };

/**
 * Load exceptions with their test key and entity code, and lock them
 * until the transaction ends. Rows are locked in id order, so two bulk
 * actions over overlapping sets wait for each other instead of
 * deadlocking. Row-level security hides exceptions outside the scope.
 */
export async function lockExceptions(tx: Tx, ids: readonly string[]): Promise<ExceptionRow[]> {
  if (ids.length === 0) return [];
  return await tx
    .selectFrom('exceptions as e')
    .innerJoin('test_definitions as t', 't.id', 'e.test_id')
    .innerJoin('entities as n', 'n.id', 'e.entity_id')
    .selectAll('e')
    .select(['t.key as test_key', 'n.code as entity_code'])
    .where('e.id', 'in', ids)
    .orderBy('e.id')
    .forUpdate('e')
    .execute();
}

export type NewExceptionEvent = Omit<
  Selectable<ExceptionEventsTable>,
  'id' | 'created_at' | 'assignee_id' | 'disposition' | 'rationale' | 'comment' | 'run_id'
> &
  Partial<
    Pick<
      Selectable<ExceptionEventsTable>,
      'assignee_id' | 'disposition' | 'rationale' | 'comment' | 'run_id'
    >
  >;

export async function insertExceptionEvents(
  tx: Tx,
  events: readonly NewExceptionEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await tx.insertInto('exception_events').values(events).execute();
}

/** Filters of the exception list; each one narrows it. */
export interface ExceptionFilter {
  entityIds: readonly string[];
  testId?: string | undefined;
  runId?: string | undefined;
  statuses?: readonly ExceptionStatus[] | undefined;
  severities?: readonly string[] | undefined;
  /** A user id, or null for unassigned exceptions. */
  assigneeId?: string | null | undefined;
  minAgeDays?: number | undefined;
  maxAgeDays?: number | undefined;
  text?: string | undefined;
  /** Keyset cursor: the created_at (with microseconds) and id of the last row of the previous page. */
  after?: { createdAt: string; id: string } | undefined;
  limit: number;
}

export interface ExceptionListRow {
  id: string;
  test_key: string;
  entity_code: string;
  status: ExceptionStatus;
  severity: string;
  due_on: string | null;
  overdue: boolean;
  age_days: number;
  assignee_email: string | null;
  disposition: string | null;
  key_values: unknown;
  first_run_id: string;
  last_run_id: string;
  revision: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
}

/** List exceptions newest first, with one row more than `limit` when another page follows. */
export async function listExceptions(tx: Tx, filter: ExceptionFilter): Promise<ExceptionListRow[]> {
  if (filter.entityIds.length === 0) return [];
  let query = tx
    .selectFrom('exceptions as e')
    .innerJoin('test_definitions as t', 't.id', 'e.test_id')
    .innerJoin('entities as n', 'n.id', 'e.entity_id')
    .leftJoin('users as a', 'a.id', 'e.assignee_id')
    .select([
      'e.id',
      't.key as test_key',
      'n.code as entity_code',
      'e.status',
      'e.severity',
      sql<string | null>`to_char(e.due_on, 'YYYY-MM-DD')`.as('due_on'),
      sql<boolean>`e.status <> 'closed' AND e.due_on < current_date`.as('overdue'),
      sql<number>`(current_date - e.created_at::date)`.as('age_days'),
      'a.email as assignee_email',
      'e.disposition',
      'e.key_values',
      'e.first_run_id',
      'e.last_run_id',
      'e.revision',
      'e.created_at',
      'e.updated_at',
      // Microseconds, which a Date would lose, so the cursor resumes exactly after this row.
      sql<string>`to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
        'cursor_at',
      ),
    ])
    .where('e.entity_id', 'in', filter.entityIds);

  if (filter.testId !== undefined) query = query.where('e.test_id', '=', filter.testId);
  if (filter.runId !== undefined) {
    const runId = filter.runId;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('run_exceptions as r')
          .select(sql`1`.as('one'))
          .whereRef('r.exception_id', '=', 'e.id')
          .where('r.run_id', '=', runId),
      ),
    );
  }
  if (filter.statuses !== undefined) query = query.where('e.status', 'in', filter.statuses);
  if (filter.severities !== undefined) {
    query = query.where('e.severity', 'in', filter.severities as ExceptionsTable['severity'][]);
  }
  if (filter.assigneeId === null) query = query.where('e.assignee_id', 'is', null);
  if (typeof filter.assigneeId === 'string') {
    query = query.where('e.assignee_id', '=', filter.assigneeId);
  }
  if (filter.minAgeDays !== undefined) {
    query = query.where(sql`current_date - e.created_at::date`, '>=', filter.minAgeDays);
  }
  if (filter.maxAgeDays !== undefined) {
    query = query.where(sql`current_date - e.created_at::date`, '<=', filter.maxAgeDays);
  }
  if (filter.text !== undefined) {
    // Matched against the JSON text, so keys and values both count; LIKE wildcards are escaped.
    const pattern = `%${filter.text.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`e.key_values::text`, 'ilike', pattern),
        eb(sql`e.payload::text`, 'ilike', pattern),
      ]),
    );
  }
  if (filter.after !== undefined) {
    const { createdAt, id } = filter.after;
    query = query.where(
      sql<boolean>`(e.created_at, e.id) < (${createdAt}::timestamptz, ${id}::uuid)`,
    );
  }

  return await query
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
}

export async function exceptionHistory(tx: Tx, exceptionId: string) {
  return await tx
    .selectFrom('exception_events as v')
    .leftJoin('users as actor', 'actor.id', 'v.actor_id')
    .leftJoin('users as assignee', 'assignee.id', 'v.assignee_id')
    .select([
      'v.action',
      'v.from_status',
      'v.to_status',
      'actor.email as actor_email',
      'assignee.email as assignee_email',
      'v.disposition',
      'v.rationale',
      'v.comment',
      'v.run_id',
      'v.created_at',
    ])
    .where('v.exception_id', '=', exceptionId)
    .orderBy('v.id')
    .execute();
}

export async function exceptionComments(tx: Tx, exceptionId: string) {
  return await tx
    .selectFrom('exception_comments as c')
    .innerJoin('users as u', 'u.id', 'c.author_id')
    .select(['c.id', 'c.thread_id', 'c.version', 'c.body', 'u.email as author', 'c.created_at'])
    .where('c.exception_id', '=', exceptionId)
    .orderBy('c.created_at')
    .orderBy('c.version')
    .execute();
}

export async function exceptionRetests(tx: Tx, exceptionId: string) {
  return await tx
    .selectFrom('exception_retests as r')
    .innerJoin('runs', 'runs.id', 'r.run_id')
    .innerJoin('users as u', 'u.id', 'r.requested_by')
    .select([
      'r.run_id',
      'u.email as requested_by',
      'r.requested_at',
      'runs.status as run_status',
      sql<boolean>`EXISTS (
        SELECT 1 FROM run_exceptions AS found
         WHERE found.run_id = r.run_id AND found.exception_id = r.exception_id)`.as('present'),
    ])
    .where('r.exception_id', '=', exceptionId)
    .orderBy('r.requested_at')
    .execute();
}

/** Emails of users by id, for showing who acted. */
export async function userEmails(
  tx: Tx,
  ids: readonly (string | null)[],
): Promise<Map<string, string>> {
  const userIds = [...new Set(ids.filter((id): id is string => id !== null))];
  if (userIds.length === 0) return new Map();
  const rows = await tx
    .selectFrom('users')
    .select(['id', 'email'])
    .where('id', 'in', userIds)
    .execute();
  return new Map(rows.map((row) => [row.id, row.email]));
}
