import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { EntityRow } from './entities.repository.ts';

const ENTITY_COLUMNS = [
  'entities.id',
  'entities.parent_id',
  'entities.type',
  'entities.code',
  'entities.name',
  'entities.status',
  'entities.created_at',
  'entities.updated_at',
] as const;

/**
 * Load the entity `id` and lock it until the transaction ends. Returns
 * undefined when the scoped actor cannot see it, or cannot update it under
 * row-level security.
 */
export async function lockEntity(tx: Tx, id: string): Promise<EntityRow | undefined> {
  return await tx
    .selectFrom('entities')
    .select(ENTITY_COLUMNS)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function renameEntity(tx: Tx, id: string, name: string): Promise<EntityRow> {
  return await tx
    .updateTable('entities')
    .set({ name, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(ENTITY_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function archiveEntity(tx: Tx, id: string): Promise<EntityRow> {
  return await tx
    .updateTable('entities')
    .set({ status: 'archived', updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returning(ENTITY_COLUMNS)
    .executeTakeFirstOrThrow();
}

/**
 * Put the entity below `parentId`. A trigger moves its subtree in
 * entity_closure and raises check_violation (constraint entities_no_cycle)
 * when the new parent is the entity itself or one of its descendants.
 */
export async function moveEntity(tx: Tx, id: string, parentId: string): Promise<void> {
  await tx
    .updateTable('entities')
    .set({ parent_id: parentId, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

export async function countActiveChildren(tx: Tx, id: string): Promise<number> {
  const row = await tx
    .selectFrom('entities')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('parent_id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** True when `candidateId` is `ancestorId` itself or below it. */
export async function isInSubtree(
  tx: Tx,
  ancestorId: string,
  candidateId: string,
): Promise<boolean> {
  const row = await tx
    .selectFrom('entity_closure')
    .select('depth')
    .where('ancestor_id', '=', ancestorId)
    .where('descendant_id', '=', candidateId)
    .executeTakeFirst();
  return row !== undefined;
}

/** List the ids of the entity and of every entity below it that the scoped actor can see. */
export async function listSubtreeIds(tx: Tx, id: string): Promise<string[]> {
  const rows = await tx
    .selectFrom('entity_closure')
    .select('descendant_id')
    .where('ancestor_id', '=', id)
    .execute();
  return rows.map((row) => row.descendant_id);
}

/** True when a database error is the move trigger's cycle check. */
export function isEntityCycleError(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23514' && constraint === 'entities_no_cycle';
}
