import { AppError } from '../../platform/http/app-error.ts';

/** One reserved place for an import or preview process. Release it when the work ends; a second release does nothing. */
export interface ImportSlot {
  release(): void;
}

/** The import and preview processes that one server or CLI process may run at once. */
export interface ImportSlots {
  /** Reserve a slot, or throw RATE_LIMITED (429 with Retry-After) when all are taken. */
  reserve(work: 'import' | 'preview'): ImportSlot;
  /** Slots reserved now. */
  readonly running: number;
}

/** Retry-After, in seconds, when every slot is taken. A typical preview takes seconds. */
const RETRY_AFTER_SECONDS = 15;

/**
 * Count the import and preview processes of this process and reject one past
 * `max` at once, instead of queueing it: each process may use 2 GiB of memory
 * and a whole core, and a queue would hold requests for minutes.
 */
export function createImportSlots(max: number): ImportSlots {
  let running = 0;
  return {
    reserve(work) {
      if (running >= max) {
        throw new AppError('RATE_LIMITED', {
          detail: `${running} dataset imports and previews are already running on this server, the most it runs at once (PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS). Retry the ${work} in ${RETRY_AFTER_SECONDS} seconds.`,
          headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        });
      }

      running += 1;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          running -= 1;
        },
      };
    },
    get running() {
      return running;
    },
  };
}
