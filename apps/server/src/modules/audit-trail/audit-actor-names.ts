import type { Db } from '../../platform/db/database.ts';
import { readUserNames, type UserName } from '../identity/users/user-names.ts';
import type { StoredAuditEvent } from './audit-events.repository.ts';

export type { UserName as ActorName } from '../identity/users/user-names.ts';

/**
 * Read the display name and email of every user that the events name as
 * actor or as the user an AI acted for. Only users named in these events
 * are read, and the caller may already read every one of the events, so no
 * name outside the caller's audit scope is returned.
 */
export async function readActorNames(
  db: Db,
  events: readonly StoredAuditEvent[],
): Promise<Record<string, UserName>> {
  const ids = new Set<string>();
  for (const { record } of events) {
    if (record.actorId !== null) ids.add(record.actorId);
    if (record.onBehalfOf !== null) ids.add(record.onBehalfOf);
  }
  return await readUserNames(db, ids);
}
