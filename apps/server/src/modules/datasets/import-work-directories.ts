import { lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

/** Name prefix of each import's work directory under the work root. */
const IMPORT_DIRECTORY_PREFIX = 'import-';

/**
 * Time without modification after which an import work directory belongs to
 * no running import, in ms. An import's child process is killed after 30
 * minutes by default (DEFAULT_IMPORT_TIMEOUT_MS), and storing its files
 * follows, so 6 hours leaves a wide margin.
 */
export const LEFTOVER_IMPORT_AGE_MS = 6 * 60 * 60_000;

/** Create the private work directory (mode 0700) of one import under `workRoot`. */
export async function createImportWorkDirectory(workRoot: string): Promise<string> {
  await mkdir(workRoot, { recursive: true, mode: 0o700 });
  return await mkdtemp(path.join(workRoot, IMPORT_DIRECTORY_PREFIX));
}

/** Latest modification time of a directory and of its direct entries, in ms since the epoch. */
async function lastModifiedMs(directory: string): Promise<number> {
  let latest = (await lstat(directory)).mtimeMs;
  for (const entry of await readdir(directory)) {
    const stats = await lstat(path.join(directory, entry)).catch(() => undefined);
    if (stats !== undefined) latest = Math.max(latest, stats.mtimeMs);
  }
  return latest;
}

/**
 * Remove the work directories that imports left behind under `workRoot`, as
 * when their process was killed. They can hold the uploaded data and its
 * Parquet copy unencrypted. Returns how many were removed, and logs the
 * count but never a file's content.
 *
 * Another process may be importing into the same work root right now: a
 * CLI import, or another server or worker on the same data directory. So a
 * directory is removed only when neither it nor any direct entry was
 * modified in the last LEFTOVER_IMPORT_AGE_MS before `now`. An age was chosen
 * over a PID marker because a PID proves nothing when the data directory is
 * shared between machines or the PID has been reused.
 */
export async function removeLeftoverImportDirectories(
  workRoot: string,
  logger: Logger,
  now: number = Date.now(),
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(workRoot);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    logger.warn({ err: error, workRoot }, 'listing leftover import work directories failed');
    return 0;
  }

  let removed = 0;
  let skippedRecent = 0;
  for (const name of names) {
    if (!name.startsWith(IMPORT_DIRECTORY_PREFIX)) continue;
    const directory = path.join(workRoot, name);
    try {
      if (!(await lstat(directory)).isDirectory()) continue;
      if (now - (await lastModifiedMs(directory)) < LEFTOVER_IMPORT_AGE_MS) {
        skippedRecent += 1;
        continue;
      }
      await rm(directory, { recursive: true, force: true });
      removed += 1;
    } catch (error) {
      logger.warn({ err: error, directory }, 'removing a leftover import work directory failed');
    }
  }
  if (removed > 0) {
    logger.info({ workRoot, removed, skippedRecent }, 'removed leftover import work directories');
  }
  return removed;
}
