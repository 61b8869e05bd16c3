import { formatDateTime } from '../shared/format.ts';

/**
 * The server's evidence-scans job runs every minute and rescans each
 * version whose back-off has passed, so a due retry waits at most that long.
 */
const NEXT_PASS = "the scan job's next pass (it runs every minute)";

/**
 * Describe when a version in scan_pending is scanned again, as of `now`.
 * The server's `nextScanAt` is when the back-off ends. Once that time has
 * passed, the retry waits for the job's next pass, so the text names no
 * time in the past.
 */
export function describeScanRetry(nextScanAt: string | null, now: Date): string {
  if (nextScanAt === null) return `Retry queued for ${NEXT_PASS}.`;

  const due = new Date(nextScanAt);
  const waitMs = due.getTime() - now.getTime();
  if (Number.isNaN(waitMs) || waitMs <= 0) return `Retry due now: queued for ${NEXT_PASS}.`;

  const minutes = Math.ceil(waitMs / 60_000);
  return `Next retry at ${formatDateTime(nextScanAt)}, in ${minutes === 1 ? 'about a minute' : `about ${minutes} minutes`}.`;
}
