import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import {
  HEAP_LIMIT_MESSAGE,
  type SupervisorOutcome,
  superviseChild,
} from '../../../platform/child-process/supervise-child.ts';
import type { JsonValue } from './result-values.ts';
import { INTERRUPT_GRACE_MS, type SandboxRequest, type SandboxResult } from './sandbox.ts';
import {
  type ChildMessage,
  type ChildRequest,
  deserializeError,
  type SerializedError,
} from './sandbox-child-protocol.ts';
import { SandboxError, SandboxTimeoutError } from './sandbox-errors.ts';

export interface ChildSandboxRequest extends SandboxRequest {
  /**
   * Hard limit on the resident memory (RSS) of the child process, in MiB.
   * Defaults to limits.memoryMb × 2 + 256. The child measured 90 to 110 MiB
   * before the query started (Node.js 24.21 with DuckDB 1.5.6 on Linux x64),
   * and the result rows count against the limit too.
   */
  processMemoryMb?: number;
  /**
   * Aborting it kills the child with SIGKILL, and the call rejects with
   * `signal.reason`, unless the child has already sent its last message.
   */
  signal?: AbortSignal;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./sandbox-child.ts', import.meta.url));

/**
 * Time the child gets after its own deadline (limits.timeoutMs plus
 * INTERRUPT_GRACE_MS) before it is killed, in ms. It covers the process
 * start, which the child's deadline does not include, and sending the error.
 */
const KILL_GRACE_MS = 5_000;

/** Maximum pause between two messages while the child sends its result, in ms. */
const TRANSFER_STALL_MS = 30_000;

/** Outcomes that only a sandbox child has: its last messages, and a stalled transfer. */
type SandboxOutcome =
  | { kind: 'result'; result: Omit<SandboxResult, 'rows'>; rows: JsonValue[][] }
  | { kind: 'error'; error: SerializedError }
  | { kind: 'stalled' };

/** Outcome of a child run, as the parent observes it once the child has exited. */
type ChildOutcome = SandboxOutcome | SupervisorOutcome;

interface SuperviseOptions {
  request: ChildRequest;
  childDirectory: string;
  processMemoryMb: number;
  timeoutMs: number;
  logger: Logger | undefined;
  signal: AbortSignal | undefined;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function checkProcessMemoryMb(request: ChildSandboxRequest): number {
  const { processMemoryMb, limits } = request;
  if (processMemoryMb === undefined) {
    // An invalid memoryMb is rejected by the child with runSandboxedQuery's own message.
    return isPositiveInteger(limits.memoryMb) ? limits.memoryMb * 2 + 256 : 256;
  }
  if (!isPositiveInteger(processMemoryMb)) {
    throw new SandboxError(
      'INPUT_INVALID',
      `processMemoryMb must be a positive integer, got ${String(processMemoryMb)}.`,
    );
  }
  return processMemoryMb;
}

/**
 * Create the child's private directory inside tempDir. It is the child's
 * HOME, working directory and tempDir, so everything the child leaves behind,
 * the DuckDB spill directory of a killed child included, is removed with it.
 */
async function createChildDirectory(tempDir: string): Promise<string> {
  const stats = await stat(tempDir).catch(() => undefined);
  if (typeof tempDir !== 'string' || !path.isAbsolute(tempDir) || !stats?.isDirectory()) {
    throw new SandboxError(
      'INPUT_INVALID',
      `tempDir ${JSON.stringify(tempDir)} must be an existing directory given as an absolute path.`,
    );
  }
  return mkdtemp(path.join(tempDir, 'sandbox-process-'));
}

/**
 * Fork the sandbox child with superviseChild, collect the result rows it
 * sends, and resolve once it has exited. The promise never rejects: every
 * failure becomes a ChildOutcome.
 */
function superviseSandboxChild(options: SuperviseOptions): Promise<ChildOutcome> {
  const { request, childDirectory, processMemoryMb, timeoutMs, logger, signal } = options;
  const rows: JsonValue[][] = [];

  return superviseChild<ChildRequest, ChildMessage, SandboxOutcome>({
    script: CHILD_SCRIPT,
    name: 'sandbox',
    request,
    childDirectory,
    memoryMb: processMemoryMb,
    deadlineMs: timeoutMs + INTERRUPT_GRACE_MS + KILL_GRACE_MS,
    logger,
    signal,
    onMessage(message, controls) {
      switch (message.type) {
        case 'rows':
          // The query is over: from here the time goes to the transfer, which
          // the run's time limit does not cover, so only a stall stops it.
          controls.restartDeadline(TRANSFER_STALL_MS, { kind: 'stalled' });
          for (const row of message.rows) rows.push(row);
          return;
        case 'result':
          controls.settle({ kind: 'result', result: message.result, rows });
          return;
        case 'error':
          controls.settle({ kind: 'error', error: message.error });
          return;
        default:
          throw new Error(
            `unknown message type ${JSON.stringify((message as { type: unknown }).type)}`,
          );
      }
    },
  });
}

/** Turn the child's outcome into the result of runSandboxedQuery, or throw its error. */
function settleOutcome(
  outcome: ChildOutcome,
  options: SuperviseOptions,
  started: number,
): SandboxResult {
  const { processMemoryMb, timeoutMs, logger } = options;
  switch (outcome.kind) {
    case 'result': {
      const { result, rows } = outcome;
      if (rows.length !== result.rowCount) {
        throw new SandboxError(
          'SANDBOX_FAILED',
          `The sandbox process reported ${result.rowCount} rows but sent ${rows.length}.`,
        );
      }
      return { ...result, rows, durationMs: Math.round(performance.now() - started) };
    }
    case 'error':
      throw deserializeError(outcome.error);
    case 'memory':
      logger?.warn(
        { processMemoryMb, rssMb: outcome.rssMb },
        'sandbox process exceeded its memory limit and was killed',
      );
      throw new SandboxError(
        'SANDBOX_LIMIT',
        `The query exceeded the process memory limit of the run (${processMemoryMb} MiB) and was stopped. Narrow the query or raise the memory limit.`,
      );
    case 'timeout':
      logger?.warn(
        { timeoutMs, graceMs: INTERRUPT_GRACE_MS + KILL_GRACE_MS },
        'sandbox process did not stop after its time limit and was killed',
      );
      throw new SandboxTimeoutError(timeoutMs, false);
    case 'stalled':
      logger?.error(
        { stallMs: TRANSFER_STALL_MS },
        'sandbox process stopped sending its result and was killed',
      );
      throw new SandboxError(
        'SANDBOX_FAILED',
        `The sandbox process sent no result data for ${TRANSFER_STALL_MS} ms and was stopped.`,
      );
    case 'failed':
      logger?.error({ err: outcome.error }, 'supervising the sandbox process failed');
      throw new SandboxError(
        'SANDBOX_FAILED',
        `Running the sandbox process failed: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
        { cause: outcome.error },
      );
    case 'aborted':
      throw outcome.reason;
    case 'exited': {
      const { code, signal, stderr } = outcome;
      const ending = signal === null ? `exit code ${code}` : `signal ${signal}`;
      if (HEAP_LIMIT_MESSAGE.test(stderr)) {
        logger?.warn(
          { processMemoryMb, stderr },
          'sandbox process reached its JavaScript heap limit',
        );
        throw new SandboxError(
          'SANDBOX_LIMIT',
          `The query exceeded the process memory limit of the run (${processMemoryMb} MiB) and was stopped. Narrow the query or raise the memory limit.`,
        );
      }
      logger?.error({ code, signal, stderr }, 'sandbox process ended without a result');
      throw new SandboxError(
        'SANDBOX_FAILED',
        `The sandbox process ended with ${ending} before it sent a result.`,
      );
    }
  }
}

/**
 * Run runSandboxedQuery in a child Node.js process, so that neither memory
 * that DuckDB does not count against memory_limit nor a crash can take the
 * calling process down. Returns the same result and throws the same errors
 * as runSandboxedQuery, plus:
 *
 * - SANDBOX_LIMIT when the child's resident memory exceeds processMemoryMb
 *   (checked every 50 ms) or its V8 heap fills. The child is killed
 *   with SIGKILL. The child's resident memory includes the result rows.
 * - SandboxTimeoutError (interrupted false) when the child is still running
 *   KILL_GRACE_MS after its own deadline and interrupt grace period.
 * - SANDBOX_FAILED when the child ends for any other reason without a result.
 * - `request.signal.reason` when the signal aborts before the child has sent
 *   its last message. The child is killed with SIGKILL at once.
 *
 * The request and the result travel over the IPC channel with advanced
 * serialization, which keeps bigint values and needs no framing code. The
 * child sends the rows in messages of ROWS_PER_MESSAGE rows (see
 * sandbox-child-protocol.ts) and waits until each is written, so the parent
 * keeps the rows it has received plus at most one serialized message. That
 * is what it would hold in-process, without DuckDB's buffers. In one run of
 * 2,000,000 rows of 5 columns (Node.js 24.21, DuckDB 1.5.6, 2 vCPUs), the
 * parent peaked at 636 MiB RSS against 854 MiB in-process, the child at
 * 901 MiB, and the transfer added about 1.5 s.
 *
 * The child runs with only PATH, HOME and TMPDIR in its environment, in a
 * private directory inside tempDir that is removed once the child has
 * exited. durationMs covers the whole child, process start and result
 * transfer included.
 */
export async function runSandboxedQueryInChild(
  request: ChildSandboxRequest,
): Promise<SandboxResult> {
  const started = performance.now();
  const { logger, signal, processMemoryMb: _processMemoryMb, ...serializable } = request;
  signal?.throwIfAborted();
  const processMemoryMb = checkProcessMemoryMb(request);
  // An invalid timeoutMs is rejected by the child, well within the deadline that 0 gives.
  const timeoutMs = isPositiveInteger(request.limits.timeoutMs) ? request.limits.timeoutMs : 0;

  const childDirectory = await createChildDirectory(request.tempDir);
  const options: SuperviseOptions = {
    request: { ...serializable, tempDir: childDirectory },
    childDirectory,
    processMemoryMb,
    timeoutMs,
    logger,
    signal,
  };
  try {
    const outcome = await superviseSandboxChild(options);
    return settleOutcome(outcome, options, started);
  } finally {
    await rm(childDirectory, { recursive: true, force: true }).catch((error: unknown) => {
      logger?.warn({ err: error, childDirectory }, 'removing the sandbox process directory failed');
    });
  }
}
