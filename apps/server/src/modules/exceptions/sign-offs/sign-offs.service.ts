import { sql } from 'kysely';
import type { Db, Tx } from '../../../platform/db/database.ts';
import type { SignOffLevel, SignOffTargetType } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import { withActor } from '../../access/actor-scope.ts';
import type { SeparationOfDuties } from '../../access/separation-of-duties.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import { findEntityByCode } from '../../entities/entities.repository.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { engagementContentSha256, runContentSha256 } from './sign-off-content.ts';

export type SignOffState = 'current' | 'stale' | 'withdrawn';

export interface SignOffView {
  id: string;
  targetType: SignOffTargetType;
  targetId: string;
  level: SignOffLevel;
  signedBy: string;
  signedAt: string;
  contentSha256: string;
  state: SignOffState;
  withdrawnBy: string | null;
  withdrawnAt: string | null;
  withdrawalReason: string | null;
}

export interface SignOffListing {
  targetType: SignOffTargetType;
  targetId: string;
  currentSha256: string;
  signOffs: SignOffView[];
}

/** A run id, or an engagement's entity code, as the API names a target. */
export interface SignOffTargetRef {
  targetType: SignOffTargetType;
  target: string;
}

export interface SignOffsService {
  /** Sign a run's results or an engagement's workpapers as preparer or reviewer. */
  sign(
    actor: Actor,
    request: SignOffTargetRef & { level: SignOffLevel },
    context?: RequestContext,
  ): Promise<SignOffView>;
  /** List an item's sign-offs, newest first, each marked current, stale or withdrawn. */
  list(actor: Actor, target: SignOffTargetRef): Promise<SignOffListing>;
  /** Withdraw every sign-off of the item that is not withdrawn yet, so it can change. */
  withdraw(
    actor: Actor,
    signOffId: string,
    reason: string,
    context?: RequestContext,
  ): Promise<SignOffListing>;
}

interface ResolvedTarget {
  type: SignOffTargetType;
  id: string;
  entityId: string;
  label: string;
}

const LEVEL_PERMISSION = {
  preparer: 'exceptions.investigate',
  reviewer: 'exceptions.review',
} as const;

function targetNotFound(target: SignOffTargetRef): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail:
      target.targetType === 'run'
        ? `No run ${target.target} is visible to you. Find runs with GET /api/v1/runs/{id} or "peytonix runs show".`
        : `No engagement ${JSON.stringify(target.target)} is visible to you. List entities with GET /api/v1/entities.`,
  });
}

/** Load a target without authorizing it; null when it is missing or not visible. */
async function findTarget(tx: Tx, target: SignOffTargetRef): Promise<ResolvedTarget | null> {
  if (target.targetType === 'run') {
    if (!/^[0-9a-f-]{36}$/i.test(target.target)) return null;
    const run = await tx
      .selectFrom('runs')
      .innerJoin('test_definitions as t', 't.id', 'runs.test_id')
      .select(['runs.id', 't.entity_id', 'runs.status', 'runs.preview', 'runs.run_number', 't.key'])
      .where('runs.id', '=', target.target)
      .executeTakeFirst();
    if (run === undefined) return null;
    if (run.preview || run.status !== 'succeeded') {
      throw new AppError('BUSINESS_RULE_VIOLATED', {
        detail: `Run ${run.id} is ${run.preview ? 'a preview' : run.status}; only a succeeded run that is not a preview has results to sign off.`,
      });
    }
    return {
      type: 'run',
      id: run.id,
      entityId: run.entity_id,
      label: `run ${run.run_number} of ${run.key}`,
    };
  }

  const entity = await findEntityByCode(tx, target.target);
  if (entity === undefined) return null;
  if (entity.type !== 'engagement') {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `Entity ${entity.code} is a ${entity.type}; only an engagement has workpapers to sign off.`,
    });
  }
  return {
    type: 'engagement',
    id: entity.id,
    entityId: entity.id,
    label: `engagement ${entity.code}`,
  };
}

/**
 * Return whether the user was assigned, or proposed a disposition for, any
 * exception the target covers: those a run flagged, or those in an
 * engagement's subtree.
 */
