import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { inScope } from '../../platform/db/actor-scope.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { type ObjectStorage, ObjectStorageError } from '../../platform/storage/object-storage.ts';
import { rolesOnEntity } from '../access/actor-scope.ts';
import { rolesHold } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor } from '../identity/actor.ts';
import { createSettingsReader } from '../settings/settings-reader.ts';
import { isSandboxError } from './engine/sandbox-errors.ts';
import type { SandboxParameter } from './engine/sandbox-parameters.ts';
import { runSandboxedQueryInChild } from './engine/sandbox-process.ts';
import { checkSingleSelect } from './engine/statement-check.ts';
import {
  type CarryOverCounts,
  recordPreviewRows,
  recordRunExceptions,
} from './exceptions.repository.ts';
import { type JsonValue, keyHash, resultHash, rowObject } from './result-hash.ts';
import { RunCancellationWatch } from './run-cancellation.ts';
import {
  type RunLimits,
  runLimitsFrom,
  sandboxLimitsFor,
  takesPreviewLimit,
} from './run-limits.ts';
import type { BoundInput } from './run-plan.ts';

// Also imported from here by the benchmarks.
export { DEFAULT_RUN_LIMITS } from './run-limits.ts';

export interface RunOutcome {
  runId: string;
  status: 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
  exceptionCount: number | null;
  resultHash: string | null;
  summary: Record<string, JsonValue> | null;
  carryOver: CarryOverCounts | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** A run failure whose cause the auditor can fix; recorded on the run with its code. */
class RunFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'RunFailure';
    this.code = code;
  }
}

/** Give a storage failure while reading an input its own stable run error code. */
function storageFailure(error: ObjectStorageError, input: BoundInput): RunFailure {
  const what = `the stored copy of dataset version ${input.datasetVersionId} (input ${input.name})`;
  switch (error.code) {
    case 'ChecksumMismatch':
      return new RunFailure(
        'INPUT_FINGERPRINT_MISMATCH',
        `${what} is not the file the run recorded: its SHA-256 differs from ${input.parquetSha256}. Nothing was run; import the dataset again and request a new run.`,
      );
    case 'IntegrityError':
      return new RunFailure(
        'INPUT_INTEGRITY_FAILED',
        `${what} failed its integrity check, so it was altered or damaged in storage. Nothing was run; restore the object from backup or import the dataset again.`,
      );
    case 'ObjectNotFound':
      return new RunFailure(
        'INPUT_MISSING',
        `${what} is missing from storage. Nothing was run; restore the object from backup or import the dataset again.`,
      );
    default:
      return new RunFailure(
        'STORAGE_UNAVAILABLE',
        `${what} could not be read because storage failed (${error.code}). Check the storage and request the run again.`,
      );
  }
}

async function materializeInput(
  storage: ObjectStorage,
  input: BoundInput,
  directory: string,
  signal: AbortSignal,
): Promise<string> {
  const target = path.join(directory, `${input.name}.parquet`);

  // Storage checks every byte against the recorded fingerprint.
  try {
    const source = await storage.get(input.parquetObjectKey, { sha256: input.parquetSha256 });
    await pipeline(source, createWriteStream(target, { mode: 0o600 }), { signal });
  } catch (error) {
    if (!(error instanceof ObjectStorageError)) throw error;
    throw storageFailure(error, input);
  }
  return target;
}

function usedParameters(
  parameters: readonly SandboxParameter[],
  names: readonly string[],
): SandboxParameter[] {
  return parameters.filter((parameter) => names.includes(parameter.name));
}

function cancelledOutcome(runId: string): RunOutcome {
  return {
    runId,
    status: 'cancelled',
    exceptionCount: null,
    resultHash: null,
    summary: null,
    carryOver: null,
    errorCode: null,
    errorMessage: null,
  };
}

