import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import type { DamageKind, VerificationReport } from './damage.ts';
import { verifyDatabase } from './verify-database.ts';

/** One stored result of a full verification of the chain and every checkpoint. */
export interface VerificationResult {
  recordedAt: Date;
  startedAt: Date;
  durationMs: number;
  /** Events the verification read; on damage, those up to the damaged one. */
  treeSize: number;
  checkpoints: number;
  outcome: 'intact' | 'damaged' | 'failed';
  damage: { seq: number; kind: DamageKind } | null;
  instance: string;
}

/** Return the host name and process id that identify this instance in stored results. */
export function instanceName(): string {
  return `${hostname()}:${process.pid}`.slice(0, 200);
}

export async function insertVerificationResult(
  db: Kysely<Database>,
  result: Omit<VerificationResult, 'recordedAt'>,
): Promise<void> {
  await db
    .insertInto('audit_verifications')
    .values({
      started_at: result.startedAt,
      duration_ms: result.durationMs,
      tree_size: result.treeSize,
      checkpoints: result.checkpoints,
      outcome: result.outcome,
      damage_seq: result.damage?.seq ?? null,
      damage_kind: result.damage?.kind ?? null,
      instance: result.instance,
    })
    .execute();
}

/** Read the newest stored result from any instance, or null when none exists. */
export async function latestVerificationResult(
  db: Kysely<Database>,
): Promise<VerificationResult | null> {
  const row = await db
    .selectFrom('audit_verifications')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (row === undefined) return null;

  return {
    recordedAt: row.recorded_at,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    treeSize: Number(row.tree_size),
    checkpoints: row.checkpoints,
    outcome: row.outcome,
    damage:
      row.damage_seq === null || row.damage_kind === null
        ? null
        : { seq: Number(row.damage_seq), kind: row.damage_kind as DamageKind },
    instance: row.instance,
  };
}

/**
 * Verify the whole chain and every checkpoint from one snapshot, then store
 * the outcome. A verification that throws is stored as `failed` before the
 * error is raised again, so an older `intact` result does not stay the
 * latest one, unless storing the failure fails too.
 */
export async function verifyAndRecord(
  db: Kysely<Database>,
  publicKey: KeyObject,
  instance: string = instanceName(),
): Promise<VerificationReport> {
  const startedAt = new Date();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  let report: VerificationReport;
  try {
    report = await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((tx) => verifyDatabase(tx, publicKey));
  } catch (error) {
    await insertVerificationResult(db, {
      startedAt,
      durationMs: elapsed(),
      treeSize: 0,
      checkpoints: 0,
      outcome: 'failed',
      damage: null,
      instance,
    });
    throw error;
  }

  await insertVerificationResult(db, {
    startedAt,
    durationMs: elapsed(),
    treeSize: report.events,
    checkpoints: report.checkpoints,
    outcome: report.damage === null ? 'intact' : 'damaged',
    damage: report.damage === null ? null : { seq: report.damage.seq, kind: report.damage.kind },
    instance,
  });
  return report;
}
