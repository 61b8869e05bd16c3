import type { Logger } from 'pino';
import { stopSupervisedChildren } from '../platform/child-process/supervise-child.ts';
import { AppError } from '../platform/http/app-error.ts';

export interface ShutdownSignalOptions {
  logger: Logger;
  /** Time in-flight requests and jobs get to finish before child processes are killed, in ms. */
  graceMs: number;
  /** Stop everything the command started. The promise resolves once all of it has stopped. */
  close: () => Promise<void>;
  /** Callback that receives the exit code once `close` has finished or failed. */
  done: (code: number) => void;
  /** Function that ends the process at once, such as `process.exit`. */
  forceExit: (code: number) => never;
  /** Start of the log messages, such as "worker" for "worker shutting down". */
  label?: string;
}

/** Kill the import and query processes of this process, logging how many there were. */
function killChildren(logger: Logger, reason: string): void {
  const pids = stopSupervisedChildren(
    new AppError('SERVICE_UNAVAILABLE', {
      detail:
        'The server is shutting down, so the import or query was stopped. Retry it once the server is back.',
      headers: { 'retry-after': '30' },
    }),
  );
  if (pids.length > 0) logger.warn({ pids, reason }, 'killed child processes at shutdown');
}

/**
 * Stop on SIGTERM or SIGINT. The first signal calls `close`, which gives
 * in-flight requests and jobs `graceMs` to finish. Then every import and
 * query child process still running is killed, because the command must not
 * exit and leave them behind, nor wait 30 minutes for an import. If `close`
 * has not finished 5 s later, or a second signal arrives, the process exits at once with 1.
 */
export function installShutdownSignals(options: ShutdownSignalOptions): void {
  const { logger, graceMs, close, done, forceExit } = options;
  const prefix = options.label === undefined ? '' : `${options.label} `;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, `${prefix}received a second signal; exiting now`);
      killChildren(logger, 'second signal');
      forceExit(1);
    }
    stopping = true;
    logger.info({ signal }, `${prefix}shutting down`);

    const grace = setTimeout(() => killChildren(logger, 'grace period over'), graceMs);
    const watchdog = setTimeout(() => {
      logger.error({ timeoutMs: graceMs }, `${prefix}shutdown timed out`);
      killChildren(logger, 'shutdown timed out');
      forceExit(1);
    }, graceMs + 5_000);

    const finish = (code: number) => {
      clearTimeout(grace);
      clearTimeout(watchdog);
      // Work that outlived its job or request, such as a run whose job
      // stopped waiting for it, would otherwise keep the process alive.
      killChildren(logger, 'stopped');
      done(code);
    };
    close().then(
      () => {
        logger.info(`${prefix}stopped`);
        finish(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, `${prefix}shutdown failed`);
        finish(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
