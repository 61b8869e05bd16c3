import type { Db } from '../../platform/db/database.ts';
import type { StoredAuditEvent } from './audit-events.repository.ts';

export interface ActorName {
  displayName: string;
  email: string;
}

/**
 * Read the display name and email of every user that the events name as
 * actor or as the user an AI acted for. Only users named in these events
 * are read, and the caller may already read every one of the events, so no
 * name outside the caller's audit scope is returned.
 */
export async function readActorNames(
  db: Db,
  events: readonly StoredAuditEvent[],
): Promise<Record<string, ActorName>> {
  const ids = new Set<string>();
  for (const { record } of events) {
    if (record.actorId !== null) ids.add(record.actorId);
    if (record.onBehalfOf !== null) ids.add(record.onBehalfOf);
  }
  if (ids.size === 0) return {};

  const rows = await db
    .selectFrom('users')
    .select(['id', 'display_name', 'email'])
    .where('id', 'in', [...ids])
    .execute();
  return Object.fromEntries(
    rows.map((row) => [row.id, { displayName: row.display_name, email: row.email }]),
  );
}
