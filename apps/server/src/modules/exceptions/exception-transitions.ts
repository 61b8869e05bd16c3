import { sql, type UpdateObject } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Database, Disposition, ExceptionStatus } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import { type Permission, rolesHolding } from '../access/permissions.ts';
import type { SeparationOfDuties, SodCheck } from '../access/separation-of-duties.ts';
import type { AuditAction } from '../audit-trail/audit-actions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext, UserActor } from '../identity/actor.ts';
import { assertRevision, assertStepAllowed, type WorkflowStep } from './exception-states.ts';
import {
  type ExceptionRow,
  insertExceptionEvents,
  lockExceptions,
  type NewExceptionEvent,
} from './exceptions.repository.ts';
import { assertNotSignedOff } from './sign-offs/sign-offs.service.ts';

export interface StepOptions {
  /** The revision the caller last read; only checked when one exception is named. */
  revision?: number | undefined;
  comment?: string | undefined;
  context?: RequestContext | undefined;
}

export interface Proposal {
  disposition: Disposition;
  rationale: string;
  duplicateOf?: string | undefined;
}

/** The state of each exception after a step, in the order of the request. */
export type StepResult = { id: string; status: ExceptionStatus; revision: number }[];

export interface ExceptionTransitions {
  assign(
    actor: Actor,
    ids: readonly string[],
    assigneeEmail: string,
    options: StepOptions,
  ): Promise<StepResult>;
  propose(
    actor: Actor,
    ids: readonly string[],
    proposal: Proposal,
    options: StepOptions,
  ): Promise<StepResult>;
  approve(actor: Actor, id: string, options: StepOptions): Promise<StepResult>;
  /** Return a proposal to its preparer; `options.comment`, the reason, is required. */
  return(actor: Actor, id: string, options: StepOptions): Promise<StepResult>;
  acceptRisk(actor: Actor, id: string, options: StepOptions): Promise<StepResult>;
  /** Decline a risk acceptance; `options.comment`, the reason, is required. */
  declineRisk(actor: Actor, id: string, options: StepOptions): Promise<StepResult>;
}

/** The change one step makes to one locked exception: new columns, a history row and an audit event. */
interface StepChange {
  values: UpdateObject<Database, 'exceptions'>;
  event: Omit<NewExceptionEvent, 'exception_id' | 'entity_id' | 'from_status' | 'actor_id'>;
  audit: { action: AuditAction; details: Record<string, unknown> };
}

interface StepDefinition {
  step: WorkflowStep;
  permission: Permission;
  /** Checks beyond state and permission (separation of duties, assignee); then the change. */
  plan(tx: Tx, actor: UserActor, exception: ExceptionRow, check: SodCheck): Promise<StepChange>;
}

/** Reject a return or decline without a reason, which the preparer needs to act on. */
function requireComment(options: StepOptions): void {
  if (options.comment !== undefined && options.comment.trim() !== '') return;
  throw new AppError('VALIDATION_FAILED', {
    detail: 'A return or decline needs a comment that tells the preparer what to do next.',
  });
}

