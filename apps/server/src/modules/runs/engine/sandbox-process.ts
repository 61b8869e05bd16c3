import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
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
}

const CHILD_SCRIPT = fileURLToPath(new URL('./sandbox-child.ts', import.meta.url));

/** Interval between two reads of the child's resident memory, in ms. */
const MEMORY_POLL_MS = 50;

/**
 * Time the child gets after its own deadline (limits.timeoutMs plus
 * INTERRUPT_GRACE_MS) before it is killed, in ms. It covers the process
 * start, which the child's deadline does not include, and sending the error.
 */
const KILL_GRACE_MS = 5_000;

/** Maximum pause between two messages while the child sends its result, in ms. */
const TRANSFER_STALL_MS = 30_000;

/** Time the child gets to exit after its last message before it is killed, in ms. */
const EXIT_GRACE_MS = 2_000;

/** Bytes of the child's standard error kept for the log. */
const STDERR_TAIL_BYTES = 16_384;

/** Largest delay setTimeout accepts, in ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Text that Node.js 24 writes to standard error when the V8 heap limit is reached.
 * NOTE: no test reaches this path, because the heap limit equals
 * processMemoryMb and the resident-memory poll stopped every query tried first.
 */
const HEAP_LIMIT_MESSAGE = /heap out of memory|Reached heap limit/;

/** Whether /proc/<pid>/status exists, so the parent can read the child's resident memory. */
const POLL_SUPPORTED = process.platform === 'linux';

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Outcome of a child run, as the parent observes it once the child has exited. */
type ChildOutcome =
  | { kind: 'result'; result: Omit<SandboxResult, 'rows'>; rows: JsonValue[][] }
  | { kind: 'error'; error: SerializedError }
  | { kind: 'memory'; rssMb: number }
  | { kind: 'timeout' }
  | { kind: 'stalled' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

interface SuperviseOptions {
  request: ChildRequest;
  childDirectory: string;
  processMemoryMb: number;
  timeoutMs: number;
  logger: Logger | undefined;
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
 * Environment of the child: PATH, and HOME and TMPDIR pointing at its own
 * directory. Nothing else is inherited, so no secret of the server
 * (PEYTONIX_*, DATABASE_URL, AWS_*) or NODE_OPTIONS reaches the child. fork
 * adds NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE for the IPC channel.
 */
export function childEnvironment(childDirectory: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: childDirectory,
    TMPDIR: childDirectory,
  };
}

/** Read the resident memory of a process from /proc/<pid>/status, in KiB. */
async function readResidentKib(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Poller of a process's resident memory that calls `onExceeded` once, with
 * the resident size in MiB, when it first exceeds the limit.
 */
class ResidentMemoryWatch {
  /** Highest resident memory seen, in KiB. */
  peakKib = 0;
  readonly pid: number;
  readonly limitMb: number;
  readonly onExceeded: (rssMb: number) => void;
  readonly logger: Logger | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #stopped = false;
  #warned = false;

  constructor(
    pid: number,
    limitMb: number,
    onExceeded: (rssMb: number) => void,
    logger: Logger | undefined,
  ) {
    this.pid = pid;
    this.limitMb = limitMb;
    this.onExceeded = onExceeded;
    this.logger = logger;
    // NOTE: only Linux has /proc/<pid>/status. Elsewhere each run logs that
    // the memory limit is not enforced, and only DuckDB's memory_limit applies.
    if (!POLL_SUPPORTED) {
      logger?.warn(
        { platform: process.platform, processMemoryMb: limitMb },
        'sandbox process memory limit is not enforced on this platform',
      );
      return;
    }
    this.#timer = setInterval(() => void this.#check(), MEMORY_POLL_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    if (this.#reading || this.#stopped) return;
    this.#reading = true;
    try {
      const rssKib = await readResidentKib(this.pid);
      if (rssKib === undefined || this.#stopped) return;
      this.peakKib = Math.max(this.peakKib, rssKib);
      if (rssKib > this.limitMb * 1024) {
        this.stop();
        this.onExceeded(Math.round(rssKib / 1024));
      }
    } catch (error) {
      // ENOENT, or ESRCH while the kernel tears the process down: it has
      // exited, and its close event follows.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH' && !this.#warned) {
        this.#warned = true;
        this.logger?.warn(
          { err: error, sandboxPid: this.pid },
          'reading the sandbox process memory failed; its memory limit is not enforced',
        );
      }
    } finally {
      this.#reading = false;
    }
  }
}

/** Forward one pino line from the child to the request's logger. */
function forwardLog(logger: Logger | undefined, line: string, pid: number): void {
  if (logger === undefined) return;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ sandboxPid: pid, line }, 'sandbox child sent a log line that is not JSON');
    return;
  }
  const { level, msg, ...fields } = parsed;
  const method = typeof level === 'string' && LOG_LEVELS.has(level) ? level : 'warn';
  logger[method as 'warn']({ ...fields, sandboxPid: pid }, String(msg ?? ''));
}

