import type { RunDetail, RunStatus } from './runs-api.ts';

export const RUN_STATUS_LABELS: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

export const RUN_STATUS_COLORS: Record<RunStatus, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  timed_out: 'orange',
  cancelled: 'gray',
};

/** Format a duration in milliseconds as "850 ms", "4.2 s" or "3 min 05 s". */
export function formatDuration(milliseconds: number): string {
  if (milliseconds < 1_000) return `${Math.max(0, Math.round(milliseconds))} ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1_000).toFixed(1)} s`;
  const seconds = Math.round(milliseconds / 1_000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** Time from start to finish, or undefined while the run has not both started and finished. */
export function runDuration(run: Pick<RunDetail, 'startedAt' | 'finishedAt'>): number | undefined {
  if (run.startedAt === null || run.finishedAt === null) return undefined;
  return Date.parse(run.finishedAt) - Date.parse(run.startedAt);
}

/** Return a short name for a run, such as "duplicate-payments-exact run 3" or "… preview". */
export function runName(
  run: Pick<RunDetail, 'testKey' | 'runNumber' | 'preview' | 'reperformsRunId'>,
) {
  if (run.reperformsRunId !== null) return `${run.testKey} re-performance`;
  if (run.preview || run.runNumber === null) return `${run.testKey} preview`;
  return `${run.testKey} run ${run.runNumber}`;
}