function notFound(ids: readonly string[]): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No exception ${ids.join(', ')} is visible to you. Find exceptions with GET /api/v1/exceptions.`,
  });
}

/** The proposal columns, empty: a return or a reopening clears them. */
const NO_PROPOSAL = {
  disposition: null,
  rationale: null,
  duplicate_of: null,
  proposed_by: null,
  proposed_at: null,
  reviewed_by: null,
  reviewed_at: null,
} satisfies UpdateObject<Database, 'exceptions'>;

export function createExceptionTransitions(deps: {
  db: Db;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
  securityEvents: SecurityEvents;
}): ExceptionTransitions {
  const { db, access, separationOfDuties: sod } = deps;

  /**
   * Run one step on each exception in one transaction: lock them, check
   * scope and permission per entity, state, revision and sign-offs, then
   * the step's own rules, and write the change, its history row and its
   * audit event. Any failure leaves every exception as it was.
   */
  const runStep = async (
    actor: Actor,
    ids: readonly string[],
    definition: StepDefinition,
    options: StepOptions,
  ): Promise<StepResult> => {
    if (actor.type !== 'user') {
      throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user works on exceptions.' });
    }
    return await withActor(db, actor, async (tx) => {
      const rows = await lockExceptions(tx, ids);
      const missing = ids.filter((id) => !rows.some((row) => row.id === id));
      if (missing.length > 0) throw notFound(missing);

      const authorized = new Set<string>();
      for (const row of rows) {
        if (authorized.has(row.entity_id)) continue;
        await access.authorize(
          tx,
          actor,
          definition.permission,
          { type: 'exception', id: row.id, entityId: row.entity_id },
          { context: options.context, notFound: () => notFound([row.id]) },
        );
        authorized.add(row.entity_id);
      }

      const results = new Map<string, { status: ExceptionStatus; revision: number }>();
      for (const row of rows) {
        if (ids.length === 1) assertRevision(row, options.revision);
        assertStepAllowed(definition.step, row);
        await assertNotSignedOff(tx, row);
        const check: SodCheck = {
          actor,
          target: { type: 'exception', id: row.id, entityId: row.entity_id },
          context: options.context,
        };
        const change = await definition.plan(tx, actor, row, check);

        const updated = await tx
          .updateTable('exceptions')
          .set(change.values)
          .where('id', '=', row.id)
          .returning(['status', 'revision'])
          .executeTakeFirstOrThrow();
        await insertExceptionEvents(tx, [
          {
            ...change.event,
            exception_id: row.id,
            entity_id: row.entity_id,
            from_status: row.status,
            actor_id: actor.userId,
            comment: change.event.comment ?? options.comment ?? null,
          },
        ]);
        await appendAuditEvent(tx, {
          actor,
          action: change.audit.action,
          outcome: 'success',
          target: { type: 'exception', id: row.id },
          entityId: row.entity_id,
          ...(options.context ? { context: options.context } : {}),
          details: {
            testKey: row.test_key,
            fromStatus: row.status,
            toStatus: updated.status,
            ...change.audit.details,
          },
        });
        results.set(row.id, updated);
      }
      return ids.map((id) => {
        const result = results.get(id);
        if (result === undefined) throw new Error(`exception ${id} was locked but not updated`);
        return { id, ...result };
      });
    });
  };

  /**
   * Separation of duties for every decision on a proposal: a user decides,
   * not the proposer, and not anyone who has prepared the exception, that
   * is, been assigned it or proposed a disposition for it at any time.
   */
  const decisionChecks = async (tx: Tx, row: ExceptionRow, check: SodCheck) => {
    await sod.assertHumanApprover(check);
    await sod.assertNotProposer(check, row.proposed_by);
    const actorId = check.actor.type === 'user' ? check.actor.userId : null;
    const prepared = await tx
      .selectFrom('exception_events')
      .select('id')
      .where('exception_id', '=', row.id)
      .where((eb) =>
        eb.or([
          eb.and([eb('action', '=', 'assigned'), eb('assignee_id', '=', actorId)]),
          eb.and([eb('action', '=', 'proposed'), eb('actor_id', '=', actorId)]),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    await sod.assertNotPreparer(check, prepared === undefined ? row.assignee_id : actorId);
  };

  return {
    async assign(actor, ids, assigneeEmail, options) {
      return await runStep(
        actor,
        ids,
        {
          step: 'assign',
          permission: 'exceptions.assign',
          async plan(tx, _actor, row) {
            const assignee = await tx
              .selectFrom('users')
              .select(['id', 'email'])
              .where(sql`lower(email)`, '=', assigneeEmail.toLowerCase())
              .executeTakeFirst();
            const investigators = rolesHolding('exceptions.investigate');
            const eligible =
              assignee !== undefined &&
              (
                await sql<{ holds: boolean }>`
                  SELECT peytonix_user_holds(${assignee.id}, ${row.entity_id}, ${[...investigators]}::text[]) AS holds`.execute(
                  tx,
                )
              ).rows[0]?.holds === true;
            if (assignee === undefined || !eligible) {
              throw new AppError('BUSINESS_RULE_VIOLATED', {
                detail: `${assigneeEmail} is not an active user with the ${investigators.join(' or ')} role on entity ${row.entity_code}, so the exception cannot be assigned to them. Pick a preparer of that entity.`,
              });
            }
            return {
              values: { status: 'in_progress', assignee_id: assignee.id },
              event: { action: 'assigned', to_status: 'in_progress', assignee_id: assignee.id },
              audit: {
                action: 'exception.assigned',
                details: { assignee: assignee.email, previousAssigneeId: row.assignee_id },
              },
            };
          },
        },
        options,
      );
    },

    async propose(actor, ids, proposal, options) {
      return await runStep(
        actor,
        ids,
        {
          step: 'propose',
          permission: 'exceptions.investigate',
          async plan(tx, user, row) {
            if (row.assignee_id !== user.userId) {
              // Audited like any denial, in its own transaction, because this one rolls back.
              await deps.securityEvents.recordDenial({
                actor: user,
                action: 'access.denied',
                outcome: 'denied',
                reasonCode: 'NOT_ASSIGNEE',
                target: { type: 'exception', id: row.id },
                entityId: row.entity_id,
                ...(options.context ? { context: options.context } : {}),
                details: { permission: 'exceptions.investigate', assigneeId: row.assignee_id },
              });
              throw new AppError('FORBIDDEN', {
                detail: `Exception ${row.id} is assigned to someone else; only its assignee proposes a disposition. Ask for it to be assigned to you.`,
              });
            }
            const duplicateOf = await checkDuplicateTarget(tx, row, proposal);
            return {
              values: {
                status: 'proposed',
                disposition: proposal.disposition,
                rationale: proposal.rationale,
                duplicate_of: duplicateOf,
                proposed_by: user.userId,
                proposed_at: sql<Date>`now()`,
              },
              event: {
                action: 'proposed',
                to_status: 'proposed',
                disposition: proposal.disposition,
                rationale: proposal.rationale,
              },
              audit: {
                action: 'exception.disposition_proposed',
                details: { disposition: proposal.disposition, duplicateOf },
              },
            };
          },
        },
        options,
      );
    },

    async approve(actor, id, options) {
      return await runStep(
        actor,
        [id],
        {
          step: 'approve',
          permission: 'exceptions.review',
          async plan(tx, user, row, check) {
            await decisionChecks(tx, row, check);
            const closes = row.disposition !== 'risk_accepted';
            const now = sql<Date>`now()`;
            return {
              values: {
                status: closes ? 'closed' : 'proposed',
                reviewed_by: user.userId,
                reviewed_at: now,
                ...(closes ? { closed_at: now } : {}),
              },
              event: {
                action: 'approved',
                to_status: closes ? 'closed' : 'proposed',
                disposition: row.disposition,
              },
              audit: {
                action: 'exception.disposition_approved',
                details: { disposition: row.disposition, awaitsRiskAcceptance: !closes },
              },
            };
          },
        },
        options,
      );
    },

    async return(actor, id, options) {
      requireComment(options);
      return await runStep(
        actor,
        [id],
        {
          step: 'return',
          permission: 'exceptions.review',
          async plan(tx, _user, row, check) {
            await decisionChecks(tx, row, check);
            return {
              values: { status: 'in_progress', ...NO_PROPOSAL },
              event: { action: 'returned', to_status: 'in_progress', disposition: row.disposition },
              audit: {
                action: 'exception.disposition_returned',
                details: { disposition: row.disposition, comment: options.comment },
              },
            };
          },
        },
        options,
      );
    },

    async acceptRisk(actor, id, options) {
      return await runStep(
        actor,
        [id],
        {
          step: 'accept_risk',
          permission: 'risk.accept',
          async plan(tx, user, row, check) {
            await decisionChecks(tx, row, check);
            await sod.assertNotRiskReviewer(check, row.reviewed_by);
            const now = sql<Date>`now()`;
            return {
              values: {
                status: 'closed',
                risk_accepted_by: user.userId,
                risk_accepted_at: now,
                closed_at: now,
              },
              event: { action: 'risk_accepted', to_status: 'closed', disposition: row.disposition },
              audit: {
                action: 'exception.risk_accepted',
                details: { reviewedBy: row.reviewed_by },
              },
            };
          },
        },
        options,
      );
    },

    async declineRisk(actor, id, options) {
      requireComment(options);
      return await runStep(
        actor,
        [id],
        {
          step: 'decline_risk',
          permission: 'risk.accept',
          async plan(tx, _user, row, check) {
            await decisionChecks(tx, row, check);
            await sod.assertNotRiskReviewer(check, row.reviewed_by);
            return {
              values: { status: 'in_progress', ...NO_PROPOSAL },
              event: { action: 'returned', to_status: 'in_progress', disposition: row.disposition },
              audit: {
                action: 'exception.risk_declined',
                details: { reviewedBy: row.reviewed_by, comment: options.comment },
              },
            };
          },
        },
        options,
      );
    },
  };
}

/**
 * Check the exception that a duplicate disposition points at: required for
 * duplicate and rejected otherwise, visible to the proposer, not the
 * exception itself, and not a duplicate itself, so chains never form.
 */
async function checkDuplicateTarget(
  tx: Tx,
  row: ExceptionRow,
  proposal: Proposal,
): Promise<string | null> {
  if (proposal.disposition !== 'duplicate') {
    if (proposal.duplicateOf !== undefined) {
      throw new AppError('VALIDATION_FAILED', {
        detail: `duplicateOf applies only to the disposition duplicate, not ${proposal.disposition}. Remove it.`,
      });
    }
    return null;
  }
  if (proposal.duplicateOf === undefined) {
    throw new AppError('VALIDATION_FAILED', {
      detail:
        'The disposition duplicate needs duplicateOf: the id of the exception this one repeats.',
    });
  }
  if (proposal.duplicateOf === row.id) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Exception ${row.id} cannot be a duplicate of itself. Name the other exception in duplicateOf.`,
    });
  }
  const original = await tx
    .selectFrom('exceptions')
    .select(['id', 'disposition'])
    .where('id', '=', proposal.duplicateOf)
    .executeTakeFirst();
  if (original === undefined) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `duplicateOf names exception ${proposal.duplicateOf}, which is not visible to you. Name an exception you can see.`,
    });
  }
  // Nor may this exception be what others already duplicate, or the chain would grow from below.
  const duplicatedBy = await tx
    .selectFrom('exceptions')
    .select('id')
    .where('duplicate_of', '=', row.id)
    .limit(1)
    .executeTakeFirst();
  if (duplicatedBy !== undefined) {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `Exception ${row.id} is itself named as the original of ${duplicatedBy.id}, so it cannot be a duplicate. Close ${duplicatedBy.id} as a duplicate of ${proposal.duplicateOf} instead.`,
    });
  }
  if (original.disposition === 'duplicate') {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `Exception ${original.id} is itself proposed or closed as a duplicate. Name the exception it duplicates instead.`,
    });
  }
  return original.id;
}
