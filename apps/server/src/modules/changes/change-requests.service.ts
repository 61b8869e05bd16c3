import {
  type ChangeRequest,
  type ChangeRequestListQuery,
  type ChangeRequestSummary,
  justificationSchema,
} from '@peytonix/contracts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../platform/db/keyset-cursor.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { scopeUserId, withActor } from '../access/actor-scope.ts';
import type { SeparationOfDuties } from '../access/separation-of-duties.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { readUserNames, type UserName } from '../identity/users/user-names.ts';
import type { SettingsReader } from '../settings/settings-reader.ts';
import { type ChangeDecisions, createChangeDecisions } from './change-decisions.ts';
import type { RegisteredChangeKind } from './change-kind.ts';
import { changeRequestNotFound, toChangeRequest, toSummary } from './change-request-view.ts';
import {
  closeUndecided,
  findChangeRequest,
  findPendingForTarget,
  insertChangeRequest,
  listChangeRequests,
} from './change-requests.repository.ts';
import { diffSha256, sameState } from './diff-hash.ts';

export interface NewChangeRequest {
  /** A registered kind, such as grant.add. */
  kind: string;
  /** The kind's input; the kind validates it. */
  input: unknown;
  justification: string;
}

export interface ChangeRequestsService extends ChangeDecisions {
  /**
   * Create a pending request. A user requests for themselves; an AI
   * principal requests on behalf of its user, who becomes requested_by
   * with requested_by_type 'ai'.
   */
  create(actor: Actor, request: NewChangeRequest, context?: RequestContext): Promise<ChangeRequest>;
  /** One page of the requests in the actor's scope and their own, newest first. */
  list(actor: Actor, query: ChangeRequestListQuery): Promise<ChangeRequestPage>;
  show(actor: Actor, id: string): Promise<ChangeRequest>;
  /** The names of the requesters and deciders of requests the caller has already read. */
  peopleOf(requests: readonly ChangeRequestSummary[]): Promise<Record<string, UserName>>;
}

export interface ChangeRequestPage {
  items: ChangeRequestSummary[];
  nextCursor: string | null;
}

function isOnePendingViolation(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === 'change_requests_one_pending';
}

function pendingConflict(kind: string, targetKey: string, pendingId?: string): AppError {
  return new AppError('CONFLICT', {
    detail: `A pending ${kind} request for ${targetKey} already exists${pendingId ? ` (${pendingId})` : ''}. Wait for its decision, or ask an approver to reject it, before requesting again.`,
    ...(pendingId ? { extensions: { changeRequestId: pendingId } } : {}),
  });
}

