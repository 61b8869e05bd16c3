import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { EvidenceSubjectType } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';

/** The reference the API takes to the item evidence supports: an id, or an engagement's entity code. */
export interface EvidenceSubjectRef {
  subjectType: EvidenceSubjectType;
  subject: string;
}

/** The loaded subject and the entity that scopes it. */
export interface EvidenceSubject {
  type: EvidenceSubjectType;
  id: string;
  entityId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function subjectNotFound(ref: EvidenceSubjectRef): AppError {
  const where =
    ref.subjectType === 'engagement'
      ? 'List entities with GET /api/v1/entities.'
      : `Check the ${ref.subjectType} id.`;
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No ${ref.subjectType} ${JSON.stringify(ref.subject)} is visible to you. ${where}`,
  });
}

/**
 * Load the subject through row-level security, so one outside the actor's
 * scope is null, like one that does not exist. Runs count only when they
 * are real runs, not previews, because a preview records nothing.
 */
export async function findEvidenceSubject(
  tx: Tx,
  ref: EvidenceSubjectRef,
): Promise<EvidenceSubject | null> {
  if (ref.subjectType === 'engagement') {
    const entity = await findEntityByCode(tx, ref.subject);
    if (entity === undefined) return null;
    if (entity.type !== 'engagement') {
      throw new AppError('BUSINESS_RULE_VIOLATED', {
        detail: `Entity ${entity.code} is a ${entity.type}; evidence can support an engagement, an exception, a run or a test.`,
      });
    }
    return { type: 'engagement', id: entity.id, entityId: entity.id };
  }

  if (!UUID.test(ref.subject)) return null;
  switch (ref.subjectType) {
    case 'exception': {
      const row = await tx
        .selectFrom('exceptions')
        .select(['id', 'entity_id'])
        .where('id', '=', ref.subject)
        .executeTakeFirst();
      return row === undefined ? null : { type: 'exception', id: row.id, entityId: row.entity_id };
    }
    case 'run': {
      const row = await tx
        .selectFrom('runs')
        .innerJoin('test_definitions as t', 't.id', 'runs.test_id')
        .select(['runs.id', 't.entity_id'])
        .where('runs.id', '=', ref.subject)
        .where('runs.preview', '=', false)
        .executeTakeFirst();
      return row === undefined ? null : { type: 'run', id: row.id, entityId: row.entity_id };
    }
    case 'test': {
      const row = await tx
        .selectFrom('test_definitions')
        .select(['id', 'entity_id'])
        .where('id', '=', ref.subject)
        .executeTakeFirst();
      return row === undefined ? null : { type: 'test', id: row.id, entityId: row.entity_id };
    }
  }
}

/**
 * Reject new evidence, or a new version, for a subject that a sign-off
 * covers: an exception of a signed run or below a signed engagement, a
 * signed run, or a signed engagement. Evidence is part of the signed
 * workpapers, so a reviewer withdraws the sign-off first. Tests have no
 * sign-offs.
 */
export async function assertSubjectNotSignedOff(tx: Tx, subject: EvidenceSubject): Promise<void> {
  if (subject.type === 'test') return;

  const runIds =
    subject.type === 'exception'
      ? sql`ARRAY(SELECT run_id FROM run_exceptions WHERE exception_id = ${subject.id})`
      : subject.type === 'run'
        ? sql`ARRAY[${subject.id}::uuid]`
        : sql`ARRAY[]::uuid[]`;
  const { rows } = await sql<{ sign_off_id: string; target_type: string; target_id: string }>`
    SELECT sign_off_id, target_type, target_id
      FROM peytonix_sign_offs_covering(${subject.entityId}, ${runIds})`.execute(tx);
  const covering = rows[0];
  if (covering === undefined) return;

  throw new AppError('SIGNED_OFF', {
    detail: `The ${subject.type} ${subject.id} is part of a signed-off ${covering.target_type} (${covering.target_id}), so no evidence can be added to it. A reviewer must withdraw that sign-off (POST /api/v1/sign-offs/${covering.sign_off_id}/withdraw) first.`,
    extensions: {
      signOffId: covering.sign_off_id,
      targetType: covering.target_type,
      targetId: covering.target_id,
    },
  });
}
