import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { findUserByEmail } from '../identity/users.repository.ts';
import type { AccessControl } from './access-control.ts';
import { rolesOnEntity, withActor } from './actor-scope.ts';
import { assertGrantable } from './grant-changes.ts';
import { insertGrant } from './grants.repository.ts';
import { type Role, rolesHolding } from './permissions.ts';
import type { SeparationOfDuties } from './separation-of-duties.ts';

export interface SoleApproverGrantInput {
  email: string;
  role: Role;
  entityCode: string;
  justification: string;
}

export interface SoleApproverGrant {
  grantId: string;
  userId: string;
  role: Role;
  entityId: string;
  entityCode: string;
}

/**
 * Return the emails of active users, other than `excluded`, who could
 * approve a change request granting `role` on `entityId`: they may decide
 * change requests there and hold `role` or administrator there.
 */
async function eligibleApprovers(
  tx: Tx,
  entityId: string,
  role: Role,
  excluded: readonly string[],
): Promise<string[]> {
  const deciders = rolesHolding('change_requests.decide');
  const granting = [...new Set<string>([role, 'administrator'])];
  const rows = await tx
    .selectFrom('users')
    .select('email')
    .where('status', '=', 'active')
    .where('id', 'not in', excluded)
    .where(sql<boolean>`peytonix_user_holds(users.id, ${entityId}, ${[...deciders]}::text[])`)
    .where(sql<boolean>`peytonix_user_holds(users.id, ${entityId}, ${granting}::text[])`)
    .orderBy('email')
    .execute();
  return rows.map((row) => row.email);
}

/**
 * Grant a role without a change request, for the one case a request could
 * never be approved, because no one but the requester could approve it. A fresh
 * organization with one administrator is that case, so its first grants
 * need this path. Every other separation-of-duties rule still applies, and
 * the grant is audited with its justification.
 */
export async function grantAsSoleApprover(
  deps: { db: Db; access: AccessControl; separationOfDuties: SeparationOfDuties },
  actor: Actor,
  input: SoleApproverGrantInput,
  context?: RequestContext,
): Promise<SoleApproverGrant> {
  if (actor.type !== 'user') {
    throw new AppError('FORBIDDEN', { detail: 'Only a signed-in user grants roles.' });
  }

  return await withActor(deps.db, actor, async (tx) => {
    // One such grant at a time: two at once would each find no other
    // approver and both apply, though the first makes an approver for the
    // second. Each statement after the lock reads the grants committed before it.
    await sql`SELECT pg_advisory_xact_lock(hashtext('peytonix.sole-approver-grant'))`.execute(tx);

    const entity = await findEntityByCode(tx, input.entityCode);
    const notFound = () =>
      new AppError('RESOURCE_NOT_FOUND', {
        detail: `No entity with code ${input.entityCode} is visible to you. List entities with peytonix entities list.`,
      });
    if (entity === undefined) throw notFound();
    const target = { type: 'entity', id: entity.id, entityId: entity.id };
    await deps.access.authorize(tx, actor, 'grants.request', target, { context, notFound });

    const subject = await findUserByEmail(tx, input.email);
    if (subject === undefined || subject.status !== 'active') {
      throw new AppError('RESOURCE_NOT_FOUND', {
        detail: `No active user has the email ${input.email}. Create the user first.`,
      });
    }
    const check = { actor, target, context };
    await deps.separationOfDuties.assertNotOwnGrant(check, subject.id);
    await assertGrantable(tx, { userId: subject.id, entityId: entity.id });
    await deps.separationOfDuties.assertHoldsGrantedRole(
      check,
      input.role,
      await rolesOnEntity(tx, entity.id),
    );

    const approvers = await eligibleApprovers(tx, entity.id, input.role, [
      actor.userId,
      subject.id,
    ]);
    if (approvers.length > 0) {
      throw new AppError('CONFLICT', {
        detail: `${approvers.slice(0, 3).join(', ')} can approve a request for this grant, so it needs a change request. Request it with POST /api/v1/grant-requests or in the web app's Administration screen.`,
      });
    }

    const existing = await tx
      .selectFrom('role_grants')
      .select('id')
      .where('user_id', '=', subject.id)
      .where('role', '=', input.role)
      .where('entity_id', '=', entity.id)
      .executeTakeFirst();
    if (existing !== undefined) {
      throw new AppError('CONFLICT', {
        detail: `${subject.email} already holds the role ${input.role} on ${entity.code}.`,
      });
    }

    const grant = await insertGrant(tx, {
      userId: subject.id,
      role: input.role,
      entityId: entity.id,
      grantedBy: actor.userId,
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'access.grant_created',
      outcome: 'success',
      target: { type: 'role_grant', id: grant.id },
      entityId: entity.id,
      ...(context ? { context } : {}),
      details: {
        userId: subject.id,
        role: input.role,
        soleApprover: true,
        justification: input.justification,
      },
    });
    return {
      grantId: grant.id,
      userId: subject.id,
      role: input.role,
      entityId: entity.id,
      entityCode: entity.code,
    };
  });
}
