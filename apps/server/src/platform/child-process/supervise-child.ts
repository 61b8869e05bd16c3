import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from 'pino';
import { ResidentMemoryWatch } from './resident-memory-watch.ts';

/** Time the child gets to exit after its last message before it is killed, in ms. */
const EXIT_GRACE_MS = 2_000;

/** Bytes of the child's standard error kept for the log. */
const STDERR_TAIL_BYTES = 16_384;

/** Largest delay setTimeout accepts, in ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Text that Node.js 24 writes to standard error when the V8 heap limit is reached.
 * NOTE: no test reaches this path, because the heap limit equals the memory
 * limit and the resident-memory poll stopped every query and import tried first.
 */
export const HEAP_LIMIT_MESSAGE = /heap out of memory|Reached heap limit/;

const LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** Children of this process that superviseChild started and that have not exited, by pid. */
const liveChildren = new Map<number, (reason: unknown) => void>();

/** Set by stopSupervisedChildren: the reason every later superviseChild call gets as `aborted`. */
let shutdownReason: { reason: unknown } | undefined;

/**
 * Kill every supervised child of this process with SIGKILL, as their
 * `aborted` outcome with `reason`, and make every later superviseChild call
 * end as `aborted` without starting a child. For shutdown: a server must not
 * exit and leave an import or a query running. Returns the killed children's pids.
 */
export function stopSupervisedChildren(reason: unknown): number[] {
  shutdownReason ??= { reason };
  const pids = [...liveChildren.keys()];
  for (const stop of liveChildren.values()) stop(reason);
  return pids;
}

/** Pids of the supervised children of this process that have not exited yet. */
export function supervisedChildPids(): number[] {
  return [...liveChildren.keys()];
}

/**
 * Messages that supervised children have in common: `ready` once the child
 * can take its request, and one pino log line in JSON. The parent replies
 * to `ready` with `{ type: 'run', request }`.
 */
export type CommonChildMessage = { type: 'ready' } | { type: 'log'; line: string };

/** Ends of a child that the supervisor itself detects. */
export type SupervisorOutcome =
  | { kind: 'memory'; rssMb: number }
  | { kind: 'timeout' }
  | { kind: 'aborted'; reason: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** Actions that a message handler may take on the child. `TOutcome` is the type of the caller's own outcomes. */
export interface ChildControls<TOutcome> {
  /** Kill the child with SIGKILL. The first reason given becomes the outcome. */
  stop(reason: TOutcome | SupervisorOutcome): void;
  /** Replace the deadline: kill the child with `reason` after `delayMs`. */
  restartDeadline(delayMs: number, reason: TOutcome | SupervisorOutcome): void;
  /**
   * Record the child's last message as the outcome. The memory limit no longer
   * applies, and the child has EXIT_GRACE_MS to exit before it is killed.
   */
  settle(final: TOutcome): void;
}

export interface SuperviseChildOptions<TRequest, TMessage, TOutcome> {
  /** Absolute path of the child's entry script. */
  script: string;
  /** Label of the log lines, such as "sandbox" for "sandbox process" and `sandboxPid`. */
  name: string;
  /** Sent to the child once it is ready, as `{ type: 'run', request }`. */
  request: TRequest;
  /** HOME, TMPDIR and working directory of the child (see childEnvironment). */
  childDirectory: string;
  /** Limit on the child's resident memory and on its V8 heap, in MiB. */
  memoryMb: number;
  /** Time from the start of the child until it is killed with outcome `timeout`, in ms. */
  deadlineMs: number;
  logger: Logger | undefined;
  /** Aborting it kills the child, unless it has already sent its last message. */
  signal?: AbortSignal | undefined;
  /** Handle a message other than `ready` and `log`. A thrown error stops the child as `failed`. */
  onMessage(message: TMessage, controls: ChildControls<TOutcome>): void;
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

/** Forward one pino line from the child to the caller's logger. */
function forwardLog(logger: Logger | undefined, line: string, pid: number, name: string): void {
  if (logger === undefined) return;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ [`${name}Pid`]: pid, line }, `${name} child sent a log line that is not JSON`);
    return;
  }
  const { level, msg, ...fields } = parsed;
  const method = typeof level === 'string' && LOG_LEVELS.has(level) ? level : 'warn';
  logger[method as 'warn']({ ...fields, [`${name}Pid`]: pid }, String(msg ?? ''));
}

