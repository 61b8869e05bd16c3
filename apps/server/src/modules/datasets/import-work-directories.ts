import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { removeLeftoverDirectories } from '../../platform/files/leftover-directories.ts';

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

/**
 * Remove the work directories that imports left behind under `workRoot`, as
 * when their process was killed. They can hold the uploaded data and its
 * Parquet copy unencrypted. See removeLeftoverDirectories for why an age
 * decides which directories are left over.
 */
export async function removeLeftoverImportDirectories(
  workRoot: string,
  logger: Logger,
  now: number = Date.now(),
): Promise<number> {
  return await removeLeftoverDirectories(
    {
      parent: workRoot,
      prefix: IMPORT_DIRECTORY_PREFIX,
      label: 'import work directories',
      maxAgeMs: LEFTOVER_IMPORT_AGE_MS,
    },
    logger,
    now,
  );
}
