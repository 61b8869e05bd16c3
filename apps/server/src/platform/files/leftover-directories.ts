import { lstat, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

/** Latest modification time of a directory and of its direct entries, in ms since the epoch. */
async function lastModifiedMs(directory: string): Promise<number> {
  let latest = (await lstat(directory)).mtimeMs;
  for (const entry of await readdir(directory)) {
    const stats = await lstat(path.join(directory, entry)).catch(() => undefined);
    if (stats !== undefined) latest = Math.max(latest, stats.mtimeMs);
  }
  return latest;
}

export interface LeftoverDirectories {
  /** Directory whose subdirectories are checked. */
  parent: string;
  /** Only subdirectories whose name starts with it; '' for all. */
  prefix: string;
  /** What the directories are, for log lines, such as "import work directories". */
  label: string;
  /** Time without modification after which a directory belongs to no running work, in ms. */
  maxAgeMs: number;
}

/**
 * Remove the work directories that a killed process left behind. They can
 * hold decrypted audit data, so they must not outlive the work. Another
 * process may be using the same parent right now (a CLI command, or another
 * server or worker on the same data directory), so a directory is removed
 * only when neither it nor any direct entry was modified within `maxAgeMs`
 * before `now`. An age was chosen over a PID marker because a PID proves
 * nothing when the data directory is shared between machines or the PID has
 * been reused. Returns how many were removed, and logs the count but never
 * a file's content.
 */
export async function removeLeftoverDirectories(
  leftovers: LeftoverDirectories,
  logger: Logger,
  now: number = Date.now(),
): Promise<number> {
  const { parent, prefix, label, maxAgeMs } = leftovers;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    logger.warn({ err: error, parent }, `listing leftover ${label} failed`);
    return 0;
  }

  let removed = 0;
  let skippedRecent = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const directory = path.join(parent, name);
    try {
      if (!(await lstat(directory)).isDirectory()) continue;
      if (now - (await lastModifiedMs(directory)) < maxAgeMs) {
        skippedRecent += 1;
        continue;
      }
      await rm(directory, { recursive: true, force: true });
      removed += 1;
    } catch (error) {
      logger.warn({ err: error, directory }, `removing one of the leftover ${label} failed`);
    }
  }
  if (removed > 0) {
    logger.info({ parent, removed, skippedRecent }, `removed leftover ${label}`);
  }
  return removed;
}
