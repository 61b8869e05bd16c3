import type { Logger } from 'pino';
import { isDatabaseUnavailableError } from '../../../platform/db/connection-errors.ts';
import type { Db } from '../../../platform/db/database.ts';
import { isAppError } from '../../../platform/http/app-error.ts';
import { OutputClosedError, OutputStalledError } from '../../../platform/streams/output-flow.ts';
import { withActor } from '../../access/actor-scope.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { exportAuditEvent } from './export-audit.ts';
import type { StartedExport } from './started-export.ts';

/**
 * Return the error that made a started export fail. A closed output is
 * only the symptom when the output failed with its own error, and a failed
 * ROLLBACK on a lost connection hides the error that came first.
 */
export function failureCause(thrown: unknown, started: StartedExport): unknown {
  const first = started.firstError ?? thrown;
  if (first instanceof OutputClosedError && started.outputError !== undefined) {
    return started.outputError;
  }
  return first;
}

function failureReason(error: unknown, started: StartedExport): string {
  if (error instanceof OutputStalledError) return 'OUTPUT_STALLED';
  if (started.outputError !== undefined && error === started.outputError) return 'OUTPUT_FAILED';
  if (error instanceof OutputClosedError) return 'OUTPUT_CLOSED';
  if (isAppError(error)) return error.code;
  if (isDatabaseUnavailableError(error)) return 'DATABASE_UNAVAILABLE';
  return 'EXPORT_FAILED';
}

export function actorLabel(actor: Actor): string {
  return actor.type === 'user' ? actor.userId : actor.type;
}

function logFailure(
  logger: Logger,
  fields: Record<string, unknown>,
  error: unknown,
  started: StartedExport,
): void {
  if (error instanceof OutputClosedError) {
    logger.warn(fields, 'exceptions export stopped because its output closed');
  } else if (error instanceof OutputStalledError) {
    logger.warn(fields, 'exceptions export timed out because its output accepted no bytes');
  } else if (started.delivered) {
    logger.error(
      { ...fields, err: error },
      'exceptions export delivered its whole file, but its transaction failed to commit',
    );
  } else {
    logger.error({ ...fields, err: error }, 'exceptions export failed');
  }
}

/**
 * Log a started export's failure and write its exceptions.exported event
 * with outcome failure, the rows written so far and the reason code. When
 * the audit trail cannot take the event, log that instead.
 */
export async function recordExportFailure(
  deps: { db: Db; logger: Logger },
  actor: Actor,
  started: StartedExport,
  error: unknown,
  context: RequestContext | undefined,
): Promise<void> {
  const reasonCode = failureReason(error, started);
  const fields = {
    requestId: context?.requestId,
    actor: actorLabel(actor),
    file: started.file.fileName,
    rows: started.rows,
    delivered: started.delivered,
    reasonCode,
  };
  logFailure(deps.logger, fields, error, started);

  const event = exportAuditEvent(
    actor,
    started.format,
    started.target,
    started.rows,
    { outcome: 'failure', reasonCode },
    context,
  );
  try {
    await withActor(deps.db, actor, (tx) => appendAuditEvent(tx, event));
  } catch (auditError) {
    deps.logger.error(
      { ...fields, err: auditError },
      'the audit event of a failed exceptions export could not be written',
    );
  }
}
