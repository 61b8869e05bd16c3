export interface PeriodicTask {
  /** Stop the timer and wait for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Run `task` every `intervalMs`, never two runs at once: a tick that finds
 * the previous run still going is skipped. The timer does not keep the
 * process alive. `task` must handle its own errors.
 */
export function startPeriodicTask(intervalMs: number, task: () => Promise<void>): PeriodicTask {
  let running: Promise<void> | null = null;
  let stopped = false;

  const timer = setInterval(() => {
    if (stopped || running !== null) return;
    running = task().finally(() => {
      running = null;
    });
  }, intervalMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
