import type {
  ApproveChangeRequestInput,
  ChangeRequest,
  RejectChangeRequestInput,
} from '@peytonix/contracts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { SeparationOfDuties } from '../access/separation-of-duties.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext, UserActor } from '../identity/actor.ts';
import type { RegisteredChangeKind } from './change-kind.ts';
import {
  changeRequestClosed,
  changeRequestNotFound,
  toChangeRequest,
  toStoredChange,
} from './change-request-view.ts';
import {
  type ChangeRequestRow,
  closeUndecided,
  findChangeRequest,
  recordApplied,
  recordApproval,
  recordRejection,
} from './change-requests.repository.ts';
import { sameState } from './diff-hash.ts';

export interface ChangeDecisions {
  approve(
    actor: Actor,
    id: string,
    input: ApproveChangeRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
  reject(
    actor: Actor,
    id: string,
    input: RejectChangeRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
}

/**
 * A decision either commits its result, or commits the request's closing
 * (it expired or went stale) and then fails: the closing must persist,
 * so it cannot be thrown from inside the transaction.
 */
type Decision =
  | { outcome: 'decided'; request: ChangeRequest }
  | { outcome: 'expired'; id: string }
  | { outcome: 'stale'; id: string };

function staleRequest(id: string): AppError {
  return new AppError('CHANGE_REQUEST_STALE', {
    detail: `The target of change request ${id} changed after the request was made, so the request is now stale and was not applied. Review the current state and make a new request.`,
    extensions: { requestStatus: 'stale' },
  });
}

function diffMismatch(sent: string, row: ChangeRequestRow): AppError {
  const expected = row.diff_sha256.toString('hex');
  return new AppError('CHANGE_REQUEST_DIFF_MISMATCH', {
    detail: `The diffSha256 ${sent} is not the hash of the diff of change request ${row.id}, which is ${expected}. Reload the request, review its before and after states, and approve with its diffSha256.`,
    extensions: { diffSha256: expected },
  });
}

function settle(decision: Decision): ChangeRequest {
  switch (decision.outcome) {
    case 'decided':
      return decision.request;
    case 'expired':
      throw changeRequestClosed(decision.id, 'expired');
    case 'stale':
      throw staleRequest(decision.id);
  }
}

/**
 * Create the approve and reject operations. Both lock the request row
 * (SELECT ... FOR UPDATE), so of two concurrent deciders the second reads
 * the first one's result and gets CHANGE_REQUEST_CLOSED. Separation of
 * duties applies to every decision: only a signed-in person decides, and
 * never the request's author.
 */
export function createChangeDecisions(deps: {
  db: Db;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
  kinds: ReadonlyMap<string, RegisteredChangeKind>;
}): ChangeDecisions {
  const { db, access, separationOfDuties, kinds } = deps;

  /** Reject AI and service principals before anything is loaded, because they may not decide at all. */
  const assertHumanDecider = async (
    actor: Actor,
    id: string,
    context: RequestContext | undefined,
  ): Promise<UserActor> => {
    await separationOfDuties.assertHumanApprover({
      actor,
      target: { type: 'change_request', id },
      context,
    });
    // Unreachable: assertHumanApprover raises for every other principal. This narrows the type.
    if (actor.type !== 'user') throw new Error('assertHumanApprover let a non-user through');
    return actor;
  };

  /** Load and lock the request, and authorize the decider on its entity. */
  const loadForDecision = async (
    tx: Tx,
    actor: UserActor,
    id: string,
    context: RequestContext | undefined,
  ): Promise<ChangeRequestRow> => {
    const row = await findChangeRequest(tx, id, { lock: true });
    if (row === undefined) throw changeRequestNotFound(id);

    const target = { type: 'change_request', id, entityId: row.entity_id };
    await access.authorize(tx, actor, 'change_requests.decide', target, {
      context,
      notFound: () => changeRequestNotFound(id),
    });
    await separationOfDuties.assertNotAuthor({ actor, target, context }, row.requested_by);
    return row;
  };

  const expire = async (
    tx: Tx,
    actor: Actor,
    row: ChangeRequestRow,
    context: RequestContext | undefined,
  ): Promise<Decision> => {
    await closeUndecided(tx, row.id, 'expired');
    await appendAuditEvent(tx, {
      actor,
      action: 'change_request.expired',
      outcome: 'success',
      target: { type: 'change_request', id: row.id },
      entityId: row.entity_id,
      ...(context ? { context } : {}),
      details: { kind: row.kind, target: row.target_key, expiresAt: row.expires_at.toISOString() },
    });
    return { outcome: 'expired', id: row.id };
  };

  /**
   * Refuse to apply a request whose author is no longer active: a
   * suspended or deprovisioned account may have been misused, so its open
   * requests are rejected, not applied.
   */
  const assertAuthorActive = async (tx: Tx, row: ChangeRequestRow) => {
    const author = await tx
      .selectFrom('users')
      .select(['email', 'status'])
      .where('id', '=', row.requested_by)
      .executeTakeFirst();
    if (author?.status === 'active') return;

    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `The author of change request ${row.id} (${author?.email ?? row.requested_by}) is ${author?.status ?? 'unknown'}, so the request cannot be approved. Reject it, and make a new request if the change is still needed.`,
    });
  };

