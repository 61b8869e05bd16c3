import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Role } from './permissions.ts';

export type { Role } from './permissions.ts';

export interface GrantRow {
  id: string;
  user_id: string;
  role: Role;
  entity_id: string;
  granted_by: string | null;
  created_at: Date;
  change_request_id: string | null;
}

const GRANT_COLUMNS = [
  'role_grants.id',
  'role_grants.user_id',
  'role_grants.role',
  'role_grants.entity_id',
  'role_grants.granted_by',
  'role_grants.created_at',
  'role_grants.change_request_id',
] as const;

export async function insertGrant(
  tx: Tx,
  grant: {
    userId: string;
    role: Role;
    entityId: string;
    grantedBy: string | null;
    changeRequestId?: string;
  },
) {
  return await tx
    .insertInto('role_grants')
    .values({
      user_id: grant.userId,
      role: grant.role,
      entity_id: grant.entityId,
      granted_by: grant.grantedBy,
      change_request_id: grant.changeRequestId ?? null,
    })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

/** Find the grant (user, role, entity), if it is in the scoped actor's scope. */
export async function findGrant(
  tx: Tx,
  key: { userId: string; role: Role; entityId: string },
): Promise<GrantRow | undefined> {
  return await tx
    .selectFrom('role_grants')
    .select(GRANT_COLUMNS)
    .where('user_id', '=', key.userId)
    .where('role', '=', key.role)
    .where('entity_id', '=', key.entityId)
    .executeTakeFirst();
}

export async function findGrantById(tx: Tx, id: string): Promise<GrantRow | undefined> {
  return await tx
    .selectFrom('role_grants')
    .select(GRANT_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Grants the scoped actor can see, optionally for one user or below one entity. */
export async function listVisibleGrants(
  tx: Tx,
  filter: { userId?: string; entityIds?: readonly string[] } = {},
): Promise<GrantRow[]> {
  let query = tx.selectFrom('role_grants').select(GRANT_COLUMNS);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.entityIds !== undefined) {
    if (filter.entityIds.length === 0) return [];
    query = query.where('entity_id', 'in', filter.entityIds);
  }
  return await query.orderBy('created_at').orderBy('id').execute();
}

export async function deleteGrant(tx: Tx, id: string): Promise<boolean> {
  const result = await tx.deleteFrom('role_grants').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Return true when some active user has the administrator role anywhere. */
export async function activeAdministratorExists(db: Db | Tx): Promise<boolean> {
  const result = await sql<{
    exists: boolean;
  }>`SELECT peytonix_active_administrator_exists() AS exists`.execute(db);
  return result.rows[0]?.exists === true;
}

/**
 * Give the first administrator the organization root, creating the root
 * when it does not exist. The database refuses once an active
 * administrator exists.
 */
export async function bootstrapAdministrator(
  tx: Tx,
  input: { userId: string; code: string; name: string },
) {
  const result = await sql<{ entity_id: string; entity_created: boolean; grant_id: string }>`
    SELECT entity_id, entity_created, grant_id
    FROM peytonix_bootstrap_administrator(${input.userId}::uuid, ${input.code}, ${input.name})
  `.execute(tx);
  const row = result.rows[0];
  if (row === undefined) throw new Error('bootstrap returned no row');
  return row;
}
