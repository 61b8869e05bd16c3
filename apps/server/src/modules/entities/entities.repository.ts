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
 * Entities in every subtree where the user has a grant, each once, with
 * its depth below the root. One join over the closure table's primary key.
 */
export async function listEntitiesInUserScope(db: Db | Tx, userId: string) {
  return await db
    .selectFrom('role_grants')
    .innerJoin('entity_closure as scope', 'scope.ancestor_id', 'role_grants.entity_id')
    .innerJoin('entities', 'entities.id', 'scope.descendant_id')
    .innerJoin('entity_closure as from_root', (join) =>
      join
        .onRef('from_root.descendant_id', '=', 'entities.id')
        .on('from_root.ancestor_id', '=', (eb) =>
          eb.selectFrom('entities as root').select('root.id').where('root.parent_id', 'is', null),
        ),
    )
    .select([...ENTITY_COLUMNS, 'from_root.depth'])
    .distinct()
    .where('role_grants.user_id', '=', userId)
    .orderBy('from_root.depth')
    .orderBy('entities.code')
    .execute();
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
