import type { Db } from '../../../platform/db/database.ts';

/** The display name and email that screens show for a user id. */
export interface UserName {
  displayName: string;
  email: string;
}

/**
 * Read the display name and email of each user in `ids`. Callers pass
 * only ids from records the actor may already read, such as the author of
 * a visible change request, so no other user's name is returned.
 */
export async function readUserNames(
  db: Db,
  ids: Iterable<string>,
): Promise<Record<string, UserName>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return {};

  const rows = await db
    .selectFrom('users')
    .select(['id', 'display_name', 'email'])
    .where('id', 'in', unique)
    .execute();
  return Object.fromEntries(
    rows.map((row) => [row.id, { displayName: row.display_name, email: row.email }]),
  );
}
