import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Db } from '../../../platform/db/database.ts';
import { AppError, isAppError } from '../../../platform/http/app-error.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import {
  OutputClosedError,
  OutputStalledError,
  untilFinished,
} from '../../../platform/streams/output-flow.ts';
import { watchForStall } from '../../../platform/streams/stall-watchdog.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { createAuditAccess, withContext } from '../audit-access.ts';
import { appendAuditEvent } from '../audit-trail.service.ts';
import { readChainHead } from '../checkpoints/checkpoints.repository.ts';
import { latestGenuineCheckpoint } from '../checkpoints/create-checkpoint.ts';
import type { SecurityEvents } from '../security-events.ts';
import { openSigningKey, signNewEvents } from './sign-new-events.ts';
import { writeTrail } from './write-export.ts';

/** The name and extent of a signed export, known before its first byte. */
export interface SignedExportFile {
  /** Letters, digits, dots, dashes and underscores only, so it is safe in a header. */
  fileName: string;
  /** Events in the file: every event up to the newest signed checkpoint. */
  treeSize: number;
}

/**
 * Open the streams a signed export writes into. `stream` takes the file,
 * and `destination` (such as the HTTP response) hands it to the client. The
 * export counts as delivered once `destination` emits 'finish'.
 */
export type OpenSignedExportOutput = (file: SignedExportFile) => {
  stream: Writable;
  destination: Writable;
};

export interface SignedExportService {
  /**
   * Stream every event up to the newest signed checkpoint, then those
   * checkpoints, in the format of `peytonix audit export`, into the output
   * that `openOutput` returns. Resolves once the destination has taken the
   * last byte. Errors raised before `openOutput` is called (403, 429, 503)
   * leave no output and no audit.exported event.
   */
  exportSignedTrail(
    actor: Actor,
    openOutput: OpenSignedExportOutput,
    context?: RequestContext,
  ): Promise<{ file: SignedExportFile; events: number; checkpoints: number }>;
}

/**
 * Signed exports running at once in one process. Each reads the whole trail
 * and keeps one pooled database connection while its client reads.
 */
const DEFAULT_MAX_CONCURRENT_EXPORTS = 2;

/** Milliseconds the destination may accept no bytes before the export is aborted. */
export const DEFAULT_SIGNED_EXPORT_STALL_MS = 30_000;

const ROOT_REQUIRED =
  'A signed export contains the whole audit trail, so it needs the administrator or management role on the organization root. Download the events you may read with GET /api/v1/audit/events, or the "Download matching events" button, instead.';

function fileNameOf(treeSize: number, now: Date): string {
  const stamp = now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `audit-trail_${treeSize}-events_${stamp}.jsonl`;
}

function failureReason(error: unknown): string {
  if (error instanceof OutputStalledError) return 'OUTPUT_STALLED';
  if (error instanceof OutputClosedError) return 'OUTPUT_CLOSED';
  if (isAppError(error)) return error.code;
  return 'EXPORT_FAILED';
}

/**
 * Signed exports of the whole audit trail over HTTP. A checkpoint is
 * signed first over every event sealed so far, and the file ends at the
 * newest genuine checkpoint in the export's snapshot, so every event in it
 * is covered by a signature. Events sealed after that checkpoint are left
 * for the next export.
 *
 * The audit.exported event with outcome success is appended in the
 * export's transaction after the last line, and the transaction commits
 * only once the destination has taken the last byte. A client that
 * disconnects, or reads nothing for the stall timeout, aborts the export:
 * the success event rolls back and audit.exported is written with outcome
 * failure and the reason.
 *
 * NOTE: the transaction stays open while the client reads, as in the
 * exceptions export. When PostgreSQL's idle_in_transaction_session_timeout
 * is shorter than the stall timeout, it can end the transaction first, and
 * the export then fails at its next query or at COMMIT. No test covers that.
 */
export function createSignedExportService(deps: {
  db: Db;
  logger: Logger;
  securityEvents: SecurityEvents;
  checkpointKey: () => Promise<SigningKey>;
  maxConcurrentExports?: number;
  stallTimeoutMs?: number;
}): SignedExportService {
  const { db, logger, securityEvents } = deps;
  const { requireScope } = createAuditAccess(deps);
  const maxConcurrent = deps.maxConcurrentExports ?? DEFAULT_MAX_CONCURRENT_EXPORTS;
  const stallTimeoutMs = deps.stallTimeoutMs ?? DEFAULT_SIGNED_EXPORT_STALL_MS;
  let running = 0;

  const writeSignedExport = async (
    actor: Actor,
    key: SigningKey,
    openOutput: OpenSignedExportOutput,
    context: RequestContext | undefined,
  ) => {
    let file: SignedExportFile | undefined;
    let output: ReturnType<OpenSignedExportOutput> | undefined;
    let stopWatching: () => void = () => undefined;
    let stalled = false;

    try {
      return await db
        .transaction()
        .setIsolationLevel('repeatable read')
        .execute(async (tx) => {
          const head = await readChainHead(tx);
          const latest = await latestGenuineCheckpoint(tx, key, head.size);
          const current: SignedExportFile = {
            fileName: fileNameOf(latest?.checkpoint.treeSize ?? 0, new Date()),
            treeSize: latest?.checkpoint.treeSize ?? 0,
          };
          file = current;
          const opened = openOutput(current);
          output = opened;
          // Without a listener, an 'error' event would crash the process.
          opened.stream.on('error', () => undefined);
          stopWatching = watchForStall(opened.destination, stallTimeoutMs, () => {
            stalled = true;
            opened.stream.destroy(new OutputStalledError(stallTimeoutMs));
            // The stream may be ended already, with the rest waiting in the destination.
            opened.destination.destroy();
          });

          const written = await writeTrail(tx, opened.stream, current.treeSize);
          await appendAuditEvent(tx, {
            actor,
            action: 'audit.exported',
            outcome: 'success',
            ...withContext(context),
            details: { format: 'jsonl', treeSize: current.treeSize, ...written },
          });
          opened.stream.end();
          await untilFinished(opened.destination);
          return { file: current, ...written };
        });
    } catch (error) {
      if (output === undefined || file === undefined) throw error;

      output.stream.destroy();
      const reasonCode = stalled ? 'OUTPUT_STALLED' : failureReason(error);
      logger.warn(
        { requestId: context?.requestId, file: file.fileName, reasonCode, err: error },
        'signed audit export failed',
      );
      try {
        await securityEvents.record({
          actor,
          action: 'audit.exported',
          outcome: 'failure',
          reasonCode,
          ...withContext(context),
          details: { format: 'jsonl', treeSize: file.treeSize },
        });
      } catch (auditError) {
        logger.error(
          { requestId: context?.requestId, file: file.fileName, err: auditError },
          'the audit event of a failed signed audit export could not be written',
        );
      }
      throw error;
    } finally {
      stopWatching();
    }
  };

  return {
    async exportSignedTrail(actor, openOutput, context) {
      await requireScope(actor, true, context, ROOT_REQUIRED);
      if (running >= maxConcurrent) {
        throw new AppError('RATE_LIMITED', {
          detail: `${running} signed audit exports are already running on this server, the most it runs at once. Retry when one has finished.`,
          headers: { 'retry-after': '10' },
        });
      }

      running += 1;
      try {
        const key = await openSigningKey(deps.checkpointKey);
        await signNewEvents(db, key, logger);
        return await writeSignedExport(actor, key, openOutput, context);
      } finally {
        running -= 1;
      }
    },
  };
}
