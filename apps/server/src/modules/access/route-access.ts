import { AppError } from '../../platform/http/app-error.ts';
import type { RouteAccessPolicy } from '../../platform/http/authentication.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { isPermission, isRouteAccess, rolesHold, rolesHolding } from './permissions.ts';

/**
 * The coarse check at each route: the actor must hold the route's
 * permission on some entity. It returns 403 before any service runs, so a
 * user without a suitable grant anywhere learns nothing about targets; the
 * service then checks the target's own entity. Refusals are audited.
 */
export function createRouteAccessPolicy(deps: {
  securityEvents: SecurityEvents;
}): RouteAccessPolicy {
  const denyRoute = async (
    actor: Actor,
    route: string,
    permission: string,
    detail: string,
    context: RequestContext,
  ) => {
    await deps.securityEvents.recordDenial({
      actor,
      action: 'access.denied',
      outcome: 'denied',
      reasonCode: 'PERMISSION_REQUIRED',
      target: { type: 'route', id: route },
      context,
      details: { permission },
    });
    throw new AppError('FORBIDDEN', { detail, extensions: { permission } });
  };

  return {
    isDeclaration: isRouteAccess,

    async assertMayReach(actor, permission, route, context) {
      if (!isPermission(permission)) {
        return denyRoute(
          actor,
          route,
          permission,
          `The route declares ${permission}, which is not in the permission catalogue.`,
          context,
        );
      }
      if (actor.type === 'ai' && permission.endsWith('.read')) return;
      if (actor.type !== 'user') {
        return denyRoute(
          actor,
          route,
          permission,
          `A ${actor.type} principal cannot call a route that needs ${permission}.`,
          context,
        );
      }
      if (!rolesHold(actor.heldRoles ?? [], permission)) {
        return denyRoute(
          actor,
          route,
          permission,
          `This needs the permission ${permission}, which the roles ${rolesHolding(permission).join(', ')} hold, and you hold none of them on any entity. Ask an administrator for a grant.`,
          context,
        );
      }
    },
  };
}
