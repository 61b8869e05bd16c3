import { RUN_QUEUE_SPEC, runJobDefinition } from './modules/runs/run-job.ts';
import type { JobDefinition, QueueSpec } from './platform/jobs/job-queue.ts';
import type { Services } from './services.ts';

/** Every queue the modules define. `peytonix migrate` creates them as the owner role. */
export const JOB_QUEUES: readonly QueueSpec[] = [RUN_QUEUE_SPEC];

/** Bind the handlers of those queues to one process's services; workers in `start` and `worker` run them. */
export function jobDefinitions(services: Services): JobDefinition[] {
  return [runJobDefinition(services.runs)];
}