function parseJustification(value: string): string {
  const parsed = justificationSchema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid justification: ${parsed.error.issues[0]?.message ?? 'invalid value'}. Say in 1 to 2000 characters why the change is needed.`,
    });
  }
  return parsed.data;
}

/**
 * Governed changes: a person (or an AI feature on a person's behalf)
 * requests a change of a registered kind, and another person approves or
 * rejects it. See docs/security/authorization.md, "Governed changes".
 */
export function createChangeRequestsService(deps: {
  db: Db;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
  securityEvents: SecurityEvents;
  settings: SettingsReader;
  kinds: readonly RegisteredChangeKind[];
}): ChangeRequestsService {
  const { db, access, securityEvents, settings } = deps;

  const kinds = new Map<string, RegisteredChangeKind>();
  for (const kind of deps.kinds) {
    if (kinds.has(kind.kind)) throw new Error(`change kind ${kind.kind} is registered twice`);
    kinds.set(kind.kind, kind);
  }
  const decisions = createChangeDecisions({ ...deps, kinds });

  /** Close the pending request on the same target when it has expired, and reject the new request while it is live. */
  const clearPendingFor = async (
    tx: Tx,
    actor: Actor,
    kind: string,
    targetKey: string,
    context: RequestContext | undefined,
  ) => {
    const pending = await findPendingForTarget(tx, kind, targetKey);
    if (pending === undefined) return;
    if (!pending.past_expiry) throw pendingConflict(kind, targetKey, pending.id);

    await closeUndecided(tx, pending.id, 'expired');
    await appendAuditEvent(tx, {
      actor,
      action: 'change_request.expired',
      outcome: 'success',
      target: { type: 'change_request', id: pending.id },
      entityId: pending.entity_id,
      ...(context ? { context } : {}),
      details: { kind, target: targetKey, expiresAt: pending.expires_at.toISOString() },
    });
  };

  return {
    ...decisions,

    async create(actor, request, context) {
      const kind = kinds.get(request.kind);
      if (kind === undefined) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `Unknown change kind ${JSON.stringify(request.kind)}. Use one of ${[...kinds.keys()].join(', ')}.`,
        });
      }
      const requesterId = scopeUserId(actor);
      if (requesterId === null || (actor.type !== 'user' && actor.type !== 'ai')) {
        await securityEvents.recordDenial({
          actor,
          action: 'access.denied',
          outcome: 'denied',
          reasonCode: 'PRINCIPAL_NOT_ALLOWED',
          ...(context ? { context } : {}),
          details: { kind: request.kind },
        });
        throw new AppError('FORBIDDEN', {
          detail: `A ${actor.type} principal cannot request changes. A signed-in user, or an AI feature acting for one, must.`,
        });
      }
      const justification = parseJustification(request.justification);

      let targetKey: string | undefined;
      try {
        return await withActor(db, actor, async (tx) => {
          const proposed = await kind.propose(tx, actor, request.input, { context });
          targetKey = proposed.targetKey;
          if (sameState(proposed.before, proposed.after)) {
            throw new AppError('BUSINESS_RULE_VIOLATED', {
              detail: `This ${request.kind} request would change nothing, because the target already has the requested state.`,
            });
          }
          await clearPendingFor(tx, actor, request.kind, proposed.targetKey, context);

          const hash = diffSha256({
            kind: request.kind,
            targetKey: proposed.targetKey,
            before: proposed.before,
            after: proposed.after,
          });
          const row = await insertChangeRequest(tx, {
            kind: request.kind,
            entityId: proposed.entityId,
            targetType: proposed.targetType,
            targetKey: proposed.targetKey,
            before: proposed.before,
            after: proposed.after,
            diffSha256: hash,
            justification,
            requestedBy: requesterId,
            requestedByType: actor.type,
            ttlHours: await settings.valueOf(tx, 'change_requests.ttl_hours'),
          });
          await appendAuditEvent(tx, {
            actor,
            action: 'change_request.created',
            outcome: 'success',
            target: { type: 'change_request', id: row.id },
            entityId: row.entity_id,
            ...(context ? { context } : {}),
            details: {
              kind: row.kind,
              targetType: row.target_type,
              target: row.target_key,
              diffSha256: hash.toString('hex'),
              requestedByType: row.requested_by_type,
              expiresAt: row.expires_at.toISOString(),
            },
          });
          return toChangeRequest(row);
        });
      } catch (error) {
        // Two requests for one target raced past the pending check.
        if (isOnePendingViolation(error)) {
          throw pendingConflict(request.kind, targetKey ?? 'this target');
        }
        throw error;
      }
    },

    async list(actor, query) {
      return await withActor(db, actor, async (tx) => {
        const rows = await listChangeRequests(tx, {
          requesterId: scopeUserId(actor),
          entityIds: await access.entitiesWith(tx, actor, 'change_requests.read'),
          status: query.status,
          after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
          limit: query.limit + 1,
        });

        const page = rows.slice(0, query.limit);
        const last = page.at(-1);
        return {
          items: page.map(toSummary),
          nextCursor:
            rows.length > query.limit && last !== undefined
              ? encodeCursor({ at: last.cursor_at, id: last.id })
              : null,
        };
      });
    },

    async peopleOf(requests) {
      const ids = requests.flatMap((request) =>
        request.decidedBy === null
          ? [request.requestedBy]
          : [request.requestedBy, request.decidedBy],
      );
      return await readUserNames(db, ids);
    },

    async show(actor, id) {
      return await withActor(db, actor, async (tx) => {
        const row = await findChangeRequest(tx, id, { lock: false });
        if (row === undefined) throw changeRequestNotFound(id);

        // Authors always see their own requests, even after losing the scope.
        if (row.requested_by !== scopeUserId(actor)) {
          await access.authorize(
            tx,
            actor,
            'change_requests.read',
            { type: 'change_request', id, entityId: row.entity_id },
            { notFound: () => changeRequestNotFound(id) },
          );
        }
        return toChangeRequest(row);
      });
    },
  };
}
