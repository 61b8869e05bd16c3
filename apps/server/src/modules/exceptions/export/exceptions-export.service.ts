import type { Logger } from 'pino';
import type { Db, Tx } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import { withActor } from '../../access/actor-scope.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { disableJit, readExportBatches, summarizeExport } from './exceptions-export.repository.ts';
import { exportAuditEvent } from './export-audit.ts';
import { exportCells, exportHeader } from './export-columns.ts';
import { actorLabel, failureCause, recordExportFailure } from './export-failure.ts';
import { describeExportFile, type ExportFile } from './export-file.ts';
import type { ExportFilter, ExportFormat } from './export-target.ts';
import { loadExportTarget } from './load-export-target.ts';
import {
  deliverExport,
  type ExportOutput,
  type StartedExport,
  startExport,
} from './started-export.ts';
import { XLSX_MAX_ROWS } from './xlsx-sink.ts';

export type { ExportOutput } from './started-export.ts';

export interface ExceptionExportRequest {
  format: ExportFormat;
  filter: ExportFilter;
}

/**
 * Callback that opens the export's output, once the export is authorized
 * and counted and before its first byte.
 */
export type OpenExportOutput = (file: ExportFile) => ExportOutput;

export interface ExceptionExportService {
  /**
   * Stream the exceptions of one test, or of one run, into the output that
   * `openOutput` returns, and resolve with the rows written once the
   * output's destination has taken the last byte. Errors raised before
   * `openOutput` is called (404, 403, 422, 429) leave no output and no
   * exceptions.exported event.
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

/**
 * Time in milliseconds that an export's output may accept no bytes before
 * the export is aborted, so a client that stops reading frees its export
 * slot and database connection. With the default statement timeout (30 s)
 * this is half of PostgreSQL's idle_in_transaction_session_timeout, so the
 * export gives up before PostgreSQL ends its transaction.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/**
 * Write the header and every row of the export to its sink, reading the
 * rows in batches and counting them in `started.rows`.
 */
async function writeRows(
  tx: Tx,
  started: StartedExport,
  payloadKeys: readonly string[],
): Promise<void> {
  const { sink, target } = started;
  await sink.writeHeader(exportHeader(payloadKeys));
  for await (const batch of readExportBatches(tx, target, BATCH_ROWS)) {
    await sink.writeRows(batch.map((row) => exportCells(row, target, payloadKeys)));
    started.rows += batch.length;
  }
}

/**
 * Exports of exceptions as CSV or XLSX. One REPEATABLE READ transaction in
 * the actor's scope loads and authorizes the target, counts the rows,
 * collects the payload fields and reads the rows in keyset-paginated
 * batches, so the header and every row come from one snapshot. Rows go to
 * the output as they are read, and writing waits while the output is full.
 *
 * The exceptions.exported event with outcome success is appended after the
 * last row, in the same transaction. The file is then completed, and the
 * transaction commits only once the output's destination has taken the
 * last byte. So a committed success event means that the whole file was
 * handed on, and a complete file always has its event appended before its
 * last byte. An export can fail once its output is open, because the
 * client disconnected or stopped reading, or the output or the database
 * failed. It then destroys the output, rolls the success event back, and
 * writes the event with outcome failure and the rows written so far.
 *
 * An export whose destination accepts no bytes for the stall timeout is
 * aborted with OutputStalledError, which frees its slot and its database
 * connection.
 *
 * NOTE: the transaction stays open while a client reads. PostgreSQL's
 * idle_in_transaction_session_timeout (twice the statement timeout in the
 * pool settings) ends it first when it is shorter than the stall timeout.
 * The export then fails at its next query, or when the stall timeout ends
 * it, because nothing reports the lost connection sooner.
 */
export function createExceptionExportService(deps: {
  db: Db;
  logger: Logger;
  access: AccessControl;
  maxConcurrentExports?: number;
  stallTimeoutMs?: number;
}): ExceptionExportService {
  const { db, logger, access } = deps;
  const maxConcurrent = deps.maxConcurrentExports ?? DEFAULT_MAX_CONCURRENT_EXPORTS;
  const stallTimeoutMs = deps.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  let running = 0;

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
          try {
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
            const current = startExport(
              request.format,
              target,
              file,
              openOutput(file),
              stallTimeoutMs,
            );
            started = current;
            await writeRows(tx, current, payloadKeys);

            const event = exportAuditEvent(
              actor,
              request.format,
              target,
              current.rows,
              { outcome: 'success' },
              context,
            );
            await appendAuditEvent(tx, event);
            await deliverExport(current);
          } catch (error) {
            if (started !== undefined) started.firstError ??= error;
            throw error;
          }
        },
        { isolation: 'repeatable read' },
      );
      if (started === undefined) throw new Error('the export ended without opening its output');
      return { file: started.file, rows: started.rows };
    } catch (thrown) {
      if (started === undefined) throw thrown;
      started.stopWatching();

      const error = failureCause(thrown, started);
      // NOTE: no test reaches a failure after delivery, which needs the COMMIT itself to fail.
      if (!started.delivered) {
        started.sink.abort(error instanceof Error ? error : new Error(String(error)));
      }
      await recordExportFailure({ db, logger }, actor, started, error, context);
      throw error;
    } finally {
      started?.stopWatching();
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
