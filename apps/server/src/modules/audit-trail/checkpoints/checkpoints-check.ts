import { type ReadinessCheck, ReadinessFailure } from '../../../platform/health/readiness.ts';
import type { CheckpointScheduler } from './checkpoint-scheduler.ts';

/**
 * Readiness fails while checkpoints cannot be signed: the chain may be
 * damaged or the key unusable, and either needs an operator.
 */
export function checkpointsCheck(scheduler: CheckpointScheduler): ReadinessCheck {
  return {
    name: 'audit_checkpoints',
    async run() {
      const error = scheduler.lastError();
      if (error !== null)
        throw new ReadinessFailure('audit checkpoints are failing; see the server log');
    },
  };
}