async function preparedExceptionOf(
  tx: Tx,
  target: ResolvedTarget,
  userId: string,
): Promise<boolean> {
  const covered =
    target.type === 'run'
      ? sql`SELECT exception_id FROM run_exceptions WHERE run_id = ${target.id}`
      : sql`SELECT e.id FROM exceptions AS e
              JOIN entity_closure AS c ON c.descendant_id = e.entity_id AND c.ancestor_id = ${target.id}`;
  const { rows } = await sql<{ prepared: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM exception_events AS v
       WHERE v.exception_id IN (${covered})
         AND ((v.action = 'assigned' AND v.assignee_id = ${userId})
           OR (v.action = 'proposed' AND v.actor_id = ${userId}))) AS prepared`.execute(tx);
  return rows[0]?.prepared === true;
}

function contentSha256(tx: Tx, target: ResolvedTarget): Promise<Buffer> {
  return target.type === 'run'
    ? runContentSha256(tx, target.id)
    : engagementContentSha256(tx, target.id);
}

async function signOffRows(tx: Tx, target: ResolvedTarget) {
  return await tx
    .selectFrom('sign_offs as s')
    .innerJoin('users as signer', 'signer.id', 's.signed_by')
    .leftJoin('users as withdrawer', 'withdrawer.id', 's.withdrawn_by')
    .select([
      's.id',
      's.level',
      's.signed_by',
      'signer.email as signed_by_email',
      's.signed_at',
      's.content_sha256',
      's.withdrawn_at',
      'withdrawer.email as withdrawn_by_email',
      's.withdrawal_reason',
    ])
    .where('s.target_type', '=', target.type)
    .where('s.target_id', '=', target.id)
    .orderBy('s.signed_at', 'desc')
    .execute();
}

type SignOffRow = Awaited<ReturnType<typeof signOffRows>>[number];

function stateOf(row: SignOffRow, current: Buffer): SignOffState {
  if (row.withdrawn_at !== null) return 'withdrawn';
  return row.content_sha256.equals(current) ? 'current' : 'stale';
}

function toView(target: ResolvedTarget, row: SignOffRow, current: Buffer): SignOffView {
  return {
    id: row.id,
    targetType: target.type,
    targetId: target.id,
    level: row.level,
    signedBy: row.signed_by_email,
    signedAt: row.signed_at.toISOString(),
    contentSha256: row.content_sha256.toString('hex'),
    state: stateOf(row, current),
    withdrawnBy: row.withdrawn_by_email,
    withdrawnAt: row.withdrawn_at?.toISOString() ?? null,
    withdrawalReason: row.withdrawal_reason,
  };
}

export function createSignOffsService(deps: {
  db: Db;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
}): SignOffsService {
  const { db, access, separationOfDuties } = deps;

  const loadTarget = async (
    tx: Tx,
    actor: Actor,
    ref: SignOffTargetRef,
    permission: 'exceptions.read' | 'exceptions.investigate' | 'exceptions.review',
    context?: RequestContext,
  ) => {
    const target = await findTarget(tx, ref);
    if (target === null) throw targetNotFound(ref);
    await access.authorize(
      tx,
      actor,
      permission,
      { type: target.type, id: target.id, entityId: target.entityId },
      { context, notFound: () => targetNotFound(ref) },
    );
    return target;
  };

  const listing = async (tx: Tx, target: ResolvedTarget): Promise<SignOffListing> => {
    const current = await contentSha256(tx, target);
    const rows = await signOffRows(tx, target);
    return {
      targetType: target.type,
      targetId: target.id,
      currentSha256: current.toString('hex'),
      signOffs: rows.map((row) => toView(target, row, current)),
    };
  };

  return {
    async sign(actor, request, context) {
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user signs off.' });
      }
      const signed = await withActor(db, actor, async (tx) => {
        const target = await loadTarget(
          tx,
          actor,
          request,
          LEVEL_PERMISSION[request.level],
          context,
        );
        // Serialize sign-offs of one target, so two signers cannot both pass the checks below.
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`sign-off:${target.id}`}, 0))`.execute(
          tx,
        );

        const current = await contentSha256(tx, target);
        const rows = await signOffRows(tx, target);
        const latest = (level: SignOffLevel) => rows.find((row) => row.level === level);
        const own = latest(request.level);
        if (own !== undefined && stateOf(own, current) === 'current') {
          throw new AppError('CONFLICT', {
            detail: `The ${target.label} already has a current ${request.level} sign-off by ${own.signed_by_email}, for exactly this content.`,
          });
        }

        let confirms: SignOffRow | undefined;
        if (request.level === 'reviewer') {
          confirms = latest('preparer');
          if (confirms === undefined || stateOf(confirms, current) !== 'current') {
            throw new AppError('CONFLICT', {
              detail: `The ${target.label} has no current preparer sign-off${confirms === undefined ? '' : ` (the latest is ${stateOf(confirms, current)})`}. A preparer must sign it as it is now before a reviewer can.`,
            });
          }
          const check = {
            actor,
            target: { type: target.type, id: target.id, entityId: target.entityId },
            context,
          };
          await separationOfDuties.assertNotPreparer(check, confirms.signed_by);
          // Nor may anyone who prepared one of the item's exceptions review it.
          const prepared = await preparedExceptionOf(tx, target, actor.userId);
          await separationOfDuties.assertNotPreparer(check, prepared ? actor.userId : null);
        }

        const inserted = await tx
          .insertInto('sign_offs')
          .values({
            entity_id: target.entityId,
            target_type: target.type,
            target_id: target.id,
            level: request.level,
            signed_by: actor.userId,
            content_sha256: current,
            confirms_id: confirms?.id ?? null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await appendAuditEvent(tx, {
          actor,
          action: 'signoff.signed',
          outcome: 'success',
          target: { type: 'sign_off', id: inserted.id },
          entityId: target.entityId,
          ...(context ? { context } : {}),
          details: {
            targetType: target.type,
            targetId: target.id,
            level: request.level,
            contentSha256: current.toString('hex'),
          },
        });
        const view = (await listing(tx, target)).signOffs.find((item) => item.id === inserted.id);
        if (view === undefined) throw new Error(`sign-off ${inserted.id} vanished after insert`);
        return view;
      });
      return signed;
    },

    async list(actor, ref) {
      return await withActor(db, actor, async (tx) =>
        listing(tx, await loadTarget(tx, actor, ref, 'exceptions.read')),
      );
    },

    async withdraw(actor, signOffId, reason, context) {
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user withdraws a sign-off.' });
      }
      return await withActor(db, actor, async (tx) => {
        const notFound = () =>
          new AppError('RESOURCE_NOT_FOUND', {
            detail: `No sign-off ${signOffId} is visible to you. List an item's sign-offs with GET /api/v1/sign-offs.`,
          });
        const row = await tx
          .selectFrom('sign_offs')
          .select(['id', 'target_type', 'target_id', 'entity_id'])
          .where('id', '=', signOffId)
          .executeTakeFirst();
        if (row === undefined) throw notFound();
        await access.authorize(
          tx,
          actor,
          'exceptions.review',
          { type: 'sign_off', id: row.id, entityId: row.entity_id },
          { context, notFound },
        );

        const withdrawn = await tx
          .updateTable('sign_offs')
          .set({ withdrawn_by: actor.userId, withdrawn_at: sql`now()`, withdrawal_reason: reason })
          .where('target_type', '=', row.target_type)
          .where('target_id', '=', row.target_id)
          .where('withdrawn_at', 'is', null)
          .returning('id')
          .execute();
        if (withdrawn.length === 0) {
          throw new AppError('CONFLICT', {
            detail: `Every sign-off of this ${row.target_type} is already withdrawn; there is nothing to withdraw.`,
          });
        }
        await appendAuditEvent(tx, {
          actor,
          action: 'signoff.withdrawn',
          outcome: 'success',
          target: { type: row.target_type, id: row.target_id },
          entityId: row.entity_id,
          ...(context ? { context } : {}),
          details: { signOffIds: withdrawn.map((item) => item.id), reason },
        });
        const target: ResolvedTarget = {
          type: row.target_type,
          id: row.target_id,
          entityId: row.entity_id,
          label: row.target_type,
        };
        return await listing(tx, target);
      });
    },
  };
}

