import { sql } from 'kysely';
import type { Db, Tx } from './database.ts';

/** The transaction-local setting that row-level security policies read. */
export const ACTOR_SETTING = 'peytonix.actor_user_id';

export interface ScopeOptions {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

/**
 * Run `work` in a transaction whose row-level security scope is the user
 * `userId`. The setting is transaction-local (`set_config(..., true)`), so
 * it ends with the transaction and a pooled connection never carries one
 * actor's scope into another's request. With `userId` null the policies
 * see no actor, and every entity-scoped table reads as empty.
 */
export async function inScope<T>(
  db: Db,
  userId: string | null,
  work: (tx: Tx) => Promise<T>,
  options: ScopeOptions = {},
): Promise<T> {
  const builder = db.transaction();
  const transaction =
    options.isolation === undefined ? builder : builder.setIsolationLevel(options.isolation);
  return await transaction.execute(async (tx) => {
    await sql`SELECT set_config(${ACTOR_SETTING}, ${userId ?? ''}, true)`.execute(tx);
    return await work(tx);
  });
}

/** Switch an open transaction to another scope, for code that already holds one. */
export async function setScope(tx: Tx, userId: string | null): Promise<void> {
  await sql`SELECT set_config(${ACTOR_SETTING}, ${userId ?? ''}, true)`.execute(tx);
}
