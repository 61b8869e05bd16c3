import { z } from 'zod';
import type { JobDefinition, QueueSpec } from '../../platform/jobs/job-queue.ts';
import type { RunsService } from './runs.service.ts';

export const RUN_QUEUE = 'test-run';

/**
 * A run is never retried by the queue: its failure is recorded on the run,
 * and a new run is a new request. A job expires after the longest run
 * time limit plus a margin.
 */
export const RUN_QUEUE_SPEC: QueueSpec = {
  queue: RUN_QUEUE,
  retryLimit: 0,
  expireInSeconds: 60 * 60,
  // An auditor waits for the run, so an idle worker takes it at once.
  notify: true,
};

// The requester travels with the job: the worker acts in that user's
// scope, never as an unrestricted service.
const runJobSchema = z.strictObject({ runId: z.uuid(), requestedBy: z.uuid() });

export function runJobDefinition(
  runs: RunsService,
): JobDefinition<{ runId: string; requestedBy: string }> {
  return {
    ...RUN_QUEUE_SPEC,
    // An auditor waits for a run, so idle workers look for one every half second.
    pollingIntervalSeconds: 0.5,
    parse: (data) => runJobSchema.parse(data),
    async handle({ runId, requestedBy }, { logger }) {
      const outcome = await runs.execute(runId, requestedBy);
      if (outcome === null) {
        logger.info(
          { runId },
          'run was no longer queued (cancelled, or taken by another worker), or its requester cannot see it; nothing to do',
        );
      }
    },
  };
}
