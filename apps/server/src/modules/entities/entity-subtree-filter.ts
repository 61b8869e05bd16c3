import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { Permission } from '../access/permissions.ts';
import type { Actor } from '../identity/actor.ts';
import { findEntityByCode } from './entities.repository.ts';
import { listSubtreeIds } from './entity-tree.repository.ts';

/**
 * List the ids of the entities where `actor` has `permission`, and that are
 * the entity `entityCode` or below it, for a list filtered by `?entity=`.
 * Without a code, lists every entity where the actor has the permission.
 * Throws RESOURCE_NOT_FOUND when no such entity exists or the actor lacks the
 * permission on it, so an entity outside the scope looks the same as a
 * missing one.
 */
export async function entitiesInSubtreeWith(
  tx: Tx,
  access: AccessControl,
  actor: Actor,
  permission: Permission,
  entityCode: string | undefined,
): Promise<string[]> {
  const readableIds = await access.entitiesWith(tx, actor, permission);
  if (entityCode === undefined) return readableIds;

  const entity = await findEntityByCode(tx, entityCode);
  if (entity === undefined || !readableIds.includes(entity.id)) {
    throw new AppError('RESOURCE_NOT_FOUND', {
      detail: `No entity ${JSON.stringify(entityCode)} is visible to you. List entities with GET /api/v1/entities.`,
    });
  }

  const subtree = new Set(await listSubtreeIds(tx, entity.id));
  return readableIds.filter((id) => subtree.has(id));
}
