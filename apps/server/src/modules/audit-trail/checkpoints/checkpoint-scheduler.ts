import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../../platform/db/schema.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import { latestCheckpoint, readChainHead } from './checkpoints.repository.ts';
import { createCheckpoint } from './create-checkpoint.ts';

export interface CheckpointPolicy {
  /** Sign once this many events are unsigned. */
  everyEvents: number;
  /** Sign once the oldest unsigned event is this old. */
  everyMs: number;
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
  let running: Promise<void> | null = null;
  let stopped = false;

  const tick = async () => {
    try {
      if (await isDue(db, policy, Date.now())) {
        const created = await createCheckpoint(db, key);
        if (created !== null) {
          logger.info(
            { treeSize: created.checkpoint.treeSize, keyId: key.keyId },
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

  const timer = setInterval(
    () => {
      if (stopped || running !== null) return;
      running = tick().finally(() => {
        running = null;
      });
    },
    Math.min(MAX_POLL_MS, policy.everyMs),
  );
  timer.unref();

  return {
    lastError: () => failure,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
