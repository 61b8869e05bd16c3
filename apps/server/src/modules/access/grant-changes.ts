import { z } from 'zod';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import {
  type ChangeKind,
  type KindContext,
  parseStoredState,
  type RegisteredChangeKind,
  registerChangeKind,
  type StoredChange,
} from '../changes/change-kind.ts';
import { findEntityById } from '../entities/entities.repository.ts';
import type { Actor } from '../identity/actor.ts';
import type { AccessControl } from './access-control.ts';
import { rolesOnEntity } from './actor-scope.ts';
import { deleteGrant, findGrant, findGrantById, insertGrant } from './grants.repository.ts';
import { ROLES, type Role } from './permissions.ts';
import type { SeparationOfDuties, SodCheck } from './separation-of-duties.ts';

const uuid = z.uuid().transform((id) => id.toLowerCase());

const grantAddInputSchema = z.strictObject({
  userId: uuid,
  role: z.enum(ROLES),
  entityId: uuid,
});

const grantRevokeInputSchema = z.strictObject({ grantId: uuid });

/** A role on an entity for a user, and whether the user holds it. */
const grantStateSchema = z.object({
  userId: z.string(),
  userEmail: z.string().nullable(),
  role: z.enum(ROLES),
  entityId: z.string(),
  entityCode: z.string().nullable(),
  granted: z.boolean(),
});

const revokeStateSchema = grantStateSchema.extend({ grantId: z.string() });

type GrantState = z.infer<typeof grantStateSchema>;

/**
 * Load the user a grant is for. Users are organization-wide and outside
 * row-level security, so any scoped actor can read them.
 */
// NOTE: this reads the identity module's users table directly because its
// repository has no lookup by id; move it there when one is added.
async function findGrantSubject(tx: Tx, userId: string) {
  return await tx
    .selectFrom('users')
    .select(['id', 'email', 'status'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

async function grantState(
  tx: Tx,
  key: { userId: string; role: Role; entityId: string },
): Promise<GrantState> {
  const user = await findGrantSubject(tx, key.userId);
  const entity = await findEntityById(tx, key.entityId);
  const grant = await findGrant(tx, key);
  return {
    userId: key.userId,
    userEmail: user?.email ?? null,
    role: key.role,
    entityId: key.entityId,
    entityCode: entity?.code ?? null,
    granted: grant !== undefined,
  };
}

/** Read a grant's state by id. A grant that no longer exists, or is out of scope, reads as not granted. */
async function revokeState(tx: Tx, grantId: string) {
  const grant = await findGrantById(tx, grantId);
  if (grant === undefined) return { grantId, granted: false };

  const state = await grantState(tx, {
    userId: grant.user_id,
    role: grant.role,
    entityId: grant.entity_id,
  });
  return { grantId, ...state };
}

function grantNotFound(grantId: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No role grant with id ${grantId} is visible to you. List grants with GET /api/v1/grants.`,
  });
}

function entityNotFound(entityId: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No entity with id ${entityId} is visible to you. List entities with GET /api/v1/entities.`,
  });
}

/** Check the business rules that apply both when requesting and when applying a grant. */
export async function assertGrantable(tx: Tx, key: { userId: string; entityId: string }) {
  const user = await findGrantSubject(tx, key.userId);
  if (user === undefined) {
    throw new AppError('RESOURCE_NOT_FOUND', {
      detail: `No user has the id ${key.userId}. List users with GET /api/v1/users.`,
    });
  }
  if (user.status !== 'active') {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `User ${user.email} is ${user.status}; only active users receive roles. Reactivate the user first.`,
    });
  }
  const entity = await findEntityById(tx, key.entityId);
  if (entity === undefined) throw entityNotFound(key.entityId);
  if (entity.status !== 'active') {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `Entity ${entity.code} is archived; roles are granted only on active entities.`,
    });
  }
}

interface GrantChangeDeps {
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
}

/**
 * Apply the separation-of-duties rules for changing a grant, to requester
 * and approver alike. No one changes their own grants, and no one grants
 * or takes away a role they do not hold on that entity themselves.
 */
async function assertMayChangeGrant(
  deps: GrantChangeDeps,
  tx: Tx,
  check: SodCheck,
  grant: { userId: string; role: Role; entityId: string },
) {
  await deps.separationOfDuties.assertNotOwnGrant(check, grant.userId);
  const ownRoles = await rolesOnEntity(tx, grant.entityId);
  await deps.separationOfDuties.assertHoldsGrantedRole(check, grant.role, ownRoles);
}

function changeTarget(change: StoredChange) {
  return { type: 'change_request', id: change.id, entityId: change.entityId };
}

function auditContext(options: KindContext) {
  return options.context ? { context: options.context } : {};
}

