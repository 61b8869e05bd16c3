import { sql } from 'kysely';
import { inScope, type ScopeOptions } from '../../platform/db/actor-scope.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Actor } from '../identity/actor.ts';
import { isRole, type Role } from './permissions.ts';

/**
 * The user whose grants bound what an actor sees in the database. An AI
 * principal sees what the user it acts for sees; service principals
 * (system, SCIM) and anonymous callers see no entity-scoped row at all.
 */
export function scopeUserId(actor: Actor): string | null {
  switch (actor.type) {
    case 'user':
      return actor.userId;
    case 'ai':
      return actor.onBehalfOf;
    default:
      return null;
  }
}

/**
 * Run `work` in one transaction scoped to the actor: row-level security
 * shows it only rows in its subtrees. Every service reads and writes
 * entity-scoped data through this.
 */
export async function withActor<T>(
  db: Db,
  actor: Actor,
  work: (tx: Tx) => Promise<T>,
  options: ScopeOptions = {},
): Promise<T> {
  return await inScope(db, scopeUserId(actor), work, options);
}

/** Read the scoped actor's roles on `entityId`, from grants on it or above it. */
export async function rolesOnEntity(tx: Tx, entityId: string): Promise<Role[]> {
  const result = await sql<{ role: string }>`
    SELECT DISTINCT role FROM peytonix_actor_scope() WHERE entity_id = ${entityId}
  `.execute(tx);
  return result.rows.map((row) => row.role).filter(isRole);
}

/** Read every (entity, role) pair of the scoped actor's grants. */
export async function actorScope(tx: Tx): Promise<{ entityId: string; role: Role }[]> {
  const result = await sql<{ entity_id: string; role: string }>`
    SELECT entity_id, role FROM peytonix_actor_scope()
  `.execute(tx);
  return result.rows.flatMap((row) =>
    isRole(row.role) ? [{ entityId: row.entity_id, role: row.role }] : [],
  );
}

/** Read the roles a user has on any entity, which each route's coarse check uses. */
export async function heldRoles(db: Db | Tx, userId: string): Promise<Role[]> {
  const result = await sql<{ roles: string[] }>`
    SELECT peytonix_held_roles(${userId}::uuid) AS roles
  `.execute(db);
  return (result.rows[0]?.roles ?? []).filter(isRole);
}
