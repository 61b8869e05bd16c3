import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/schema.ts';
import { type ReadinessCheck, ReadinessFailure } from '../../../platform/health/readiness.ts';
import { startPeriodicTask } from '../../../platform/scheduling/periodic-task.ts';
import { sealPendingEvents } from './seal-pending.ts';

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

  const run = async () => {
    try {
      await sealPendingEvents(db);
      failure = null;
    } catch (error) {
      // NOTE: events stay in audit_pending until a run succeeds; none is lost.
      failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ err: failure }, 'sealing audit events failed; they stay pending');
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
