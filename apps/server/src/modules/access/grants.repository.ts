import type { Db, Tx } from '../../platform/db/database.ts';
import type { RoleGrantsTable } from '../../platform/db/schema.ts';

export type Role = RoleGrantsTable['role'];

export const ROLES: readonly Role[] = [
  'read_only',
  'preparer',
  'reviewer',
  'management',
  'administrator',
];

/** Roles the user holds on `entityId` through a grant on it or on any ancestor. */
export async function findRolesCovering(
  db: Db | Tx,
  userId: string,
  entityId: string,
): Promise<Role[]> {
  const rows = await db
    .selectFrom('role_grants')
    .innerJoin('entity_closure', 'entity_closure.ancestor_id', 'role_grants.entity_id')
    .select('role_grants.role')
    .distinct()
    .where('role_grants.user_id', '=', userId)
    .where('entity_closure.descendant_id', '=', entityId)
    .execute();
  return rows.map((row) => row.role);
}

export async function insertGrant(
  tx: Tx,
  grant: { userId: string; role: Role; entityId: string; grantedBy: string | null },
) {
  return await tx
    .insertInto('role_grants')
    .values({
      user_id: grant.userId,
      role: grant.role,
      entity_id: grant.entityId,
      granted_by: grant.grantedBy,
    })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

/** Return true when some active user has the administrator role anywhere. */
export async function activeAdministratorExists(db: Db | Tx): Promise<boolean> {
  const row = await db
    .selectFrom('role_grants')
    .innerJoin('users', 'users.id', 'role_grants.user_id')
    .select('role_grants.id')
    .where('role_grants.role', '=', 'administrator')
    .where('users.status', '=', 'active')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
