import type { Selectable } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { EntitiesTable } from '../../platform/db/schema.ts';

export type EntityRow = Selectable<EntitiesTable>;
export type EntityType = EntitiesTable['type'];

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

export async function findEntityByCode(db: Db | Tx, code: string) {
  return await db
    .selectFrom('entities')
    .select(ENTITY_COLUMNS)
    .where((eb) => eb(eb.fn('lower', ['entities.code']), '=', code.toLowerCase()))
    .executeTakeFirst();
}

export async function findRootEntity(db: Db | Tx) {
  return await db
    .selectFrom('entities')
    .select(ENTITY_COLUMNS)
    .where('entities.parent_id', 'is', null)
    .executeTakeFirst();
}

/**
 * Every entity the scoped actor sees (row-level security filters to its
 * subtrees), each with its depth below the organization root. The depth is
 * the deepest path row of the entity, which the policy shows for visible
 * entities even when their ancestors are hidden.
 */
export async function listVisibleEntities(tx: Tx) {
  return await tx
    .selectFrom('entities')
    .innerJoin(
      (eb) =>
        eb
          .selectFrom('entity_closure')
          .select(['descendant_id', (inner) => inner.fn.max('depth').as('depth')])
          .groupBy('descendant_id')
          .as('path'),
      (join) => join.onRef('path.descendant_id', '=', 'entities.id'),
    )
    .select([...ENTITY_COLUMNS, 'path.depth'])
    .orderBy('path.depth')
    .orderBy('entities.code')
    .execute();
}

export async function findEntityById(db: Db | Tx, id: string) {
  return await db
    .selectFrom('entities')
    .select(ENTITY_COLUMNS)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertEntity(
  tx: Tx,
  entity: { parentId: string | null; type: EntityType; code: string; name: string },
) {
  return await tx
    .insertInto('entities')
    .values({
      parent_id: entity.parentId,
      type: entity.type,
      code: entity.code,
      name: entity.name,
    })
    .returning(['id', 'parent_id', 'type', 'code', 'name', 'status', 'created_at', 'updated_at'])
    .executeTakeFirstOrThrow();
}
