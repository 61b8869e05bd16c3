import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/schema.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import { readEd25519PublicKey } from '../../../platform/keys/signing-key.ts';
import { startPeriodicTask } from '../../../platform/scheduling/periodic-task.ts';
import { verifyDatabase } from '../verification/verify-database.ts';
import { latestCheckpoint, readChainHead } from './checkpoints.repository.ts';
import { AuditChainDamagedError, createCheckpoint } from './create-checkpoint.ts';

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
}

export interface CheckpointScheduler {
  /** The last failure, for the readiness check; null when the last try worked. */
  lastError(): Error | null;
  stop(): Promise<void>;
}

const MAX_POLL_MS = 1000;

async function isDue(
  db: Kysely<Database>,
  policy: CheckpointPolicy,
  now: number,
): Promise<boolean> {
  const head = await readChainHead(db);
  const latest = await latestCheckpoint(db);
  const signedSize = latest?.checkpoint.treeSize ?? 0;
  const unsigned = head.size - signedSize;
  if (unsigned <= 0) return false;
  if (unsigned >= policy.everyEvents) return true;

  // Time counts from the oldest uncovered event, so no event stays
  // unsigned for much longer than everyMs, however quiet the trail is.
  const oldest = await db
    .selectFrom('audit_events')
    .select('occurred_at')
    .where('seq', '=', String(signedSize + 1))
    .executeTakeFirst();
  return oldest === undefined || now - oldest.occurred_at.getTime() >= policy.everyMs;
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
  let verifiedAt = 0;
  const publicKey = readEd25519PublicKey(key.publicKeyPem);

  // A damaged chain stops signing until a later full verification passes.
  const verifyChain = async () => {
    const report = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((tx) => verifyDatabase(tx, publicKey));
    verifiedAt = Date.now();
    damaged =
      report.damage === null
        ? null
        : new AuditChainDamagedError(report.damage.seq, report.damage.kind);
    if (damaged !== null)
      logger.error({ damage: report.damage }, 'audit trail verification found damage');
  };

  const tick = async () => {
    try {
      if (Date.now() - verifiedAt >= policy.verifyEveryMs) await verifyChain();
      if (damaged !== null) {
        failure = damaged;
        return;
      }
      if (await isDue(db, policy, Date.now())) {
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
      failure = null;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      logger.error({ err: failure }, 'audit checkpoint failed');
    }
  };

  const task = startPeriodicTask(Math.min(MAX_POLL_MS, policy.everyMs), tick);
  return { lastError: () => failure, stop: () => task.stop() };
}
