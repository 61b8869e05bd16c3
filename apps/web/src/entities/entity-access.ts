import type { AccessCheck, EntityInScope } from '../shared/own-access.ts';

export type { EntityInScope };

/**
 * The signed-in user's permissions on each entity, with look-ups by id and
 * code. It wraps the AccessCheck of useOwnAccess, so `can` is true for an
 * entity when a grant on it or on one of its ancestors gives the permission.
 */
export interface Access {
  /** Entities in scope, ordered by depth and then code, as the server lists them. */
  entities: readonly EntityInScope[];
  entityById(id: string): EntityInScope | undefined;
  entityByCode(code: string): EntityInScope | undefined;
  can(permission: string, entityId: string): boolean;
  /** Entities in scope on which the user has `permission`, in the order of `entities`. */
  entitiesWith(permission: string): EntityInScope[];
  /** Codes of the entity `entityId` and every entity below it in scope. */
  subtreeCodes(entityId: string): ReadonlySet<string>;
}

export function toAccess(check: AccessCheck): Access {
  const byId = new Map(check.entities.map((entity) => [entity.id, entity]));
  const byCode = new Map(check.entities.map((entity) => [entity.code.toLowerCase(), entity]));
  const can = (permission: string, entityId: string) => {
    const entity = byId.get(entityId);
    return entity !== undefined && check.can(permission, entity.code);
  };
  return {
    entities: check.entities,
    entityById: (id) => byId.get(id),
    entityByCode: (code) => byCode.get(code.toLowerCase()),
    can,
    entitiesWith: (permission) => check.entities.filter((entity) => can(permission, entity.id)),
    subtreeCodes: (entityId) => {
      const entity = byId.get(entityId);
      return entity === undefined ? new Set<string>() : check.subtreeOf(entity.code);
    },
  };
}
