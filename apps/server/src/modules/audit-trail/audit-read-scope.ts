import type { Db } from '../../platform/db/database.ts';
import type { Actor } from '../identity/actor.ts';

/** The roles that may read the audit trail, in the subtrees they cover. */
export const AUDIT_READER_ROLES = ['administrator', 'management'] as const;

/**
 * The part of the trail an actor may read: all of it (a reader role on
 * the organization root), the events of some subtrees, or nothing.
 * Events that name no entity are platform-wide and need the root.
 */
export type AuditReadScope =
  | { kind: 'all' }
  | { kind: 'subtrees'; entityIds: string[] }
  | { kind: 'none' };

// NOTE: an interim rule on role names. It should become a permission in a
// permission catalogue once one exists, so that all checks share one table.
export async function auditReadScope(db: Db, actor: Actor): Promise<AuditReadScope> {
  if (actor.type !== 'user') return { kind: 'none' };

  const grants = await db
    .selectFrom('role_grants')
    .innerJoin('entities', 'entities.id', 'role_grants.entity_id')
    .innerJoin('users', 'users.id', 'role_grants.user_id')
    .select(['role_grants.entity_id', 'entities.parent_id'])
    .where('role_grants.user_id', '=', actor.userId)
    .where('users.status', '=', 'active')
    .where('role_grants.role', 'in', AUDIT_READER_ROLES)
    .execute();

  if (grants.length === 0) return { kind: 'none' };
  if (grants.some((grant) => grant.parent_id === null)) return { kind: 'all' };
  return { kind: 'subtrees', entityIds: grants.map((grant) => grant.entity_id) };
}
