import type { Logger } from 'pino';
import type { Db } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import {
  AuditChainDamagedError,
  CheckpointKeyMismatchError,
  createCheckpoint,
} from '../checkpoints/create-checkpoint.ts';

/** Open the checkpoint signing key, or throw SERVICE_UNAVAILABLE (503). */
export async function openSigningKey(
  checkpointKey: () => Promise<SigningKey>,
): Promise<SigningKey> {
  try {
    return await checkpointKey();
  } catch (error) {
    throw new AppError('SERVICE_UNAVAILABLE', {
      detail:
        'The checkpoint signing key is not available. Check the key provider configuration and the server log.',
      internal: error,
    });
  }
}

/**
 * Sign a checkpoint over the events sealed since the newest one, so that an
 * export can end at a signed tree size. Returns without signing when no
 * event is unsigned or another instance holds the checkpoint lock. A damaged
 * chain or a wrong key throws AUDIT_TRAIL_UNAVAILABLE (503), because no
 * checkpoint may vouch for damaged events.
 */
export async function signNewEvents(db: Db, key: SigningKey, logger: Logger): Promise<void> {
  try {
    const created = await createCheckpoint(db, key);
    if (created === null) return;

    // As the scheduler does, so a copy exists outside the database for verify --trusted-checkpoint.
    logger.info(
      { checkpoint: created.checkpoint, signature: created.signature },
      'audit checkpoint signed',
    );
  } catch (error) {
    if (!(error instanceof AuditChainDamagedError || error instanceof CheckpointKeyMismatchError)) {
      throw error;
    }
    throw new AppError('AUDIT_TRAIL_UNAVAILABLE', {
      detail: `No checkpoint could be signed over the newest events, so no signed export is possible: ${error.message}. Operators can still export the trail as stored with peytonix audit export.`,
      internal: error,
    });
  }
}