function grantAdd(deps: GrantChangeDeps): ChangeKind<z.infer<typeof grantAddInputSchema>> {
  return {
    kind: 'grant.add',
    inputSchema: grantAddInputSchema,

    async propose(tx, actor, input, options) {
      const target = { type: 'user', id: input.userId, entityId: input.entityId };
      await deps.access.authorize(tx, actor, 'grants.request', target, {
        context: options.context,
        notFound: () => entityNotFound(input.entityId),
        draftsChangeRequest: true,
      });
      await assertMayChangeGrant(deps, tx, { actor, target, context: options.context }, input);
      await assertGrantable(tx, input);

      const before = await grantState(tx, input);
      if (before.granted) {
        throw new AppError('CONFLICT', {
          detail: `User ${before.userEmail} already holds the role ${input.role} on ${before.entityCode}.`,
        });
      }
      return {
        entityId: input.entityId,
        targetType: 'role_grant',
        targetKey: `${input.entityId}/${input.userId}/${input.role}`,
        before,
        after: { ...before, granted: true },
      };
    },

    async readState(tx, change) {
      const after = parseStoredState(grantStateSchema, change.after, 'grant.add state');
      return await grantState(tx, after);
    },

    async authorizeApprover(tx, actor, change, options) {
      const after = parseStoredState(grantStateSchema, change.after, 'grant.add state');
      const check = { actor, target: changeTarget(change), context: options.context };
      await assertMayChangeGrant(deps, tx, check, after);
    },

    async apply(tx, approver, change, options) {
      const after = parseStoredState(grantStateSchema, change.after, 'grant.add state');
      await assertGrantable(tx, after);
      const created = await insertGrant(tx, {
        userId: after.userId,
        role: after.role,
        entityId: after.entityId,
        grantedBy: approverId(approver),
        changeRequestId: change.id,
      }).catch((error: unknown) => {
        // readState saw no such grant moments ago, so only a concurrent insert by other code gets here.
        if ((error as { code?: unknown }).code !== '23505') throw error;
        throw new AppError('CONFLICT', {
          detail: `User ${after.userEmail} received the role ${after.role} on ${after.entityCode} from another change at the same time. Reload the request.`,
          internal: error,
        });
      });
      await appendAuditEvent(tx, {
        actor: approver,
        action: 'access.grant_created',
        outcome: 'success',
        target: { type: 'role_grant', id: created.id },
        entityId: after.entityId,
        ...auditContext(options),
        details: {
          userId: after.userId,
          role: after.role,
          changeRequestId: change.id,
          requestedBy: change.requestedBy,
        },
      });
    },
  };
}

function grantRevoke(deps: GrantChangeDeps): ChangeKind<z.infer<typeof grantRevokeInputSchema>> {
  return {
    kind: 'grant.revoke',
    inputSchema: grantRevokeInputSchema,

    async propose(tx, actor, input, options) {
      const grant = await findGrantById(tx, input.grantId);
      if (grant === undefined) throw grantNotFound(input.grantId);

      const key = { userId: grant.user_id, role: grant.role, entityId: grant.entity_id };
      const target = { type: 'role_grant', id: grant.id, entityId: grant.entity_id };
      await deps.access.authorize(tx, actor, 'grants.request', target, {
        context: options.context,
        notFound: () => grantNotFound(input.grantId),
        draftsChangeRequest: true,
      });
      await assertMayChangeGrant(deps, tx, { actor, target, context: options.context }, key);

      const before = await revokeState(tx, grant.id);
      return {
        entityId: grant.entity_id,
        targetType: 'role_grant',
        targetKey: grant.id,
        before,
        after: { ...before, granted: false },
      };
    },

    async readState(tx, change) {
      return await revokeState(tx, change.targetKey);
    },

    async authorizeApprover(tx, actor, change, options) {
      const after = parseStoredState(revokeStateSchema, change.after, 'grant.revoke state');
      const check = { actor, target: changeTarget(change), context: options.context };
      await assertMayChangeGrant(deps, tx, check, after);
    },

    async apply(tx, approver, change, options) {
      const after = parseStoredState(revokeStateSchema, change.after, 'grant.revoke state');
      if (!(await deleteGrant(tx, after.grantId))) {
        // readState saw the grant moments ago in this transaction, so only
        // a concurrent deletion by other code gets here.
        throw new AppError('CONFLICT', {
          detail: `Role grant ${after.grantId} was revoked by another change at the same time. Reload the request.`,
        });
      }
      await appendAuditEvent(tx, {
        actor: approver,
        action: 'access.grant_revoked',
        outcome: 'success',
        target: { type: 'role_grant', id: after.grantId },
        entityId: after.entityId,
        ...auditContext(options),
        details: {
          userId: after.userId,
          role: after.role,
          changeRequestId: change.id,
          requestedBy: change.requestedBy,
        },
      });
    },
  };
}

/** Return the approver's user id. The change-request service lets only users approve, so other principals never get here. */
function approverId(approver: Actor): string {
  if (approver.type !== 'user')
    throw new Error(`a ${approver.type} principal cannot apply changes`);
  return approver.userId;
}

/** Create the change kinds grant.add and grant.revoke. */
export function createGrantChangeKinds(deps: GrantChangeDeps): RegisteredChangeKind[] {
  return [registerChangeKind(grantAdd(deps)), registerChangeKind(grantRevoke(deps))];
}
