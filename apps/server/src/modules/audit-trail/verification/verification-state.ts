import type { AuditVerification } from '@peytonix/contracts';
import { DAMAGE_KINDS } from './damage.ts';
import type { VerificationResult } from './verification-results.ts';

/** Extra time beyond two intervals before a result is stale, for the verification run itself. */
const STALE_GRACE_MS = 5 * 60_000;

/**
 * Return the milliseconds after which the latest result may no longer hold:
 * two verification intervals, so one missed run is tolerated, plus five
 * minutes for the verification itself.
 */
export function staleAfterMs(intervalMs: number): number {
  return 2 * intervalMs + STALE_GRACE_MS;
}

function stateOf(
  latest: VerificationResult | null,
  now: Date,
  intervalMs: number,
): AuditVerification['state'] {
  if (latest === null) return 'unverified';
  // Damage stays reported however old the result is: nothing since has shown otherwise.
  if (latest.outcome === 'damaged') return 'damaged';
  if (now.getTime() - latest.recordedAt.getTime() > staleAfterMs(intervalMs)) return 'stale';
  return latest.outcome;
}

/**
 * Describe the latest stored result, failing closed: the state is `intact`
 * only when that result found no damage and is younger than staleAfterMs.
 */
export function verificationView(
  latest: VerificationResult | null,
  now: Date,
  intervalMs: number,
): AuditVerification {
  return {
    state: stateOf(latest, now, intervalMs),
    intervalSeconds: Math.round(intervalMs / 1000),
    staleAfterSeconds: Math.round(staleAfterMs(intervalMs) / 1000),
    latest:
      latest === null
        ? null
        : {
            recordedAt: latest.recordedAt.toISOString(),
            startedAt: latest.startedAt.toISOString(),
            durationMs: latest.durationMs,
            treeSize: latest.treeSize,
            checkpoints: latest.checkpoints,
            outcome: latest.outcome,
            damage:
              latest.damage === null
                ? null
                : {
                    seq: latest.damage.seq,
                    kind: latest.damage.kind,
                    description: DAMAGE_KINDS[latest.damage.kind],
                  },
            instance: latest.instance,
          },
  };
}
