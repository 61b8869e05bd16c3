import { useMemo } from 'react';
import { useUsers } from '../admin/users-api.ts';
import type { Access } from '../entities/entity-access.ts';

/** Return the organization root, the one entity in scope without a parent, when the user's scope includes it. */
export function rootEntityOf(access: Access) {
  return access.entities.find((entity) => entity.parentId === null);
}

/** Return true when the user has `permission` on the organization root, as user administration requires. */
export function canOnRoot(access: Access, permission: string): boolean {
  const root = rootEntityOf(access);
  return root !== undefined && access.can(permission, root.id);
}

/** A display name and email by user id, as responses that name their users carry them. */
export type PeopleById = Readonly<Record<string, { displayName: string; email: string }>>;

/**
 * Return a function that names a user id: "You" for the signed-in user,
 * "Name <email>" when `people` names the user or the user may list users,
 * else the id itself.
 */
export function useUserNames(access: Access, ownUserId: string, people: PeopleById = {}) {
  const users = useUsers(canOnRoot(access, 'users.read'));
  return useMemo(() => {
    const byId = new Map<string, { displayName: string; email: string }>(
      (users.data ?? []).map((user) => [user.id, user]),
    );
    for (const [id, person] of Object.entries(people)) byId.set(id, person);
    return (userId: string): string => {
      if (userId === ownUserId) return 'You';
      const user = byId.get(userId);
      return user === undefined ? userId : `${user.displayName} <${user.email}>`;
    };
  }, [users.data, ownUserId, people]);
}
