import type { EntityInScope } from './entity-access.ts';

export const ENTITY_TYPE_LABELS: Record<EntityInScope['type'], string> = {
  organization: 'Organization',
  business_unit: 'Business unit',
  subsidiary: 'Subsidiary',
  engagement: 'Engagement',
};

/** An entity with its level in the tree of the entities in scope. The top of each subtree has level 0. */
export interface EntityTreeRow {
  entity: EntityInScope;
  level: number;
}

/**
 * Order `entities` depth-first, each parent before its children and
 * siblings by code. An entity whose parent is out of scope starts a
 * subtree of its own.
 */
export function orderAsTree(entities: readonly EntityInScope[]): EntityTreeRow[] {
  const ids = new Set(entities.map((entity) => entity.id));
  const children = new Map<string | null, EntityInScope[]>();
  for (const entity of entities) {
    const parent = entity.parentId !== null && ids.has(entity.parentId) ? entity.parentId : null;
    const siblings = children.get(parent) ?? [];
    siblings.push(entity);
    children.set(parent, siblings);
  }
  for (const siblings of children.values()) {
    siblings.sort((left, right) => left.code.localeCompare(right.code));
  }

  const rows: EntityTreeRow[] = [];
  const visit = (entity: EntityInScope, level: number) => {
    rows.push({ entity, level });
    for (const child of children.get(entity.id) ?? []) visit(child, level + 1);
  };
  for (const top of children.get(null) ?? []) visit(top, 0);
  return rows;
}
