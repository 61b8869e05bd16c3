import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root, so a root process runs it as this user. */
export const POSTGRES_OS_USER = 'postgres';

async function lookupUser(name: string): Promise<OsUser | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return { name, uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Find the OS user that runs the embedded PostgreSQL, creating a system
 * user when the process is root and none exists.
 */
export async function ensurePostgresOsUser(): Promise<OsUser> {
  const existing = await lookupUser(POSTGRES_OS_USER);
  if (existing) return existing;

  await run('useradd', ['--system', '--user-group', '--no-create-home', POSTGRES_OS_USER]);
  const created = await lookupUser(POSTGRES_OS_USER);
  if (!created) {
    throw new Error(`useradd did not create the OS user ${POSTGRES_OS_USER}`);
  }
  return created;
}

/**
 * Name the first ancestor of `directory` that `user` cannot traverse, or
 * return undefined when every ancestor is traversable. PostgreSQL would
 * otherwise fail later with a less helpful "permission denied".
 */
export function findUntraversableAncestor(directory: string, user: OsUser): string | undefined {
  let current = path.dirname(path.resolve(directory));
  for (;;) {
    const stats = statSync(current);
    const traversable =
      (stats.uid === user.uid && (stats.mode & 0o100) !== 0) ||
      (stats.gid === user.gid && (stats.mode & 0o010) !== 0) ||
      (stats.mode & 0o001) !== 0;
    if (!traversable) return current;

    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
