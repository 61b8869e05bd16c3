import path from 'node:path';
import type { Logger } from 'pino';
import { removeLeftoverDirectories } from '../../platform/files/leftover-directories.ts';

/**
 * Time without modification after which a run's work directory belongs to
 * no running run, in ms. A run is killed after its time limit (at most 25
 * minutes), so 6 hours leaves a wide margin.
 */
export const LEFTOVER_RUN_AGE_MS = 6 * 60 * 60_000;

/**
 * Remove the work directories (`<workRoot>/runs/<run id>`) that runs left
 * behind when their worker died. They hold the run's inputs as decrypted
 * Parquet files.
 */
export async function removeLeftoverRunDirectories(
  workRoot: string,
  logger: Logger,
  now: number = Date.now(),
): Promise<number> {
  return await removeLeftoverDirectories(
    {
      parent: path.join(workRoot, 'runs'),
      prefix: '',
      label: 'run work directories',
      maxAgeMs: LEFTOVER_RUN_AGE_MS,
    },
    logger,
    now,
  );
}
