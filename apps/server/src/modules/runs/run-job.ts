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
};

const runJobSchema = z.strictObject({ runId: z.uuid() });

export function runJobDefinition(runs: RunsService): JobDefinition<{ runId: string }> {
  return {
    ...RUN_QUEUE_SPEC,
    // An auditor waits for a run, so idle workers look for one every half second.
    pollingIntervalSeconds: 0.5,
    parse: (data) => runJobSchema.parse(data),
    async handle({ runId }, { logger }) {
      const outcome = await runs.execute(runId);
      if (outcome === null) logger.info({ runId }, 'run was not queued any more; nothing to do');
    },
  };
}
