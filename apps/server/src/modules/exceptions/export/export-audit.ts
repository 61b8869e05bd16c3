import type { AuditEventInput } from '../../audit-trail/audit-event-input.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import type { ExportFormat, ExportTarget } from './export-target.ts';

/**
 * Build the exceptions.exported event. `rows` counts the rows written to
 * the output, which on failure is fewer than the export contains.
 */
export function exportAuditEvent(
  actor: Actor,
  format: ExportFormat,
  target: ExportTarget,
  rows: number,
  result: { outcome: 'success' } | { outcome: 'failure'; reasonCode: string },
  context: RequestContext | undefined,
): AuditEventInput {
  const filter =
    target.kind === 'test'
      ? { filter: 'test', entityCode: target.entityCode, testKey: target.testKey }
      : {
          filter: 'run',
          runId: target.runId,
          runNumber: target.runNumber,
          entityCode: target.entityCode,
          testKey: target.testKey,
        };

  return {
    actor,
    action: 'exceptions.exported',
    outcome: result.outcome,
    ...(result.outcome === 'failure' ? { reasonCode: result.reasonCode } : {}),
    target:
      target.kind === 'test'
        ? { type: 'test', id: target.testId }
        : { type: 'run', id: target.runId },
    entityId: target.entityId,
    ...(context ? { context } : {}),
    details: { format, ...filter, rows },
  };
}
