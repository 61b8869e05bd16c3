import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.ts';
import { type PeriodicTask, startPeriodicTask } from '../../platform/scheduling/periodic-task.ts';

const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

export interface HousekeepingResult {
  throttles: number;
  mfaChallenges: number;
  webauthnChallenges: number;
}

/**
 * Delete sign-in state that can no longer affect a decision: throttle rows
 * untouched for a day and not locked (a day also clears their lock count),
 * and second-factor and WebAuthn challenges an hour past their expiry.
 * Without it, anyone could grow these tables by trying many emails.
 */
export async function removeStaleSignInState(db: Db): Promise<HousekeepingResult> {
  const throttles = await db
    .deleteFrom('login_throttles')
    .where(sql<boolean>`last_attempt_at < now() - interval '1 day'`)
    .where((eb) =>
      eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]),
    )
    .executeTakeFirst();
  const mfaChallenges = await db
    .deleteFrom('mfa_challenges')
    .where(sql<boolean>`expires_at < now() - interval '1 hour'`)
    .executeTakeFirst();
  const webauthnChallenges = await db
    .deleteFrom('webauthn_challenges')
    .where(sql<boolean>`expires_at < now() - interval '1 hour'`)
    .executeTakeFirst();
  return {
    throttles: Number(throttles.numDeletedRows),
    mfaChallenges: Number(mfaChallenges.numDeletedRows),
    webauthnChallenges: Number(webauthnChallenges.numDeletedRows),
  };
}

/** Run removeStaleSignInState every ten minutes; failures are logged and retried at the next run. */
export function startIdentityHousekeeping(db: Db, logger: Logger): PeriodicTask {
  return startPeriodicTask(HOUSEKEEPING_INTERVAL_MS, async () => {
    try {
      const removed = await removeStaleSignInState(db);
      logger.debug({ removed }, 'stale sign-in state removed');
    } catch (error) {
      const { message, code } = error as { message?: unknown; code?: unknown };
      logger.error(
        { error: message, code },
        'removing stale sign-in state failed; retrying at the next run',
      );
    }
  });
}
