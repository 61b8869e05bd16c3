import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';

/** Scheduling metadata of an active test version that has a schedule. */
export interface ScheduledTest {
  testId: string;
  entityId: string;
  ownerId: string;
  versionId: string;
  schedule: string;
  /** When the version became active. Fires before it belong to earlier versions. */
  activatedAt: Date;
  /** The latest fire already claimed for the test, by any version, or null before the first. */
  lastFiredAt: Date | null;
}

/** A fire of a test's schedule: the version whose schedule fired, and when. */
export interface ScheduledFire {
  testId: string;
  versionId: string;
  firedAt: Date;
}

/**
 * Raised inside a run's transaction when its fire was claimed already (by
 * another worker, or by an earlier try of the same tick) or its version is
 * no longer active. The transaction rolls back, so the run is not queued.
 */
export class FireAlreadyClaimedError extends AppError {
  constructor(fire: ScheduledFire) {
    super('CONFLICT', {
      detail: `The schedule fire at ${fire.firedAt.toISOString()} of test ${fire.testId} was already claimed, or version ${fire.versionId} is no longer active.`,
    });
  }
}

/**
 * List every active test version with a schedule, across all entities,
 * through the definer function peytonix_scheduled_tests(). It needs no
 * actor scope and returns only ids, the cron expression and times.
 */
export async function listScheduledTests(db: Db | Tx): Promise<ScheduledTest[]> {
  const result = await sql<{
    test_id: string;
    entity_id: string;
    owner_id: string;
    version_id: string;
    schedule: string;
    activated_at: Date;
    last_fired_at: Date | null;
  }>`SELECT * FROM peytonix_scheduled_tests()`.execute(db);
  return result.rows.map((row) => ({
    testId: row.test_id,
    entityId: row.entity_id,
    ownerId: row.owner_id,
    versionId: row.version_id,
    schedule: row.schedule,
    activatedAt: row.activated_at,
    lastFiredAt: row.last_fired_at,
  }));
}

/**
 * Claim a fire for the transaction `tx`, and return whether it did. The
 * claim commits or rolls back with `tx`. A concurrent claim of the same
 * test waits until `tx` ends, so exactly one of two claims of a fire wins.
 */
export async function tryClaimScheduledFire(tx: Tx, fire: ScheduledFire): Promise<boolean> {
  const result = await sql<{ claimed: boolean }>`
    SELECT peytonix_claim_test_schedule_fire(
      ${fire.testId}::uuid, ${fire.versionId}::uuid, ${fire.firedAt}::timestamptz
    ) AS claimed
  `.execute(tx);
  return result.rows[0]?.claimed === true;
}

/** Claim a fire in the transaction that queues its run; raise FireAlreadyClaimedError when another claim won. */
export async function claimScheduledFire(tx: Tx, fire: ScheduledFire): Promise<void> {
  if (!(await tryClaimScheduledFire(tx, fire))) throw new FireAlreadyClaimedError(fire);
}

/** Read the database server's current time, which also stamps activations and runs. */
export async function databaseNow(db: Db | Tx): Promise<Date> {
  const result = await sql<{ now: Date }>`SELECT now() AS now`.execute(db);
  const now = result.rows[0]?.now;
  if (now === undefined) throw new Error('SELECT now() returned no row');
  return now;
}
