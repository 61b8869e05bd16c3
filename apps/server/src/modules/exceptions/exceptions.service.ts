import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../platform/db/keyset-cursor.ts';
import type { Disposition, ExceptionStatus } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { RunsService } from '../runs/runs.service.ts';
import { findTestByKey } from '../tests/test-definitions.repository.ts';
import { type Assignee, entityNotFound, listAssignees } from './exception-assignees.ts';
import type { ExceptionTransitions } from './exception-transitions.ts';
import {
  type ExceptionListRow,
  exceptionComments,
  exceptionHistory,
  exceptionRetests,
  insertExceptionEvents,
  listExceptions,
  lockExceptions,
  userEmails,
} from './exceptions.repository.ts';
import { findCoveringSignOff } from './sign-offs/sign-offs.service.ts';

export interface ExceptionListQuery {
  entity: string;
  test?: string | undefined;
  run?: string | undefined;
  status?: ExceptionStatus[] | undefined;
  severity?: string[] | undefined;
  assignee?: string | undefined;
  minAgeDays?: number | undefined;
  maxAgeDays?: number | undefined;
  q?: string | undefined;
  limit: number;
  after?: string | undefined;
}

export interface ExceptionSummary {
  id: string;
  testKey: string;
  entityCode: string;
  status: ExceptionStatus;
  severity: 'low' | 'medium' | 'high' | 'critical';
  dueOn: string | null;
  overdue: boolean;
  ageDays: number;
  assignee: string | null;
  disposition: Disposition | null;
  keyValues: unknown[];
  firstRunId: string;
  lastRunId: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** An exception with its history, comments and retests. */
export type ExceptionDetail = Awaited<ReturnType<typeof toDetail>>;

export interface ExceptionsService extends ExceptionTransitions {
  list(
    actor: Actor,
    query: ExceptionListQuery,
  ): Promise<{ items: ExceptionSummary[]; next: string | null }>;
  show(actor: Actor, id: string): Promise<ExceptionDetail>;
  /** List the users that exceptions of the entity can be assigned to; needs exceptions.assign there. */
  assignees(actor: Actor, entityCode: string): Promise<{ items: Assignee[] }>;
  /** Add a comment; with `threadId`, add a new version of that comment, which only its author may do. */
  comment(
    actor: Actor,
    id: string,
    body: string,
    options: { threadId?: string | undefined; context?: RequestContext | undefined },
  ): Promise<{ id: string; threadId: string; version: number }>;
  /** Queue a run of the exceptions' test and link it to them as their retest. */
  retest(
    actor: Actor,
    request: {
      exceptionIds: readonly string[];
      inputs: Record<string, { dataset: string; version?: number | undefined }>;
      fieldMap: Record<string, string>;
    },
    context?: RequestContext,
  ): Promise<{ runId: string; exceptionIds: string[] }>;
}

function exceptionNotFound(id: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No exception ${id} is visible to you. Find exceptions with GET /api/v1/exceptions.`,
  });
}

/** Decode the position after which a page starts, in the form listExceptions filters by. */
function afterPosition(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const { at, id } = decodeCursor(cursor);
  return { createdAt: at, id };
}

function cursorOf(row: ExceptionListRow): string {
  return encodeCursor({ at: row.cursor_at, id: row.id });
}

function toSummary(row: ExceptionListRow): ExceptionSummary {
  return {
    id: row.id,
    testKey: row.test_key,
    entityCode: row.entity_code,
    status: row.status,
    severity: row.severity as ExceptionSummary['severity'],
    dueOn: row.due_on,
    overdue: row.overdue,
    ageDays: Number(row.age_days),
    assignee: row.assignee_email,
    disposition: row.disposition as Disposition | null,
    keyValues: row.key_values as unknown[],
    firstRunId: row.first_run_id,
    lastRunId: row.last_run_id,
    revision: row.revision,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** An exception with its history, comments and retests, as GET /api/v1/exceptions/{id} returns it. */
async function toDetail(tx: Tx, id: string) {
  const [row] = await lockExceptionsForRead(tx, id);
  if (row === undefined) throw exceptionNotFound(id);
  const emails = await userEmails(tx, [
    row.assignee_id,
    row.proposed_by,
    row.reviewed_by,
    row.risk_accepted_by,
  ]);
  const email = (userId: string | null) => (userId === null ? null : (emails.get(userId) ?? null));
  const iso = (value: Date | null) => value?.toISOString() ?? null;

  return {
    id: row.id,
    testId: row.test_id,
    testKey: row.test_key,
    entityCode: row.entity_code,
    status: row.status,
    severity: row.severity,
    dueOn: row.due_on_text,
    overdue: row.overdue === true,
    ageDays: Number(row.age_days),
    assignee: email(row.assignee_id),
    disposition: row.disposition,
    keyValues: row.key_values as unknown[],
    payload: row.payload as Record<string, unknown>,
    firstRunId: row.first_run_id,
    lastRunId: row.last_run_id,
    revision: row.revision,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    rationale: row.rationale,
    duplicateOf: row.duplicate_of,
    proposedBy: email(row.proposed_by),
    proposedAt: iso(row.proposed_at),
    reviewedBy: email(row.reviewed_by),
    reviewedAt: iso(row.reviewed_at),
    riskAcceptedBy: email(row.risk_accepted_by),
    riskAcceptedAt: iso(row.risk_accepted_at),
    closedAt: iso(row.closed_at),
    closedRunId: row.closed_run_id,
    closedReason: row.closed_reason,
    reopenedRunId: row.reopened_run_id,
    signedOff: await findCoveringSignOff(tx, row),
    history: (await exceptionHistory(tx, id)).map((event) => ({
      action: event.action,
      fromStatus: event.from_status,
      toStatus: event.to_status,
      actor: event.actor_email,
      assignee: event.assignee_email,
      disposition: event.disposition,
      rationale: event.rationale,
      comment: event.comment,
      runId: event.run_id,
      at: event.created_at.toISOString(),
    })),
    comments: (await exceptionComments(tx, id)).map((comment) => ({
      id: comment.id,
      threadId: comment.thread_id,
      version: comment.version,
      body: comment.body,
      author: comment.author,
      createdAt: comment.created_at.toISOString(),
    })),
    retests: (await exceptionRetests(tx, id)).map((retest) => ({
      runId: retest.run_id,
      requestedBy: retest.requested_by,
      requestedAt: retest.requested_at.toISOString(),
      runStatus: retest.run_status,
      result:
        retest.run_status !== 'succeeded'
          ? ('pending' as const)
          : retest.present
            ? ('present' as const)
            : ('absent' as const),
    })),
  };
}

/** Read one exception with its test key and entity code; reads take no lock. */
async function lockExceptionsForRead(tx: Tx, id: string) {
  return await tx
    .selectFrom('exceptions as e')
    .innerJoin('test_definitions as t', 't.id', 'e.test_id')
    .innerJoin('entities as n', 'n.id', 'e.entity_id')
    .selectAll('e')
    .select([
      't.key as test_key',
      'n.code as entity_code',
      sql<string | null>`to_char(e.due_on, 'YYYY-MM-DD')`.as('due_on_text'),
      sql<boolean>`e.status <> 'closed' AND e.due_on < current_date`.as('overdue'),
      sql<number>`current_date - e.created_at::date`.as('age_days'),
    ])
    .where('e.id', '=', id)
    .execute();
}

export function createExceptionsService(deps: {
  db: Db;
  access: AccessControl;
  securityEvents: SecurityEvents;
  transitions: ExceptionTransitions;
  runs: Pick<RunsService, 'request'>;
}): ExceptionsService {
  const { db, access, transitions } = deps;

  const authorizeException = async (
    tx: Tx,
    actor: Actor,
    row: { id: string; entity_id: string },
    permission: Permission,
    context?: RequestContext,
  ) => {
    await access.authorize(
      tx,
      actor,
      permission,
      { type: 'exception', id: row.id, entityId: row.entity_id },
      { context, notFound: () => exceptionNotFound(row.id) },
    );
  };

  return {
    ...transitions,

    async list(actor, query) {
      return await withActor(db, actor, async (tx) => {
        const entity = await findEntityByCode(tx, query.entity);
        const entityMissing = () => entityNotFound(query.entity);
        if (entity === undefined) throw entityMissing();
        await access.authorize(
          tx,
          actor,
          'exceptions.read',
          { type: 'entity', id: entity.id, entityId: entity.id },
          { notFound: entityMissing },
        );

        // The entity's subtree, narrowed to where the actor may read exceptions.
        const readable = new Set(await access.entitiesWith(tx, actor, 'exceptions.read'));
        const subtree = await tx
          .selectFrom('entity_closure')
          .select('descendant_id')
          .where('ancestor_id', '=', entity.id)
          .execute();
        const entityIds = subtree.map((row) => row.descendant_id).filter((id) => readable.has(id));

        let testId: string | undefined;
        if (query.test !== undefined) {
          const test = await findTestByKey(tx, entity.id, query.test);
          if (test === undefined) {
            throw new AppError('RESOURCE_NOT_FOUND', {
              detail: `Entity ${entity.code} has no test ${JSON.stringify(query.test)}. List tests with GET /api/v1/tests.`,
            });
          }
          testId = test.id;
        }

        let assigneeId: string | null | undefined;
        if (query.assignee === 'none') assigneeId = null;
        else if (query.assignee === 'me') assigneeId = actor.type === 'user' ? actor.userId : null;
        else if (query.assignee !== undefined) {
          const user = await tx
            .selectFrom('users')
            .select('id')
            .where('email', '=', query.assignee.toLowerCase())
            .executeTakeFirst();
          // An unknown email matches nothing, like any other filter value.
          assigneeId = user?.id ?? '00000000-0000-0000-0000-000000000000';
        }

        const rows = await listExceptions(tx, {
          entityIds,
          testId,
          runId: query.run,
          statuses: query.status,
          severities: query.severity,
          assigneeId,
          minAgeDays: query.minAgeDays,
          maxAgeDays: query.maxAgeDays,
          text: query.q,
          after: afterPosition(query.after),
          limit: query.limit,
        });
        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        return {
          items: page.map(toSummary),
          next: rows.length > query.limit && last !== undefined ? cursorOf(last) : null,
        };
      });
    },

    async show(actor, id) {
      return await withActor(db, actor, async (tx) => {
        const [row] = await lockExceptionsForRead(tx, id);
        if (row === undefined) throw exceptionNotFound(id);
        await authorizeException(tx, actor, row, 'exceptions.read');
        return await toDetail(tx, id);
      });
    },

    async assignees(actor, entityCode) {
      return await listAssignees(deps, actor, entityCode);
    },

    async comment(actor, id, body, options) {
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user comments.' });
      }
      return await withActor(db, actor, async (tx) => {
        const [row] = await lockExceptionsForRead(tx, id);
        if (row === undefined) throw exceptionNotFound(id);
        await authorizeException(tx, actor, row, 'exceptions.investigate', options.context);

        let threadId: string | undefined;
        let version = 1;
        if (options.threadId !== undefined) {
          // One edit of a thread at a time, so two edits cannot both take the next version.
          await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`comment:${options.threadId}`}, 0))`.execute(
            tx,
          );
          const latest = await tx
            .selectFrom('exception_comments')
            .select(['thread_id', 'version', 'author_id'])
            .where('thread_id', '=', options.threadId)
            .where('exception_id', '=', id)
            .orderBy('version', 'desc')
            .limit(1)
            .executeTakeFirst();
          if (latest === undefined) {
            throw new AppError('RESOURCE_NOT_FOUND', {
              detail: `Exception ${id} has no comment ${options.threadId}. Read its comments with GET /api/v1/exceptions/${id}.`,
            });
          }
          if (latest.author_id !== actor.userId) {
            await deps.securityEvents.recordDenial({
              actor,
              action: 'access.denied',
              outcome: 'denied',
              reasonCode: 'NOT_AUTHOR',
              target: { type: 'exception', id },
              entityId: row.entity_id,
              ...(options.context ? { context: options.context } : {}),
              details: { permission: 'exceptions.investigate', threadId: latest.thread_id },
            });
            throw new AppError('FORBIDDEN', {
              detail:
                'Only the author of a comment can edit it. Add a comment of your own instead.',
            });
          }
          threadId = latest.thread_id;
          version = latest.version + 1;
        }

