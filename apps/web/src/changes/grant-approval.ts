import { roleSchema } from '@peytonix/contracts';
import { z } from 'zod';
import type { Access } from '../entities/entity-access.ts';
import type { ChangeRequest } from './change-requests-api.ts';

/** The part of a grant request's state that the approval rules read. */
const grantStateSchema = z.object({ userId: z.string(), role: roleSchema, entityId: z.string() });

/** One of the signed-in user's own role grants. */
export interface OwnGrant {
  entityId: string;
  role: string;
}

/** Return the ids of `entityId` and its ancestors in the user's scope. */
function withAncestors(access: Access, entityId: string): Set<string> {
  const ids = new Set<string>();
  let entity = access.entityById(entityId);
  while (entity !== undefined && !ids.has(entity.id)) {
    ids.add(entity.id);
    entity = entity.parentId === null ? undefined : access.entityById(entity.parentId);
  }
  return ids;
}

/**
 * Return why `userId` may not decide a grant or revocation request, or
 * null when the server's separation-of-duties rules allow it. The rules
 * bind approval and rejection alike: no one changes their own grants, and
 * the decider must hold the granted role or administrator on the entity or
 * above it. Other requests return null.
 */
export function grantDecisionBlock(
  request: ChangeRequest,
  userId: string,
  grants: readonly OwnGrant[],
  access: Access,
): string | null {
  if (request.kind !== 'grant.add' && request.kind !== 'grant.revoke') return null;
  const parsed = grantStateSchema.safeParse(request.before);
  if (!parsed.success) return null;

  const grant = parsed.data;
  if (grant.userId === userId) {
    return 'This request changes your own role grants, so another administrator must decide it.';
  }
  const covering = withAncestors(access, grant.entityId);
  const mayDecide = grants.some(
    (own) =>
      covering.has(own.entityId) && (own.role === grant.role || own.role === 'administrator'),
  );
  if (mayDecide) return null;

  const entity = access.entityById(grant.entityId)?.code ?? 'this entity';
  return `Deciding needs the role ${grant.role} or administrator on ${entity} or above it, and you hold neither, so you can neither approve nor reject this request. Ask an administrator of ${entity} to decide it.`;
}