/**
 * Execute a queued run: copy its input Parquet files out of storage and
 * check their fingerprints, run the SQL (and the summary SQL) in the
 * sandbox, hash the result, and record the exceptions, the outcome and the
 * audit event in one transaction. A run that is not queued (a cancelled
 * one included) is left alone.
 *
 * While the run executes, its status is polled (RunCancellationWatch). Once
 * someone has cancelled it, the sandbox process is killed and the run ends
 * with status `cancelled` and nothing written: the cancel itself recorded
 * the status, the finish time and the audit event. Every final write is
 * conditional on the status still being `running`, so a cancel that commits
 * just before the result is recorded also discards the result, and a cancel
 * that comes after it finds the run finished.
 */
export async function executeRun(
  deps: {
    db: Db;
    logger: Logger;
    storage: () => Promise<ObjectStorage>;
    workRoot: string;
    limits?: RunLimits;
  },
  runId: string,
  requestedBy: string,
): Promise<RunOutcome | null> {
  const { db } = deps;
  const settingsReader = createSettingsReader({ logger: deps.logger });
  // Every statement runs in the requester's scope: a worker never reads or
  // writes a run as an unrestricted service. A run its requester can no
  // longer see is not claimed.
  const scoped = <T>(work: (tx: Tx) => Promise<T>) => inScope(db, requestedBy, work);
  const claim = await scoped(async (tx) => {
    const claimed = await tx
      .updateTable('runs')
      .set({ status: 'running', started_at: sql`now()`, heartbeat_at: sql`now()` })
      .where('id', '=', runId)
      .where('status', '=', 'queued')
      .where('requested_by', '=', requestedBy)
      .returningAll()
      .executeTakeFirst();
    if (claimed === undefined) return undefined;

    const test = await tx
      .selectFrom('test_definitions')
      .select(['id', 'entity_id', 'key'])
      .where('id', '=', claimed.test_id)
      .executeTakeFirstOrThrow();
    const requester = await tx
      .selectFrom('users')
      .select(['id', 'email'])
      .where('id', '=', claimed.requested_by)
      .executeTakeFirstOrThrow();
    const stillPermitted = rolesHold(await rolesOnEntity(tx, test.entity_id), 'runs.execute');
    const previewLimit = await takesPreviewLimit(tx, claimed);
    const actor: Actor = {
      type: 'user',
      userId: requester.id,
      email: requester.email,
      channel: 'worker',
    };
    // In the claim's transaction, so a cancel, which needs the claim
    // committed to find the run running, is always recorded after it.
    await appendAuditEvent(tx, {
      actor,
      action: 'run.started',
      outcome: 'success',
      target: { type: 'run', id: runId },
      entityId: test.entity_id,
      details: {
        testKey: test.key,
        preview: claimed.preview,
        sql: claimed.sql_executed,
        parameters: claimed.parameters,
        inputs: (claimed.inputs as BoundInput[]).map((input) => ({
          name: input.name,
          datasetVersionId: input.datasetVersionId,
          rawSha256: input.rawSha256,
          parquetSha256: input.parquetSha256,
        })),
      },
    });
    return { claimed, test, actor, stillPermitted, previewLimit };
  });
  if (claim === undefined) return null;
  const { claimed, test, actor } = claim;
  const inputs = claimed.inputs as BoundInput[];
  const parameters = claimed.parameters as SandboxParameter[];
  const logger = deps.logger.child({ runId, testId: test.id });
  const limits = sandboxLimitsFor(deps.limits ?? runLimitsFrom(), claim.previewLimit);
  const cancellation = new RunCancellationWatch({
    runId,
    logger,
    readStatus: async () => {
      const row = await scoped((tx) =>
        tx.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst(),
      );
      return row?.status;
    },
    beat: async () => {
      await scoped((tx) =>
        tx
          .updateTable('runs')
          .set({ heartbeat_at: sql`now()` })
          .where('id', '=', runId)
          .where('status', '=', 'running')
          .execute(),
      );
    },
  });
  const { signal } = cancellation;

  const runDirectory = path.join(deps.workRoot, 'runs', runId);
  const inputDirectory = path.join(runDirectory, 'inputs');
  const tempDirectory = path.join(runDirectory, 'tmp');
  try {
    if (!claim.stillPermitted) {
      throw new RunFailure(
        'REQUESTER_NOT_AUTHORIZED',
        'The user who requested this run no longer holds a role that runs tests on its entity. Request it again as someone who does.',
      );
    }
    await mkdir(inputDirectory, { recursive: true, mode: 0o700 });
    await mkdir(tempDirectory, { recursive: true, mode: 0o700 });
    const storage = await deps.storage();
    const sandboxInputs = [];
    for (const input of inputs) {
      signal.throwIfAborted();
      const parquetPath = await materializeInput(storage, input, inputDirectory, signal);
      sandboxInputs.push({ name: input.name, parquetPath, fields: input.fields });
    }

    const relationNames = inputs.map((input) => input.name);
    const checked = await checkSingleSelect(claimed.sql_executed, { relationNames });
    const result = await runSandboxedQueryInChild({
      sql: claimed.sql_executed,
      inputs: sandboxInputs,
      parameters: usedParameters(parameters, checked.parameterNames),
      limits,
      inputRoot: inputDirectory,
      tempDir: tempDirectory,
      logger,
      signal,
    });
    if (result.truncated) {
      throw new RunFailure(
        'RESULT_TOO_LARGE',
        `The query flagged more than ${limits.maxResultRows} rows. Narrow the test, or raise its thresholds.`,
      );
    }

    let summary: Record<string, JsonValue> | null = null;
    if (claimed.summary_sql_executed !== null) {
      const summaryChecked = await checkSingleSelect(claimed.summary_sql_executed, {
        relationNames,
      });
      const summaryResult = await runSandboxedQueryInChild({
        sql: claimed.summary_sql_executed,
        inputs: sandboxInputs,
        parameters: usedParameters(parameters, summaryChecked.parameterNames),
        limits: { ...limits, maxResultRows: 1 },
        inputRoot: inputDirectory,
        tempDir: tempDirectory,
        logger,
        signal,
      });
      const [row] = summaryResult.rows;
      summary = row
        ? rowObject(
            summaryResult.columns.map((column) => column.name),
            row as JsonValue[],
          )
        : null;
    }

    const columns = result.columns.map((column) => column.name);
    const duplicate = columns.find((column, index) => columns.indexOf(column) !== index);
    if (duplicate !== undefined) {
      throw new RunFailure(
        'DUPLICATE_COLUMN',
        `The query returns the column ${JSON.stringify(duplicate)} twice. Give each column its own alias.`,
      );
    }
    const keyIndexes = claimed.key_columns.map((key) => {
      const index = columns.indexOf(key);
      if (index < 0) {
        throw new RunFailure(
          'KEY_COLUMN_MISSING',
          `Key column ${JSON.stringify(key)} is not in the result. The result columns are ${columns.join(', ')}.`,
        );
      }
      return index;
    });

    const rows = result.rows as JsonValue[][];
    const hash = resultHash(columns, rows);
    const flagged = rows.map((row) => {
      const keyValues = keyIndexes.map((index) => row[index] ?? null);
      return { keyHash: keyHash(keyValues), keyValues, payload: rowObject(columns, row) };
    });
    const seen = new Set<string>();
    for (const row of flagged) {
      const hex = row.keyHash.toString('hex');
      if (seen.has(hex)) {
        throw new RunFailure(
          'DUPLICATE_EXCEPTION_KEY',
          `Two result rows share the key ${JSON.stringify(row.keyValues)} (${claimed.key_columns.join(', ')}). Key columns must identify one row.`,
        );
      }
      seen.add(hex);
    }

    const recorded = await scoped(async (tx) => {
      // First, so that a run cancelled meanwhile gets no rows or exceptions.
      const finished = await tx
        .updateTable('runs')
        .set({
          status: 'succeeded',
          finished_at: sql`now()`,
          duckdb_version: result.duckdbVersion,
          input_row_counts: JSON.stringify(result.inputRowCounts),
          exception_count: rows.length,
          result_hash: hash,
          summary: summary === null ? null : JSON.stringify(summary),
        })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .returning('id')
        .executeTakeFirst();
      if (finished === undefined) return undefined;

      let counts: CarryOverCounts | null = null;
      if (claimed.preview) {
        await recordPreviewRows(
          tx,
          runId,
          flagged.map((row) => row.payload),
        );
      } else {
        const { severity } = await tx
          .selectFrom('test_versions')
          .select('severity')
          .where('id', '=', claimed.test_version_id)
          .executeTakeFirstOrThrow();
        const dueDays = await settingsReader.valueOf(tx, 'exceptions.due_days');
        const recorded = await recordRunExceptions(
          tx,
          {
            id: runId,
            testId: test.id,
            entityId: test.entity_id,
            runNumber: claimed.run_number ?? 0,
            severity,
            dueInDays: dueDays[severity],
          },
          flagged,
        );
        const { reopenedIds, ...carryOver } = recorded;
        counts = carryOver;
        for (const exceptionId of reopenedIds) {
          await appendAuditEvent(tx, {
            actor,
            action: 'exception.reopened',
            outcome: 'success',
            target: { type: 'exception', id: exceptionId },
            entityId: test.entity_id,
            details: { runId, testKey: test.key },
          });
        }
      }
      await appendAuditEvent(tx, {
        actor,
        action: 'run.completed',
        outcome: 'success',
        target: { type: 'run', id: runId },
        entityId: test.entity_id,
        details: {
          testKey: test.key,
          preview: claimed.preview,
          exceptionCount: rows.length,
          resultHash: hash.toString('hex'),
          carryOver: counts,
        },
      });
      return { counts };
    });
    if (recorded === undefined) {
      logger.info('run was cancelled, or ended as lost, as it finished; its result was discarded');
      return cancelledOutcome(runId);
    }
    logger.info({ exceptionCount: rows.length, durationMs: result.durationMs }, 'run succeeded');
    return {
      runId,
      status: 'succeeded',
      exceptionCount: rows.length,
      resultHash: hash.toString('hex'),
      summary,
      carryOver: recorded.counts,
      errorCode: null,
      errorMessage: null,
    };
  } catch (error) {
    if (signal.aborted) {
      logger.info(
        'run was cancelled, or ended as lost; its sandbox process was stopped and nothing was recorded',
      );
      return cancelledOutcome(runId);
    }
    const timedOut = isSandboxError(error) && error.code === 'SANDBOX_TIMEOUT';
    const known = error instanceof RunFailure || isSandboxError(error);
    const code = known ? (error as { code: string }).code : 'RUN_FAILED';
    const message = known
      ? (error as Error).message.slice(0, 4000)
      : 'The run failed unexpectedly. Operators find the cause in the worker log under this run id.';
    if (!known) logger.error({ err: error }, 'run failed unexpectedly');
    const status = timedOut ? 'timed_out' : 'failed';
    const recorded = await scoped(async (tx) => {
      const ended = await tx
        .updateTable('runs')
        .set({ status, finished_at: sql`now()`, error_code: code, error_message: message })
        .where('id', '=', runId)
        .where('status', '=', 'running')
        .returning('id')
        .executeTakeFirst();
      if (ended === undefined) return false;
      await appendAuditEvent(tx, {
        actor,
        action: 'run.failed',
        outcome: 'failure',
        reasonCode: code,
        target: { type: 'run', id: runId },
        entityId: test.entity_id,
        details: { testKey: test.key, status, message },
      });
      return true;
    });
    if (!recorded) {
      logger.info(
        { errorCode: code },
        'run was cancelled, or ended as lost, as it failed; its failure was discarded',
      );
      return cancelledOutcome(runId);
    }
    return {
      runId,
      status,
      exceptionCount: null,
      resultHash: null,
      summary: null,
      carryOver: null,
      errorCode: code,
      errorMessage: message,
    };
  } finally {
    cancellation.stop();
    await rm(runDirectory, { recursive: true, force: true });
  }
}
