import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/schema.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import { readEd25519PublicKey } from '../../../platform/keys/signing-key.ts';
import { startPeriodicTask } from '../../../platform/scheduling/periodic-task.ts';
import { verifyAndRecord } from '../verification/verification-results.ts';
import { readChainHead } from './checkpoints.repository.ts';
import {
  AuditChainDamagedError,
  createCheckpoint,
  latestGenuineCheckpoint,
} from './create-checkpoint.ts';

export interface CheckpointPolicy {
  /** Sign once this many events are unsigned. */
  everyEvents: number;
  /** Sign once the oldest unsigned event is this old. */
  everyMs: number;
  /**
   * Verify the whole chain and every checkpoint this often. Signing only
   * checks new events, so this is what finds an edit to older history.
   */
  verifyEveryMs: number;
  /** Fail readiness once the oldest unsigned event is this old; default max(3 × everyMs, 60 s). */
  overdueMs?: number;
}

export interface CheckpointScheduler {
  /** The last failure, for the readiness check; null when the last try worked. */
  lastError(): Error | null;
  stop(): Promise<void>;
}

const MAX_POLL_MS = 1000;

interface Coverage {
  /** Events after the newest genuine checkpoint. */
  unsigned: number;
  /** Age of the oldest of them in milliseconds, 0 when there are none. */
  oldestAgeMs: number;
}

async function readCoverage(db: Kysely<Database>, key: SigningKey, now: number): Promise<Coverage> {
  const head = await readChainHead(db);
  const latest = await latestGenuineCheckpoint(db, key, head.size);
  const signedSize = latest?.checkpoint.treeSize ?? 0;
  const unsigned = head.size - signedSize;
  if (unsigned <= 0) return { unsigned: 0, oldestAgeMs: 0 };

  const oldest = await db
    .selectFrom('audit_events')
    .select('occurred_at')
    .where('seq', '=', String(signedSize + 1))
    .executeTakeFirst();
  return {
    unsigned,
    oldestAgeMs:
      oldest === undefined ? Number.POSITIVE_INFINITY : now - oldest.occurred_at.getTime(),
  };
}

/**
 * Due once enough events are unsigned, or once the oldest of them is
 * everyMs old, so no event stays unsigned for much longer than that.
 */
function isDue(coverage: Coverage, policy: CheckpointPolicy): boolean {
  if (coverage.unsigned <= 0) return false;
  return coverage.unsigned >= policy.everyEvents || coverage.oldestAgeMs >= policy.everyMs;
}

/** Overdue: signing has not kept up, whatever the reason (such as a held lock). */
function overdueMs(policy: CheckpointPolicy): number {
  return policy.overdueMs ?? Math.max(3 * policy.everyMs, 60_000);
}

/**
 * Check once a second (or every everyMs, if shorter) whether a checkpoint
 * is due, and sign one when it is. Several instances may run this; the
 * advisory lock in createCheckpoint lets one of them sign.
 */
export function startCheckpointScheduler(
  db: Kysely<Database>,
  key: SigningKey,
  policy: CheckpointPolicy,
  logger: Logger,
): CheckpointScheduler {
  let failure: Error | null = null;
  let damaged: Error | null = null;
  let eventsDamaged = false;
  let verifiedAt = 0;
  let loggedAt = 0;
  const publicKey = readEd25519PublicKey(key.publicKeyPem);

  // Damage fails readiness until a later full verification passes. Damage
  // to events also stops signing, so no checkpoint vouches for it. A bad
  // checkpoint signature is a forged row, not damaged history, so signing
  // goes on from the newest genuine checkpoint.
  const verifyChain = async () => {
    // Set first, so a verification that throws is not retried every tick.
    verifiedAt = Date.now();
    // Each result is stored, so GET /api/v1/audit/verification can report it.
    const report = await verifyAndRecord(db, publicKey);
    damaged =
      report.damage === null
        ? null
        : new AuditChainDamagedError(report.damage.seq, report.damage.kind);
    eventsDamaged = report.damage !== null && report.damage.kind !== 'bad_checkpoint_signature';
    if (damaged !== null)
      logger.error({ damage: report.damage }, 'audit trail verification found damage');
  };

  const tick = async () => {
    try {
      if (Date.now() - verifiedAt >= policy.verifyEveryMs) await verifyChain();
      if (eventsDamaged) {
        failure = damaged;
        return;
      }
      if (isDue(await readCoverage(db, key, Date.now()), policy)) {
        const created = await createCheckpoint(db, key);
        if (created !== null) {
          // The whole signed checkpoint goes to the log, so a copy exists
          // outside the database for verify --trusted-checkpoint.
          logger.info(
            { checkpoint: created.checkpoint, signature: created.signature },
            'audit checkpoint signed',
          );
        }
      }
      const after = await readCoverage(db, key, Date.now());
      failure =
        damaged ??
        (after.oldestAgeMs > overdueMs(policy)
          ? new Error(
              `checkpoints are overdue: the oldest unsigned event is ${Math.round(after.oldestAgeMs / 1000)} s old`,
            )
          : null);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    // At most one line a minute, and no stack: the cause is in the message.
    if (failure !== null && Date.now() - loggedAt >= 60_000) {
      loggedAt = Date.now();
      logger.error({ error: failure.message }, 'audit checkpoints are failing');
    }
  };

  const task = startPeriodicTask(Math.min(MAX_POLL_MS, policy.everyMs), tick);
  return { lastError: () => failure, stop: () => task.stop() };
}
