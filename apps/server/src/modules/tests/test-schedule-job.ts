import { z } from 'zod';
import type { JobDefinition, QueueSpec } from '../../platform/jobs/job-queue.ts';
import type { TestScheduler } from './test-scheduler.ts';

export const TEST_SCHEDULE_QUEUE = 'test-schedules';

/**
 * pg-boss sends this queue a job every minute, and the job runs one tick
 * of the test scheduler. A failed tick is not retried, because the next
 * tick queues whatever the failed one left unclaimed. A tick that outlives
 * the next one is harmless: each fire is claimed once.
 */
export const TEST_SCHEDULE_QUEUE_SPEC: QueueSpec = {
  queue: TEST_SCHEDULE_QUEUE,
  cron: '* * * * *',
  retryLimit: 0,
  expireInSeconds: 10 * 60,
};

// The tick reads everything from the database, so the job carries nothing.
const tickJobSchema = z.strictObject({}).nullish();

export function testScheduleJobDefinition(
  scheduler: TestScheduler,
): JobDefinition<Record<string, never>> {
  return {
    ...TEST_SCHEDULE_QUEUE_SPEC,
    parse: (data) => {
      tickJobSchema.parse(data);
      return {};
    },
    async handle(_data, { logger }) {
      const tick = await scheduler.tick();
      if (tick.fires.length === 0) return;
      const count = (outcome: string) =>
        tick.fires.filter((fire) => fire.outcome === outcome).length;
      logger.info(
        {
          at: tick.at,
          queued: count('queued'),
          skipped: count('skipped'),
          claimedElsewhere: count('claimed_elsewhere'),
          failed: count('failed'),
        },
        'test schedules ticked',
      );
    },
  };
}
