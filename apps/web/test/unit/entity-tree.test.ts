import { describe, expect, it } from 'vitest';
import type { EntityInScope } from '../../src/entities/entity-access.ts';
import { orderAsTree } from '../../src/entities/entity-tree.ts';

let nextId = 0;

function entity(code: string, parent: EntityInScope | null, depth: number): EntityInScope {
  nextId += 1;
  return {
    id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    parentId: parent?.id ?? null,
    type: parent === null ? 'organization' : 'business_unit',
    code,
    name: code,
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    depth,
  };
}

describe('orderAsTree', () => {
  it('puts each entity below its parent', () => {
    const root = entity('ORG', null, 0);
    const payables = entity('AP', root, 1);
    const receivables = entity('AR', root, 1);
    const engagement = entity('AP-2024', payables, 2);
    // The server lists entities by depth, then code.
    const rows = orderAsTree([root, payables, receivables, engagement]);

    expect(rows.map((row) => row.entity.code)).toEqual(['ORG', 'AP', 'AP-2024', 'AR']);
    expect(rows.map((row) => row.level)).toEqual([0, 1, 2, 1]);
  });

  it('starts a subtree where the parent is out of scope', () => {
    const hidden = entity('ORG', null, 0);
    const payables = entity('AP', hidden, 1);
    const receivables = entity('AR', hidden, 1);
    const engagement = entity('AR-1', receivables, 2);
    const rows = orderAsTree([receivables, payables, engagement]);

    expect(rows.map((row) => row.entity.code)).toEqual(['AP', 'AR', 'AR-1']);
    expect(rows.map((row) => row.level)).toEqual([0, 0, 1]);
  });
});
