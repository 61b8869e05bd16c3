import { entityListSchema, ownAccessSchema } from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

export type EntityInScope = z.infer<typeof entityListSchema>['items'][number];
type OwnAccess = z.infer<typeof ownAccessSchema>;

export const ownAccessKeys = {
  grants: ['own-access', 'grants'] as const,
  entities: ['own-access', 'entities'] as const,
};

/** Permission checks for the signed-in user, built from their grants and the entity tree. */
export interface AccessCheck {
  /** Entities in the user's scope, root first, as GET /api/v1/entities lists them. */
  entities: readonly EntityInScope[];
  /**
   * Return true when a grant on the entity `entityCode` or on one of its
   * ancestors gives `permission`. Unknown entities give false.
   */
  can(permission: string, entityCode: string): boolean;
  /** Return the codes of `entityCode` and every entity below it in the user's scope. */
  subtreeOf(entityCode: string): ReadonlySet<string>;
}

function buildAccessCheck(access: OwnAccess, entities: readonly EntityInScope[]): AccessCheck {
  const byId = new Map(entities.map((entity) => [entity.id, entity]));
  const byCode = new Map(entities.map((entity) => [entity.code.toLowerCase(), entity]));
  const permissionsOn = new Map<string, Set<string>>();
  for (const grant of access.grants) {
    const held = permissionsOn.get(grant.entityId) ?? new Set<string>();
    for (const permission of grant.permissions) held.add(permission);
    permissionsOn.set(grant.entityId, held);
  }

  const can = (permission: string, entityCode: string): boolean => {
    // A grant covers its entity and everything below it, so walk up to the root.
    // Every entity between a grant and the target is in scope, so the walk never skips one.
    let entity = byCode.get(entityCode.toLowerCase());
    while (entity !== undefined) {
      if (permissionsOn.get(entity.id)?.has(permission) === true) return true;
      entity = entity.parentId === null ? undefined : byId.get(entity.parentId);
    }
    return false;
  };

  const subtreeOf = (entityCode: string): ReadonlySet<string> => {
    const root = byCode.get(entityCode.toLowerCase());
    const codes = new Set<string>();
    if (root === undefined) return codes;
    const children = new Map<string, EntityInScope[]>();
    for (const entity of entities) {
      if (entity.parentId === null) continue;
      const siblings = children.get(entity.parentId) ?? [];
      siblings.push(entity);
      children.set(entity.parentId, siblings);
    }
    const pending = [root];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      codes.add(next.code);
      pending.push(...(children.get(next.id) ?? []));
    }
    return codes;
  };

  return { entities, can, subtreeOf };
}

/** Load the signed-in user's grants and the permissions they give anywhere (GET /api/v1/grants/mine). */
export function useOwnGrants() {
  return useQuery({
    queryKey: ownAccessKeys.grants,
    queryFn: ({ signal }) => apiRequest('/api/v1/grants/mine', { schema: ownAccessSchema, signal }),
  });
}

/**
 * Load the signed-in user's grants (GET /api/v1/grants/mine) and the
 * entities in their scope (GET /api/v1/entities), so a screen offers only
 * the actions the server would allow. The server still checks every request.
 */
export function useOwnAccess() {
  const grants = useOwnGrants();
  // Without a grant the user may not list entities (403), and has none in scope anyway.
  const hasGrants = grants.data !== undefined && grants.data.grants.length > 0;
  const entities = useQuery({
    queryKey: ownAccessKeys.entities,
    queryFn: ({ signal }) => apiRequest('/api/v1/entities', { schema: entityListSchema, signal }),
    enabled: hasGrants,
  });

  const check = useMemo(() => {
    if (grants.data === undefined) return undefined;
    if (grants.data.grants.length === 0) return buildAccessCheck(grants.data, []);
    return entities.data === undefined
      ? undefined
      : buildAccessCheck(grants.data, entities.data.items);
  }, [grants.data, entities.data]);

  return {
    access: check,
    isPending: grants.isPending || (hasGrants && entities.isPending),
    error: grants.error ?? entities.error ?? null,
    refetch: () => Promise.all([grants.refetch(), entities.refetch()]),
  };
}
