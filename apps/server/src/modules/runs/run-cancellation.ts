import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Tx } from '../../platform/db/database.ts';
import type { RunStatus } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';

/** Interval between two reads of a running run's status, in ms. */
export const CANCELLATION_POLL_MS = 500;

/**
 * Interval between two heartbeats of a running run, in ms. The run reaper
 * ends a run whose heartbeat is older than LOST_RUN_SECONDS, eight
 * intervals, so a few failed writes do not end a live run.
 */
export const HEARTBEAT_MS = 15_000;

/** Log a failing status read on the first failure and then on every this many. */
const FAILURE_LOG_EVERY = 120;

/** Reason of the abort once a running run was cancelled. */
export class RunCancelledError extends Error {
  readonly runId: string;

  constructor(runId: string) {
    super(`Run ${runId} was cancelled while it ran.`);
    this.name = 'RunCancelledError';
    this.runId = runId;
  }
}

/**
 * Poller of a running run's status that aborts `signal` once the run is no
 * longer `running`. A cancellation, or the reaper after a long silence,
 * moves a run out of `running` while its worker still executes it, so an
 * abort means the run was cancelled. A run its requester can no longer see
 * reads as still running, and a failed read is logged and retried at the
 * next interval. Every HEARTBEAT_MS it also writes the run's heartbeat,
 * which shows the reaper that the worker is alive.
 */
export class RunCancellationWatch {
  readonly runId: string;
  readonly #controller = new AbortController();
  readonly #readStatus: () => Promise<RunStatus | undefined>;
  readonly #beat: (() => Promise<void>) | undefined;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reading = false;
  #beating = false;
  #failures = 0;

  constructor(options: {
    runId: string;
    readStatus: () => Promise<RunStatus | undefined>;
    /** Writes the run's heartbeat; a failure is logged and the next beat tries again. */
    beat?: () => Promise<void>;
    logger: Logger;
    intervalMs?: number;
    heartbeatMs?: number;
  }) {
    this.runId = options.runId;
    this.#readStatus = options.readStatus;
    this.#beat = options.beat;
    this.#logger = options.logger;
    this.#timer = setInterval(() => void this.#poll(), options.intervalMs ?? CANCELLATION_POLL_MS);
    this.#timer.unref();
    if (this.#beat !== undefined) {
      this.#heartbeatTimer = setInterval(
        () => void this.#writeHeartbeat(),
        options.heartbeatMs ?? HEARTBEAT_MS,
      );
      this.#heartbeatTimer.unref();
    }
  }

  /** Aborted, with a RunCancelledError as its reason, once the run was cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#heartbeatTimer);
    this.#timer = undefined;
    this.#heartbeatTimer = undefined;
  }

  async #writeHeartbeat(): Promise<void> {
    // A beat waits while the run's final transaction locks its row, so beats never pile up.
    if (this.#beating || this.#heartbeatTimer === undefined || this.#beat === undefined) return;
    this.#beating = true;
    try {
      await this.#beat();
    } catch (error) {
      this.#logger.warn({ err: error, runId: this.runId }, 'writing the run heartbeat failed');
    } finally {
      this.#beating = false;
    }
  }

  async #poll(): Promise<void> {
    if (this.#reading || this.#timer === undefined) return;
    this.#reading = true;
    try {
      const status = await this.#readStatus();
      if (status !== undefined && status !== 'running' && this.#timer !== undefined) {
        this.stop();
        this.#controller.abort(new RunCancelledError(this.runId));
      }
    } catch (error) {
      this.#failures += 1;
      if (this.#failures % FAILURE_LOG_EVERY === 1) {
        this.#logger.warn(
          { err: error, runId: this.runId, failures: this.#failures },
          'reading the run status to detect a cancellation failed; retrying',
        );
      }
    } finally {
      this.#reading = false;
    }
  }
}

function alreadyFinished(runId: string, status: RunStatus): AppError {
  return new AppError('CONFLICT', {
    detail: `Run ${runId} has already ended with status ${status}; only a queued or running run can be cancelled.`,
    extensions: { runStatus: status },
  });
}

/**
 * Cancel a queued or running run that the caller has loaded and authorized,
 * in the caller's transaction: one UPDATE conditional on the status, then
 * the run.cancelled event. A run that is already cancelled is left as it is,
 * and no second event is written. A run that has ended otherwise is a 409
 * CONFLICT whose `status` member names its status.
 *
 * The worker records a result with an UPDATE conditional on `running`
 * too. Whichever of the two commits first wins, and the other updates no
 * row: so a run ends either succeeded with its exceptions or cancelled
 * without any.
 */
export async function cancelRun(
  tx: Tx,
  actor: Actor & { type: 'user' },
  run: {
    id: string;
    status: RunStatus;
    entity_id: string;
    test_key: string;
    run_number: number | null;
    preview: boolean;
    requested_by: string;
  },
  context?: RequestContext,
): Promise<void> {
  if (run.status === 'cancelled') return;
  if (run.status !== 'queued' && run.status !== 'running')
    throw alreadyFinished(run.id, run.status);

  const cancelled = await tx
    .updateTable('runs')
    .set({ status: 'cancelled', finished_at: sql`now()`, cancelled_by: actor.userId })
    .where('id', '=', run.id)
    .where('status', 'in', ['queued', 'running'])
    .returning('id')
    .executeTakeFirst();
  if (cancelled === undefined) {
    // The run ended between the read and the update: the update waited for
    // the worker's (or another cancel's) transaction and then matched no row.
    const current = await tx
      .selectFrom('runs')
      .select('status')
      .where('id', '=', run.id)
      .executeTakeFirstOrThrow();
    if (current.status === 'cancelled') return;
    throw alreadyFinished(run.id, current.status);
  }

  await appendAuditEvent(tx, {
    actor,
    action: 'run.cancelled',
    outcome: 'success',
    target: { type: 'run', id: run.id },
    entityId: run.entity_id,
    ...(context ? { context } : {}),
    details: {
      testKey: run.test_key,
      runNumber: run.run_number,
      preview: run.preview,
      previousStatus: run.status,
      requestedBy: run.requested_by,
    },
  });
}
