import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import { rolesHolding } from '../access/permissions.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import type { Actor } from '../identity/actor.ts';

/** A user an exception can be assigned to, as GET /api/v1/exceptions/assignees lists them. */
export interface Assignee {
  id: string;
  displayName: string;
  email: string;
}

/** Return the 404 for an entity code that does not exist or lies outside the caller's scope. */
export function entityNotFound(code: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No entity ${JSON.stringify(code)} is visible to you. List entities with GET /api/v1/entities.`,
  });
}

/**
 * Select the active users who hold a role that investigates exceptions on
 * the entity or above it. The check is `peytonix_user_holds`, the function
 * that the assign step calls, so every user listed here passes that step's
 * assignee check. The entity must be in the scoped actor's own scope, or
 * the function matches no one.
 */
async function selectEligibleAssignees(tx: Tx, entityId: string) {
  const investigators = rolesHolding('exceptions.investigate');

  return await tx
    .selectFrom('users')
    .select(['id', 'display_name', 'email'])
    .where('status', '=', 'active')
    .where(sql<boolean>`peytonix_user_holds(users.id, ${entityId}, ${[...investigators]}::text[])`)
    .orderBy(sql`lower(display_name)`)
    .orderBy('email')
    .execute();
}

/**
 * List the users that exceptions of the entity can be assigned to. Only a
 * caller who may assign exceptions there reads the list, and an entity
 * outside the caller's scope is 404, as if it did not exist.
 */
export async function listAssignees(
  deps: { db: Db; access: AccessControl },
  actor: Actor,
  entityCode: string,
): Promise<{ items: Assignee[] }> {
  return await withActor(deps.db, actor, async (tx) => {
    const entity = await findEntityByCode(tx, entityCode);
    if (entity === undefined) throw entityNotFound(entityCode);

    await deps.access.authorize(
      tx,
      actor,
      'exceptions.assign',
      { type: 'entity', id: entity.id, entityId: entity.id },
      { notFound: () => entityNotFound(entityCode) },
    );

    const rows = await selectEligibleAssignees(tx, entity.id);
    return {
      items: rows.map((row) => ({ id: row.id, displayName: row.display_name, email: row.email })),
    };
  });
}
