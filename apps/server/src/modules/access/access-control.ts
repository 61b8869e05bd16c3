import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { actorScope, rolesOnEntity } from './actor-scope.ts';
import { type Permission, type Role, rolesHold, rolesHolding } from './permissions.ts';

/** The loaded object an actor wants to act on, and the entity that scopes it. */
export interface AccessTarget {
  type: string;
  id: string;
  entityId: string;
}

export interface AuthorizeOptions {
  context?: RequestContext | undefined;
  /** The 404 to raise when the target is outside the actor's scope. */
  notFound: () => AppError;
  /**
   * The action only drafts a change request that a person must approve,
   * so an AI principal may take it on behalf of its user with that user's
   * permission.
   */
  draftsChangeRequest?: boolean | undefined;
}

/**
 * Permissions an AI principal may use on behalf of its user: reading, and
 * drafting change requests that a person must approve.
 */
function aiMayUse(permission: Permission, draftsChangeRequest: boolean): boolean {
  return permission.endsWith('.read') || draftsChangeRequest;
}

export interface AccessControl {
  /**
   * Authorize the scoped actor (inside withActor) for `permission` on the
   * loaded target. A target outside every subtree the actor's grants cover
   * raises the caller's not-found error, so its existence does not leak;
   * a target in scope without the permission raises FORBIDDEN. Both are
   * audited. Returns the roles the actor holds on the target's entity.
   */
  authorize(
    tx: Tx,
    actor: Actor,
    permission: Permission,
    target: AccessTarget,
    options: AuthorizeOptions,
  ): Promise<Role[]>;
  /** List the entities where the scoped actor has `permission`, for list queries. */
  entitiesWith(tx: Tx, actor: Actor, permission: Permission): Promise<string[]>;
}

export function createAccessControl(deps: { securityEvents: SecurityEvents }): AccessControl {
  const deny = async (
    actor: Actor,
    permission: Permission,
    target: AccessTarget,
    reasonCode: 'OUT_OF_SCOPE' | 'PERMISSION_REQUIRED' | 'PRINCIPAL_NOT_ALLOWED',
    context: RequestContext | undefined,
  ) => {
    await deps.securityEvents.recordDenial({
      actor,
      action: 'access.denied',
      outcome: 'denied',
      reasonCode,
      target: { type: target.type, id: target.id },
      entityId: target.entityId,
      ...(context ? { context } : {}),
      details: { permission },
    });
  };

  return {
    async authorize(tx, actor, permission, target, options) {
      const drafts = options.draftsChangeRequest === true;
      if (actor.type !== 'user' && !(actor.type === 'ai' && aiMayUse(permission, drafts))) {
        await deny(actor, permission, target, 'PRINCIPAL_NOT_ALLOWED', options.context);
        throw new AppError('FORBIDDEN', {
          detail: `A ${actor.type} principal cannot use the permission ${permission}. Only a signed-in user can.`,
        });
      }

      const roles = await rolesOnEntity(tx, target.entityId);
      if (roles.length === 0) {
        await deny(actor, permission, target, 'OUT_OF_SCOPE', options.context);
        throw options.notFound();
      }
      if (!rolesHold(roles, permission)) {
        await deny(actor, permission, target, 'PERMISSION_REQUIRED', options.context);
        throw new AppError('FORBIDDEN', {
          detail: `This needs the permission ${permission}, which the roles ${rolesHolding(permission).join(', ')} hold. Your roles here are ${roles.join(', ')}.`,
          extensions: { permission },
        });
      }
      return roles;
    },

    async entitiesWith(tx, actor, permission) {
      if (actor.type !== 'user' && !(actor.type === 'ai' && aiMayUse(permission, false))) return [];

      const scope = await actorScope(tx);
      const entities = new Set<string>();
      for (const { entityId, role } of scope) {
        if (rolesHold([role], permission)) entities.add(entityId);
      }
      return [...entities];
    },
  };
}
