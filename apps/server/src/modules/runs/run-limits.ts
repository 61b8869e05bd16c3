import { sql } from 'kysely';
import type { RunsConfig } from '../../platform/config/config.ts';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SandboxLimits } from './engine/sandbox.ts';

export const DEFAULT_RUN_LIMITS: SandboxLimits = {
  // A 10-million-group aggregate needs about 1.6 GiB. In one trial DuckDB
  // 1.5.6 ran it in 1.93 s under a 2048 MiB limit and 1.78 s under 4096 MiB.
  memoryMb: 4096,
  threads: 2,
  timeoutMs: 15 * 60_000,
  maxResultRows: 2_000_000,
};

/**
 * Limits on runs: the sandbox limits of a real run, the shorter time limit
 * of a preview, and how many previews one user may have queued or running
 * at once.
 */
export interface RunLimits {
  /** Sandbox limits of each query of a real run, and of a re-performance of one. */
  run: SandboxLimits;
  /** Time limit of each query of a preview, in ms. */
  previewTimeoutMs: number;
  /** Previews one user may have queued or running at once, re-performances included. */
  maxActivePreviewsPerUser: number;
}

export const DEFAULT_RUN_LIMITS_CONFIG: RunsConfig = {
  timeoutMs: DEFAULT_RUN_LIMITS.timeoutMs,
  previewTimeoutMs: 2 * 60_000,
  memoryMb: DEFAULT_RUN_LIMITS.memoryMb,
  maxActivePreviewsPerUser: 2,
};

/** Build the run limits from the runs section of the configuration. */
export function runLimitsFrom(config: RunsConfig = DEFAULT_RUN_LIMITS_CONFIG): RunLimits {
  return {
    run: { ...DEFAULT_RUN_LIMITS, timeoutMs: config.timeoutMs, memoryMb: config.memoryMb },
    previewTimeoutMs: config.previewTimeoutMs,
    maxActivePreviewsPerUser: config.maxActivePreviewsPerUser,
  };
}

/**
 * Decide whether a run gets the preview time limit. A preview does. A
 * re-performance is stored as a preview but repeats its original run, so it
 * gets the limit of the first run of its chain. That is the real-run limit
 * when the first run was a real run, and the preview limit otherwise.
 */
export async function takesPreviewLimit(
  tx: Tx,
  run: { preview: boolean; reperforms_run_id: string | null },
): Promise<boolean> {
  if (!run.preview) return false;
  if (run.reperforms_run_id === null) return true;

  const origin = await sql<{ preview: boolean }>`
    WITH RECURSIVE chain AS (
      SELECT id, preview, reperforms_run_id FROM runs WHERE id = ${run.reperforms_run_id}
      UNION ALL
      SELECT runs.id, runs.preview, runs.reperforms_run_id
      FROM runs JOIN chain ON runs.id = chain.reperforms_run_id
    )
    SELECT preview FROM chain WHERE reperforms_run_id IS NULL
  `.execute(tx);
  // A chain whose first run is not visible gets the shorter limit.
  return origin.rows[0]?.preview ?? true;
}

/** Choose the sandbox limits of one run: the real-run limits, with the preview time limit where it applies. */
export function sandboxLimitsFor(limits: RunLimits, previewLimit: boolean): SandboxLimits {
  return previewLimit ? { ...limits.run, timeoutMs: limits.previewTimeoutMs } : limits.run;
}

/**
 * Reject a new preview (or re-performance) with 429 RATE_LIMITED when the
 * user already has `max` of them queued or running, counted in the caller's
 * scope. A transaction-scoped advisory lock per user makes concurrent
 * requests of one user count one after the other, so they cannot all pass
 * on the same count.
 */
export async function checkActivePreviews(tx: Tx, userId: string, max: number): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`peytonix.active-previews:${userId}`}, 0))`.execute(
    tx,
  );
  const active = await tx
    .selectFrom('runs')
    .select('id')
    .where('requested_by', '=', userId)
    .where('preview', '=', true)
    .where('status', 'in', ['queued', 'running'])
    .orderBy('requested_at')
    .execute();
  if (active.length < max) return;

  throw new AppError('RATE_LIMITED', {
    detail: `You already have ${active.length} previews queued or running (${active.map((run) => run.id).join(', ')}), and the limit is ${max}. Wait until one ends, or cancel one with "peytonix runs cancel RUN_ID".`,
    extensions: { activePreviewRunIds: active.map((run) => run.id), limit: max },
  });
}