  const kindOf = (row: ChangeRequestRow): RegisteredChangeKind => {
    const kind = kinds.get(row.kind);
    if (kind === undefined) {
      throw new AppError('BUSINESS_RULE_VIOLATED', {
        detail: `This server does not support the change kind ${row.kind}, so it cannot apply request ${row.id}. Reject the request instead.`,
      });
    }
    return kind;
  };

  const reloaded = async (tx: Tx, id: string): Promise<ChangeRequest> => {
    const row = await findChangeRequest(tx, id, { lock: false });
    if (row === undefined) throw changeRequestNotFound(id);
    return toChangeRequest(row);
  };

  return {
    async approve(actor, id, input, context) {
      const approver = await assertHumanDecider(actor, id, context);

      const decision = await withActor(db, approver, async (tx): Promise<Decision> => {
        const row = await loadForDecision(tx, approver, id, context);
        if (row.past_expiry) return await expire(tx, approver, row, context);
        if (row.status !== 'pending') throw changeRequestClosed(id, row.status);

        const kind = kindOf(row);
        const change = toStoredChange(row);
        await kind.authorizeApprover(tx, approver, change, { context });
        await assertAuthorActive(tx, row);
        if (!row.diff_sha256.equals(Buffer.from(input.diffSha256, 'hex'))) {
          throw diffMismatch(input.diffSha256, row);
        }

        const current = await kind.readState(tx, change);
        if (!sameState(current, row.before_state)) {
          await closeUndecided(tx, id, 'stale');
          await appendAuditEvent(tx, {
            actor: approver,
            action: 'change_request.stale',
            outcome: 'success',
            target: { type: 'change_request', id },
            entityId: row.entity_id,
            ...(context ? { context } : {}),
            details: { kind: row.kind, target: row.target_key },
          });
          return { outcome: 'stale', id };
        }

        await recordApproval(tx, id, {
          decidedBy: approver.userId,
          note: input.note ?? null,
          approvedDiffSha256: row.diff_sha256,
        });
        await appendAuditEvent(tx, {
          actor: approver,
          action: 'change_request.approved',
          outcome: 'success',
          target: { type: 'change_request', id },
          entityId: row.entity_id,
          ...(context ? { context } : {}),
          details: {
            kind: row.kind,
            target: row.target_key,
            approvedDiffSha256: input.diffSha256,
            requestedBy: row.requested_by,
            requestedByType: row.requested_by_type,
            ...(input.note !== undefined ? { note: input.note } : {}),
          },
        });

        await kind.apply(tx, approver, change, { context });
        await recordApplied(tx, id);
        await appendAuditEvent(tx, {
          actor: approver,
          action: 'change_request.applied',
          outcome: 'success',
          target: { type: 'change_request', id },
          entityId: row.entity_id,
          ...(context ? { context } : {}),
          details: { kind: row.kind, target: row.target_key },
        });
        return { outcome: 'decided', request: await reloaded(tx, id) };
      });
      return settle(decision);
    },

    async reject(actor, id, input, context) {
      const decider = await assertHumanDecider(actor, id, context);

      const decision = await withActor(db, decider, async (tx): Promise<Decision> => {
        const row = await loadForDecision(tx, decider, id, context);
        if (row.past_expiry) return await expire(tx, decider, row, context);
        if (row.status !== 'pending') throw changeRequestClosed(id, row.status);

        // The kind's rules bind a rejection as well, so that, for example,
        // no one can reject the revocation of their own grant.
        await kindOf(row).authorizeApprover(tx, decider, toStoredChange(row), { context });
        await recordRejection(tx, id, { decidedBy: decider.userId, note: input.note });
        await appendAuditEvent(tx, {
          actor: decider,
          action: 'change_request.rejected',
          outcome: 'success',
          target: { type: 'change_request', id },
          entityId: row.entity_id,
          ...(context ? { context } : {}),
          details: { kind: row.kind, target: row.target_key, note: input.note },
        });
        return { outcome: 'decided', request: await reloaded(tx, id) };
      });
      return settle(decision);
    },
  };
}
