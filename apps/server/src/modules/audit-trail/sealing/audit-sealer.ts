import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/schema.ts';
import { type ReadinessCheck, ReadinessFailure } from '../../../platform/health/readiness.ts';
import { startPeriodicTask } from '../../../platform/scheduling/periodic-task.ts';
import { sealPendingEvents } from './seal-pending.ts';

const LOG_INTERVAL_MS = 60_000;

export interface AuditSealer {
  /** The last failure; null once a later run succeeds. */
  lastError(): Error | null;
  /** Stop the timer and seal what is still pending, once. */
  stop(): Promise<void>;
}

/**
 * Seal pending audit events every `intervalMs`. Several processes may run
 * a sealer: they take turns on the chain lock, and each run seals whatever
 * the others left.
 */
export function startAuditSealer(
  db: Kysely<Database>,
  logger: Logger,
  intervalMs = 25,
): AuditSealer {
  let failure: Error | null = null;
  let failedRuns = 0;
  let loggedAt = 0;

  const run = async () => {
    try {
      await sealPendingEvents(db);
      if (failure !== null) logger.info({ failedRuns }, 'sealing audit events works again');
      failure = null;
      failedRuns = 0;
    } catch (error) {
      // Events stay in audit_pending until a run succeeds; none is lost.
      failure = error instanceof Error ? error : new Error(String(error));
      failedRuns += 1;
      // Log once a minute at most, and only the message and code: the
      // database's error detail can quote a whole event row.
      if (Date.now() - loggedAt >= LOG_INTERVAL_MS) {
        loggedAt = Date.now();
        const code = (error as { code?: unknown }).code;
        logger.error(
          { error: failure.message, code, failedRuns },
          'sealing audit events failed; they stay pending',
        );
      }
    }
  };

  const task = startPeriodicTask(intervalMs, run);
  return {
    lastError: () => failure,
    async stop() {
      await task.stop();
      await run();
    },
  };
}

/** Readiness fails while pending events cannot be sealed into the chain. */
export function sealerCheck(sealer: AuditSealer): ReadinessCheck {
  return {
    name: 'audit_sealer',
    async run() {
      if (sealer.lastError() !== null) {
        throw new ReadinessFailure('audit events cannot be sealed; see the server log');
      }
    },
  };
}