/**
 * Fork the child, send it the request when it is ready, enforce the memory
 * limit and the deadline, pass its messages to `onMessage`, and resolve once
 * it has exited. The promise never rejects: every failure becomes an outcome.
 *
 * The request and the messages travel over the IPC channel with advanced
 * serialization (the V8 serializer), which keeps bigint values and needs no
 * framing code.
 */
export function superviseChild<
  TRequest,
  TMessage extends { type: string },
  TOutcome extends { kind: string },
>(
  options: SuperviseChildOptions<TRequest, TMessage, TOutcome>,
): Promise<TOutcome | SupervisorOutcome> {
  const { script, name, request, childDirectory, memoryMb, deadlineMs, logger, signal } = options;
  type Outcome = TOutcome | SupervisorOutcome;
  const pidField = `${name}Pid`;

  return new Promise<Outcome>((resolve) => {
    if (signal?.aborted) {
      resolve({ kind: 'aborted', reason: signal.reason });
      return;
    }
    if (shutdownReason !== undefined) {
      resolve({ kind: 'aborted', reason: shutdownReason.reason });
      return;
    }
    let child: ChildProcess;
    try {
      child = fork(script, [], {
        execPath: process.execPath,
        // The V8 heap cannot usefully grow past the process limit. Should it
        // fill before the next memory poll, Node.js aborts with a message
        // that matches HEAP_LIMIT_MESSAGE.
        execArgv: [`--max-old-space-size=${memoryMb}`],
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
    let stderrTail = '';
    /** The first reason to stop the child; later reasons do not replace it. */
    let stopReason: Outcome | undefined;
    /** The child's last message, once it has sent it. */
    let final: TOutcome | undefined;
    let settled = false;

    const stop = (reason: Outcome) => {
      stopReason ??= reason;
      child.kill('SIGKILL');
    };

    let deadline: NodeJS.Timeout | undefined = setTimeout(
      () => stop({ kind: 'timeout' }),
      Math.min(deadlineMs, MAX_TIMER_MS),
    );
    const restartDeadline = (delayMs: number, reason: Outcome) => {
      clearTimeout(deadline);
      deadline = setTimeout(() => stop(reason), delayMs);
    };

    const memory =
      pid === undefined
        ? undefined
        : new ResidentMemoryWatch(
            pid,
            memoryMb,
            (rssMb) => stop({ kind: 'memory', rssMb }),
            logger,
            name,
          );

    const onAbort = () => stop({ kind: 'aborted', reason: signal?.reason });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (pid !== undefined) {
      liveChildren.set(pid, (reason) => stop({ kind: 'aborted', reason }));
    }

    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      if (pid !== undefined) liveChildren.delete(pid);
      clearTimeout(deadline);
      memory?.stop();
      signal?.removeEventListener('abort', onAbort);
      logger?.debug(
        {
          [pidField]: pid,
          outcome: outcome.kind,
          peakRssMb: Math.round((memory?.peakKib ?? 0) / 1024),
        },
        `${name} process finished`,
      );
      resolve(outcome);
    };

    const controls: ChildControls<TOutcome> = {
      stop,
      restartDeadline,
      settle(message) {
        memory?.stop();
        final = message;
        restartDeadline(EXIT_GRACE_MS, message);
      },
    };

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      stderrTail = (stderrTail + text).slice(-STDERR_TAIL_BYTES);
    });

    child.on('message', (message: TMessage | CommonChildMessage) => {
      try {
        if (message.type === 'ready') {
          // Serialization errors throw here. A write error reaches the
          // callback only when the child is going away, and its exit code
          // or signal is the better report, so the child is killed without a reason.
          child.send({ type: 'run', request }, (error) => {
            if (error) child.kill('SIGKILL');
          });
          return;
        }
        if (message.type === 'log') {
          forwardLog(logger, (message as { line: string }).line, pid ?? 0, name);
          return;
        }
        options.onMessage(message as TMessage, controls);
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

    child.on('close', (code, exitSignal) => {
      if (final !== undefined && final === stopReason) {
        logger?.warn(
          { [pidField]: pid, graceMs: EXIT_GRACE_MS },
          `${name} process did not exit after its last message and was killed`,
        );
      }
      finish(
        final ?? stopReason ?? { kind: 'exited', code, signal: exitSignal, stderr: stderrTail },
      );
    });
  });
}
