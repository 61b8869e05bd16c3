import type { JobDefinition } from './platform/jobs/job-queue.ts';

/**
 * Every queue the modules define. `peytonix migrate` creates them as the
 * owner role; workers in `start` and `worker` process them.
 * NOTE: no module defines a job yet; audit checkpoints and test runs will.
 */
export const JOB_DEFINITIONS: readonly JobDefinition[] = [];