/** A sign-off that covers an exception, so the exception is read-only. */
export interface CoveringSignOff {
  signOffId: string;
  targetType: 'run' | 'engagement';
  targetId: string;
}

/**
 * Find a sign-off that covers an exception: one on any run that flagged
 * it, or on an engagement above its entity, unless withdrawn. A later run
 * of the test does not lift an earlier run's sign-off; only a withdrawal
 * does.
 */
export async function findCoveringSignOff(
  tx: Tx,
  exception: { id: string; entity_id: string },
): Promise<CoveringSignOff | null> {
  const { rows } = await sql<{
    sign_off_id: string;
    target_type: 'run' | 'engagement';
    target_id: string;
  }>`
    SELECT sign_off_id, target_type, target_id
      FROM peytonix_sign_offs_covering(
        ${exception.entity_id},
        ARRAY(SELECT run_id FROM run_exceptions WHERE exception_id = ${exception.id}))`.execute(tx);
  const first = rows[0];
  if (first === undefined) return null;
  return { signOffId: first.sign_off_id, targetType: first.target_type, targetId: first.target_id };
}

/**
 * Reject a change to an exception that a sign-off covers. Comments and
 * retests are not changes to the signed content, so they skip this check.
 */
export async function assertNotSignedOff(
  tx: Tx,
  exception: { id: string; entity_id: string },
): Promise<void> {
  const covering = await findCoveringSignOff(tx, exception);
  if (covering === null) return;
  throw new AppError('SIGNED_OFF', {
    detail: `Exception ${exception.id} is part of a signed-off ${covering.targetType} (${covering.targetId}), so it is read-only. A reviewer must withdraw that sign-off (POST /api/v1/sign-offs/${covering.signOffId}/withdraw) before it can change.`,
    extensions: { ...covering },
  });
}