/**
 * Fork the child, send it the request, enforce the memory limit and the hard
 * deadline, collect its messages, and resolve once it has exited. The
 * promise never rejects: every failure becomes a ChildOutcome.
 */
function superviseChild(options: SuperviseOptions): Promise<ChildOutcome> {
  const { request, childDirectory, processMemoryMb, timeoutMs, logger } = options;

  return new Promise<ChildOutcome>((resolve) => {
    let child: ChildProcess;
    try {
      child = fork(CHILD_SCRIPT, [], {
        execPath: process.execPath,
        // The V8 heap cannot usefully grow past the process limit. Should it
        // fill before the next memory poll, Node.js aborts with a heap
        // message that is reported as SANDBOX_LIMIT as well.
        execArgv: [`--max-old-space-size=${processMemoryMb}`],
        env: childEnvironment(childDirectory),
        cwd: childDirectory,
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
    } catch (error) {
      resolve({ kind: 'failed', error });
      return;
    }

    const pid = child.pid;
    const rows: JsonValue[][] = [];
    let stderrTail = '';
    /** The first reason to stop the child; later reasons do not replace it. */
    let stopReason: ChildOutcome | undefined;
    /** The child's last message, once it has sent it. */
    let final: ChildOutcome | undefined;
    let settled = false;

    const stop = (reason: ChildOutcome) => {
      stopReason ??= reason;
      child.kill('SIGKILL');
    };

    let deadline: NodeJS.Timeout | undefined = setTimeout(
      () => stop({ kind: 'timeout' }),
      Math.min(timeoutMs + INTERRUPT_GRACE_MS + KILL_GRACE_MS, MAX_TIMER_MS),
    );
    const restartDeadline = (delayMs: number, reason: ChildOutcome) => {
      clearTimeout(deadline);
      deadline = setTimeout(() => stop(reason), delayMs);
    };

    const memory =
      pid === undefined
        ? undefined
        : new ResidentMemoryWatch(
            pid,
            processMemoryMb,
            (rssMb) => stop({ kind: 'memory', rssMb }),
            logger,
          );

    const finish = (outcome: ChildOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      memory?.stop();
      logger?.debug(
        {
          sandboxPid: pid,
          outcome: outcome.kind,
          peakRssMb: Math.round((memory?.peakKib ?? 0) / 1024),
        },
        'sandbox process finished',
      );
      resolve(outcome);
    };

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });

    child.on('message', (message: ChildMessage) => {
      try {
        switch (message.type) {
          case 'ready':
            // Serialization errors throw here. A write error reaches the
            // callback only when the child is going away, and its exit code
            // or signal is the better report, so the child is killed without a reason.
            child.send({ type: 'run', request }, (error) => {
              if (error) child.kill('SIGKILL');
            });
            return;
          case 'log':
            forwardLog(logger, message.line, pid ?? 0);
            return;
          case 'rows':
            // The query is over: from here the time goes to the transfer, which
            // the run's time limit does not cover, so only a stall stops it.
            restartDeadline(TRANSFER_STALL_MS, { kind: 'stalled' });
            for (const row of message.rows) rows.push(row);
            return;
          case 'result':
            memory?.stop();
            final = { kind: 'result', result: message.result, rows };
            restartDeadline(EXIT_GRACE_MS, final);
            return;
          case 'error':
            memory?.stop();
            final = { kind: 'error', error: message.error };
            restartDeadline(EXIT_GRACE_MS, final);
            return;
          default:
            throw new Error(
              `unknown message type ${JSON.stringify((message as ChildMessage).type)}`,
            );
        }
      } catch (error) {
        stop({ kind: 'failed', error });
      }
    });

    child.on('error', (error) => {
      if (pid === undefined) {
        // The process never started, so no close event follows.
        finish({ kind: 'failed', error });
        return;
      }
      stop({ kind: 'failed', error });
    });

    child.on('close', (code, signal) => {
      if (final !== undefined && final === stopReason) {
        logger?.warn(
          { sandboxPid: pid, graceMs: EXIT_GRACE_MS },
          'sandbox process did not exit after its last message and was killed',
        );
      }
      finish(final ?? stopReason ?? { kind: 'exited', code, signal, stderr: stderrTail });
    });
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
 *   (checked every MEMORY_POLL_MS) or its V8 heap fills. The child is killed
 *   with SIGKILL. The child's resident memory includes the result rows.
 * - SandboxTimeoutError (interrupted false) when the child is still running
 *   KILL_GRACE_MS after its own deadline and interrupt grace period.
 * - SANDBOX_FAILED when the child ends for any other reason without a result.
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
  const { logger, processMemoryMb: _processMemoryMb, ...serializable } = request;
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
  };
  try {
    const outcome = await superviseChild(options);
    return settleOutcome(outcome, options, started);
  } finally {
    await rm(childDirectory, { recursive: true, force: true }).catch((error: unknown) => {
      logger?.warn({ err: error, childDirectory }, 'removing the sandbox process directory failed');
    });
  }
}
