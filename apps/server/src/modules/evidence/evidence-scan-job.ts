import { z } from 'zod';
import type { JobDefinition, QueueSpec } from '../../platform/jobs/job-queue.ts';
import type { EvidenceService } from './evidence.service.ts';

export const EVIDENCE_SCAN_QUEUE = 'evidence-scans';

/**
 * pg-boss sends this queue a job every minute, and the job scans again
 * the evidence whose earlier scan gave no verdict and whose back-off has
 * passed. A failed sweep is not retried, because the next one finds the
 * same versions.
 */
export const EVIDENCE_SCAN_QUEUE_SPEC: QueueSpec = {
  queue: EVIDENCE_SCAN_QUEUE,
  cron: '* * * * *',
  retryLimit: 0,
  expireInSeconds: 15 * 60,
};

// The sweep reads everything from the database, so the job carries nothing.
const sweepJobSchema = z.strictObject({}).nullish();

export function evidenceScanJobDefinition(
  evidence: Pick<EvidenceService, 'retryScans'>,
): JobDefinition<Record<string, never>> {
  return {
    ...EVIDENCE_SCAN_QUEUE_SPEC,
    parse: (data) => {
      sweepJobSchema.parse(data);
      return {};
    },
    async handle() {
      await evidence.retryScans();
    },
  };
}