        const commentId = randomUUID();
        const inserted = await tx
          .insertInto('exception_comments')
          .values({
            id: commentId,
            exception_id: id,
            entity_id: row.entity_id,
            // The first version's own id names the thread.
            thread_id: threadId ?? commentId,
            version,
            body,
            author_id: actor.userId,
          })
          .returning(['id', 'thread_id', 'version'])
          .executeTakeFirstOrThrow();
        await appendAuditEvent(tx, {
          actor,
          action: 'exception.commented',
          outcome: 'success',
          target: { type: 'exception', id },
          entityId: row.entity_id,
          ...(options.context ? { context: options.context } : {}),
          details: {
            commentId: inserted.id,
            threadId: inserted.thread_id,
            version: inserted.version,
          },
        });
        return { id: inserted.id, threadId: inserted.thread_id, version: inserted.version };
      });
    },

    async retest(actor, request, context) {
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user requests a retest.' });
      }
      const ids = [...request.exceptionIds];
      const target = await withActor(db, actor, async (tx) => {
        const rows = await lockExceptions(tx, ids);
        const missing = ids.filter((id) => !rows.some((row) => row.id === id));
        if (missing.length > 0) throw exceptionNotFound(missing.join(', '));
        const first = rows[0];
        if (first === undefined) throw exceptionNotFound(ids.join(', '));
        if (rows.some((row) => row.test_id !== first.test_id)) {
          throw new AppError('VALIDATION_FAILED', {
            detail:
              'A retest reruns one test, so every exception must belong to the same test. Split the request by test.',
          });
        }
        for (const row of rows) {
          await authorizeException(tx, actor, row, 'exceptions.investigate', context);
          if (row.status === 'closed' && row.disposition !== 'remediated') {
            throw new AppError('BUSINESS_RULE_VIOLATED', {
              detail: `Exception ${row.id} is closed as ${row.disposition ?? 'absent from a run'}; only open work or remediated exceptions are retested.`,
            });
          }
        }
        return { testKey: first.test_key, entityCode: first.entity_code, testId: first.test_id };
      });

      const queued = await deps.runs.request(
        actor,
        {
          entityCode: target.entityCode,
          test: target.testKey,
          inputs: request.inputs,
          fieldMap: request.fieldMap,
          parameters: {},
          preview: false,
          via: 'api',
          async onQueued(tx, run) {
            if (run.testId !== target.testId) {
              throw new Error(
                `retest run ${run.runId} is of test ${run.testId}, not ${target.testId}`,
              );
            }
            const rows = await lockExceptions(tx, ids);
            await tx
              .insertInto('exception_retests')
              .values(
                rows.map((row) => ({
                  exception_id: row.id,
                  run_id: run.runId,
                  entity_id: row.entity_id,
                  requested_by: actor.userId,
                })),
              )
              .execute();
            await insertExceptionEvents(
              tx,
              rows.map((row) => ({
                exception_id: row.id,
                entity_id: row.entity_id,
                action: 'retest_requested' as const,
                from_status: row.status,
                to_status: row.status,
                actor_id: actor.userId,
                run_id: run.runId,
              })),
            );
            for (const row of rows) {
              await appendAuditEvent(tx, {
                actor,
                action: 'exception.retest_requested',
                outcome: 'success',
                target: { type: 'exception', id: row.id },
                entityId: row.entity_id,
                ...(context ? { context } : {}),
                details: { runId: run.runId, testKey: row.test_key },
              });
            }
          },
        },
        context,
      );
      return { runId: queued.runId, exceptionIds: ids };
    },
  };
}
