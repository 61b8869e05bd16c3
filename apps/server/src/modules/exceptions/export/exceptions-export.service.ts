import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Db } from '../../../platform/db/database.ts';
import { AppError, isAppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import { withActor } from '../../access/actor-scope.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { disableJit, readExportBatches, summarizeExport } from './exceptions-export.repository.ts';
import { exportAuditEvent } from './export-audit.ts';
import { exportCells, exportHeader } from './export-columns.ts';
import { describeExportFile, type ExportFile } from './export-file.ts';
import { createExportSink, type ExportSink } from './export-sink.ts';
import type { ExportFilter, ExportFormat, ExportTarget } from './export-target.ts';
import { loadExportTarget } from './load-export-target.ts';
import { OutputClosedError } from './output-flow.ts';
import { XLSX_MAX_ROWS } from './xlsx-sink.ts';

export interface ExceptionExportRequest {
  format: ExportFormat;
  filter: ExportFilter;
}

/**
 * Callback that opens the export's output, once the export is authorized
 * and counted and before its first byte. The export ends the stream it
 * returns, or destroys it when the export fails.
 */
export type OpenExportOutput = (file: ExportFile) => Writable;

export interface ExceptionExportService {
  /**
   * Stream the exceptions of one test, or of one run, into the output that
   * `openOutput` returns, and resolve with the rows written once the output
   * has finished. Errors raised before `openOutput` is called (404, 403,
   * 422, 429) leave no output and no exceptions.exported event.
   */
  exportExceptions(
    actor: Actor,
    request: ExceptionExportRequest,
    openOutput: OpenExportOutput,
    context?: RequestContext,
  ): Promise<{ file: ExportFile; rows: number }>;
}

/** Rows read per query. Only one batch of rows and their cells is in memory at a time. */
const BATCH_ROWS = 2_000;

/**
 * Exports running at once in one process. Each keeps one pooled database
 * connection for as long as its client takes to read the file.
 */
const DEFAULT_MAX_CONCURRENT_EXPORTS = 2;

interface StartedExport {
  target: ExportTarget;
  file: ExportFile;
  sink: ExportSink;
  rows: number;
  /** The first error the output emitted, such as a failed file write. */
  outputError?: Error;
  /** True once the success event has committed, so that a later failure writes no second event. */
  audited: boolean;
}

function failureReason(error: unknown, started: StartedExport): string {
  if (started.outputError !== undefined && error === started.outputError) return 'OUTPUT_FAILED';
  if (error instanceof OutputClosedError) return 'OUTPUT_CLOSED';
  if (isAppError(error)) return error.code;
  return 'EXPORT_FAILED';
}

function actorLabel(actor: Actor): string {
  return actor.type === 'user' ? actor.userId : actor.type;
}

/**
 * Exports of exceptions as CSV or XLSX. One REPEATABLE READ transaction in
 * the actor's scope loads and authorizes the target, counts the rows,
 * collects the payload fields and reads the rows in keyset-paginated
 * batches, so the header and every row come from one snapshot. Rows go to
 * the output as they are read, and writing waits while the output is full.
 *
 * The exceptions.exported event is appended after the last row, in the same
 * transaction, and the file is completed only after that commits. So a
 * client never gets a complete file whose export the audit trail lacks. An export
 * that fails once its output is open (the client disconnected, the
 * database failed) destroys the output and writes the event with outcome
 * failure and the rows written so far.
 *
 * NOTE: the transaction stays open while a slow client reads. PostgreSQL's
 * idle_in_transaction_session_timeout (twice the statement timeout in the
 * pool settings) ends an export whose client stops reading for that long.
 */
export function createExceptionExportService(deps: {
  db: Db;
  logger: Logger;
  access: AccessControl;
  maxConcurrentExports?: number;
}): ExceptionExportService {
  const { db, logger, access } = deps;
  const maxConcurrent = deps.maxConcurrentExports ?? DEFAULT_MAX_CONCURRENT_EXPORTS;
  let running = 0;

  const recordFailure = async (
    actor: Actor,
    request: ExceptionExportRequest,
    started: StartedExport,
    error: unknown,
    context: RequestContext | undefined,
  ) => {
    const reasonCode = failureReason(error, started);
    const fields = {
      requestId: context?.requestId,
      actor: actorLabel(actor),
      file: started.file.fileName,
      rows: started.rows,
      reasonCode,
    };
    if (error instanceof OutputClosedError) {
      logger.warn(fields, 'exceptions export stopped because its output closed');
    } else {
      logger.error({ ...fields, err: error }, 'exceptions export failed');
    }
    if (started.audited) return;

    const event = exportAuditEvent(
      actor,
      request.format,
      started.target,
      started.rows,
      { outcome: 'failure', reasonCode },
      context,
    );
    try {
      await withActor(db, actor, (tx) => appendAuditEvent(tx, event));
    } catch (auditError) {
      logger.error(
        { ...fields, err: auditError },
        'the audit event of a failed exceptions export could not be written',
      );
    }
  };

  const writeExport = async (
    actor: Actor,
    request: ExceptionExportRequest,
    openOutput: OpenExportOutput,
    context: RequestContext | undefined,
  ) => {
    let started: StartedExport | undefined;

    try {
      await withActor(
        db,
        actor,
        async (tx) => {
          await disableJit(tx);
          const target = await loadExportTarget(tx, access, actor, request.filter, context);

          const { rowCount, payloadKeys } = await summarizeExport(tx, target);
          if (request.format === 'xlsx' && rowCount >= XLSX_MAX_ROWS) {
            throw new AppError('BUSINESS_RULE_VIOLATED', {
              detail: `The export has ${rowCount} rows, and an XLSX worksheet holds at most ${XLSX_MAX_ROWS - 1} below its header. Export it as CSV.`,
              extensions: { rows: rowCount },
            });
          }

          const file = describeExportFile(request.format, target, rowCount, new Date());
          const output = openOutput(file);
          const sink = createExportSink(request.format, output);
          const current: StartedExport = { target, file, sink, rows: 0, audited: false };
          started = current;
          // Without a listener, an 'error' event would crash the process.
          output.on('error', (error) => {
            current.outputError ??= error;
          });
          await sink.writeHeader(exportHeader(payloadKeys));
          for await (const batch of readExportBatches(tx, target, BATCH_ROWS)) {
            await sink.writeRows(batch.map((row) => exportCells(row, target, payloadKeys)));
            started.rows += batch.length;
          }

          const event = exportAuditEvent(
            actor,
            request.format,
            target,
            started.rows,
            { outcome: 'success' },
            context,
          );
          await appendAuditEvent(tx, event);
        },
        { isolation: 'repeatable read' },
      );
      if (started === undefined) throw new Error('the export ended without opening its output');
      started.audited = true;

      await started.sink.finish();
      return { file: started.file, rows: started.rows };
    } catch (thrown) {
      if (started === undefined) throw thrown;

      // A closed output is the symptom; the output's own error is the cause.
      const error =
        thrown instanceof OutputClosedError && started.outputError !== undefined
          ? started.outputError
          : thrown;
      started.sink.abort(error instanceof Error ? error : new Error(String(error)));
      await recordFailure(actor, request, started, error, context);
      throw error;
    }
  };

  return {
    async exportExceptions(actor, request, openOutput, context) {
      if (running >= maxConcurrent) {
        throw new AppError('RATE_LIMITED', {
          detail: `${running} exports of exceptions are already running on this server, the most it runs at once. Retry when one has finished.`,
          headers: { 'retry-after': '10' },
        });
      }

      running += 1;
      const startedAt = performance.now();
      try {
        const result = await writeExport(actor, request, openOutput, context);
        logger.info(
          {
            requestId: context?.requestId,
            actor: actorLabel(actor),
            file: result.file.fileName,
            rows: result.rows,
            durationMs: Math.round(performance.now() - startedAt),
          },
          'exceptions export finished',
        );
        return result;
      } finally {
        running -= 1;
      }
    },
  };
}
