import type { Db } from '../../platform/db/database.ts';
import { actorScope, withActor } from '../access/actor-scope.ts';
import { rolesHold } from '../access/permissions.ts';
import type { Actor } from '../identity/actor.ts';

/**
 * The part of the trail an actor may read: all of it (audit_trail.read on
 * the organization root), the events of the entities where it holds
 * audit_trail.read, or nothing. Events that name no entity are
 * platform-wide and need the root.
 */
export type AuditReadScope =
  | { kind: 'all' }
  | { kind: 'subtrees'; entityIds: string[] }
  | { kind: 'none' };

export async function auditReadScope(db: Db, actor: Actor): Promise<AuditReadScope> {
  if (actor.type !== 'user') return { kind: 'none' };

  return await withActor(db, actor, async (tx) => {
    const readable = new Set<string>();
    for (const { entityId, role } of await actorScope(tx)) {
      if (rolesHold([role], 'audit_trail.read')) readable.add(entityId);
    }
    if (readable.size === 0) return { kind: 'none' };

    const root = await tx
      .selectFrom('entities')
      .select('id')
      .where('parent_id', 'is', null)
      .executeTakeFirst();
    if (root !== undefined && readable.has(root.id)) return { kind: 'all' };
    return { kind: 'subtrees', entityIds: [...readable] };
  });
}
