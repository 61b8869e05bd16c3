import {
  EVIDENCE_SCAN_QUEUE_SPEC,
  evidenceScanJobDefinition,
} from './modules/evidence/evidence-scan-job.ts';
import { LOST_RUNS_QUEUE_SPEC, lostRunsJobDefinition } from './modules/runs/lost-runs.ts';
import { RUN_QUEUE_SPEC, runJobDefinition } from './modules/runs/run-job.ts';
import {
  TEST_SCHEDULE_QUEUE_SPEC,
  testScheduleJobDefinition,
} from './modules/tests/test-schedule-job.ts';
import type { JobDefinition, QueueSpec } from './platform/jobs/job-queue.ts';
import type { Services } from './services.ts';

/** Every queue the modules define. `peytonix migrate` creates them, and their cron schedules, as the owner role. */
export const JOB_QUEUES: readonly QueueSpec[] = [
  RUN_QUEUE_SPEC,
  TEST_SCHEDULE_QUEUE_SPEC,
  LOST_RUNS_QUEUE_SPEC,
  EVIDENCE_SCAN_QUEUE_SPEC,
];

/** Bind the handlers of those queues to one process's services; workers in `start` and `worker` run them. */
export function jobDefinitions(services: Services): JobDefinition[] {
  return [
    runJobDefinition(services.runs),
    testScheduleJobDefinition(services.testScheduler),
    lostRunsJobDefinition(services.runs),
    evidenceScanJobDefinition(services.evidence),
  ];
}
