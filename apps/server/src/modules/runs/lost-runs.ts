import { sql } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.ts';
import type { JobDefinition, QueueSpec } from '../../platform/jobs/job-queue.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor } from '../identity/actor.ts';
import { HEARTBEAT_MS } from './run-cancellation.ts';
import type { RunsService } from './runs.service.ts';

/**
 * Age in seconds of the last heartbeat after which a running run counts as
 * lost: eight heartbeat intervals of a live worker.
 */
export const LOST_RUN_SECONDS = (8 * HEARTBEAT_MS) / 1000;

/** A run that was running without a live worker and is now failed. */
export interface LostRun {
  runId: string;
  entityId: string;
  testKey: string;
  requestedBy: string;
  preview: boolean;
  lastHeartbeatAt: Date;
}

const REAPER: Actor = { type: 'system', channel: 'worker' };

/**
 * End every run that is still `running` but whose worker has written no
 * heartbeat for `staleSeconds` (at least 60), as `failed` with the code
 * WORKER_LOST, and audit each as `run.failed`. The update and the events
 * commit together. A worker that was only slow, and finishes later, finds
 * its run no longer running and discards its result, as after a cancel.
 */
export async function failLostRuns(
  db: Db,
  logger: Logger,
  staleSeconds: number = LOST_RUN_SECONDS,
): Promise<LostRun[]> {
  const lost = await db.transaction().execute(async (tx) => {
    const { rows } = await sql<{
      run_id: string;
      entity_id: string;
      test_key: string;
      requested_by: string;
      preview: boolean;
      last_heartbeat_at: Date;
    }>`SELECT * FROM peytonix_fail_lost_runs(${staleSeconds}::integer)`.execute(tx);

    for (const row of rows) {
      await appendAuditEvent(tx, {
        actor: REAPER,
        action: 'run.failed',
        outcome: 'failure',
        reasonCode: 'WORKER_LOST',
        target: { type: 'run', id: row.run_id },
        entityId: row.entity_id,
        details: {
          testKey: row.test_key,
          status: 'failed',
          preview: row.preview,
          requestedBy: row.requested_by,
          lastHeartbeatAt: row.last_heartbeat_at.toISOString(),
        },
      });
    }
    return rows;
  });

  for (const row of lost) {
    logger.warn(
      { runId: row.run_id, lastHeartbeatAt: row.last_heartbeat_at },
      'run had no live worker and was ended as failed (WORKER_LOST)',
    );
  }
  return lost.map((row) => ({
    runId: row.run_id,
    entityId: row.entity_id,
    testKey: row.test_key,
    requestedBy: row.requested_by,
    preview: row.preview,
    lastHeartbeatAt: row.last_heartbeat_at,
  }));
}

export const LOST_RUNS_QUEUE = 'lost-runs';

/**
 * pg-boss sends this queue a job every minute, and the job ends the runs
 * whose worker died. A failed sweep is not retried, because the next one
 * finds the same runs.
 */
export const LOST_RUNS_QUEUE_SPEC: QueueSpec = {
  queue: LOST_RUNS_QUEUE,
  cron: '* * * * *',
  retryLimit: 0,
  expireInSeconds: 5 * 60,
};

// The sweep reads everything from the database, so the job carries nothing.
const sweepJobSchema = z.strictObject({}).nullish();

export function lostRunsJobDefinition(
  runs: Pick<RunsService, 'failLostRuns'>,
): JobDefinition<Record<string, never>> {
  return {
    ...LOST_RUNS_QUEUE_SPEC,
    parse: (data) => {
      sweepJobSchema.parse(data);
      return {};
    },
    async handle() {
      await runs.failLostRuns();
    },
  };
}
