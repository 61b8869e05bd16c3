import { AppError } from '../../platform/http/app-error.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { AccessTarget } from './access-control.ts';
import type { Role } from './permissions.ts';

/**
 * Separation-of-duties rules. Each has a stable code that is both the
 * error code on the wire and the reason code of the audited denial.
 */
export const SOD_RULES = {
  SOD_PREPARER_CANNOT_REVIEW: 'The preparer of an item cannot review or sign it off.',
  SOD_AUTHOR_CANNOT_APPROVE: 'The author of a change request cannot approve it.',
  SOD_OWN_GRANTS: 'No one changes their own role grants.',
  SOD_GRANT_BEYOND_OWN:
    'No one grants a role they do not hold themselves on that entity, or on an entity outside their own scope. The administrator role delegates every role in its subtree.',
  SOD_PRINCIPAL_CANNOT_APPROVE: 'AI and service principals can never approve anything.',
  SOD_PROPOSER_CANNOT_APPROVE:
    'Whoever proposed a disposition cannot approve, return or accept the risk of it.',
  SOD_RISK_APPROVER_DISTINCT:
    'The management approval of a risk acceptance needs someone other than the reviewer who approved it.',
} as const;

export type SodRule = keyof typeof SOD_RULES;

/**
 * The target a rule protects. Its entity is absent only when the check
 * runs before the target is loaded, as the human-approver check does,
 * because service principals cannot read any scoped row.
 */
export type SodTarget = Omit<AccessTarget, 'entityId'> & { entityId?: string | undefined };

export interface SodCheck {
  actor: Actor;
  target: SodTarget;
  context?: RequestContext | undefined;
}

export interface SeparationOfDuties {
  /** Refuse review or sign-off by the person who prepared the item. */
  assertNotPreparer(check: SodCheck, preparedBy: string | null): Promise<void>;
  /** Refuse approval by the author of the change. */
  assertNotAuthor(check: SodCheck, authorId: string): Promise<void>;
  /** Refuse a change to the actor's own grants. */
  assertNotOwnGrant(check: SodCheck, subjectUserId: string): Promise<void>;
  /**
   * Refuse granting a role the actor does not hold on that entity. The
   * administrator role counts as holding every role there, because
   * delegating roles is what it is for.
   */
  assertHoldsGrantedRole(check: SodCheck, role: Role, actorRoles: readonly Role[]): Promise<void>;
  /** Refuse approvals by anything but a user acting for themselves. */
  assertHumanApprover(check: SodCheck): Promise<void>;
  /** Refuse a decision on a disposition by the person who proposed it. */
  assertNotProposer(check: SodCheck, proposedBy: string | null): Promise<void>;
  /** Refuse the management approval of a risk acceptance by its reviewer. */
  assertNotRiskReviewer(check: SodCheck, reviewedBy: string | null): Promise<void>;
}

export function createSeparationOfDuties(deps: {
  securityEvents: SecurityEvents;
}): SeparationOfDuties {
  const refuse = async (rule: SodRule, check: SodCheck, detail: string): Promise<never> => {
    await deps.securityEvents.recordDenial({
      actor: check.actor,
      action: 'access.sod_violation',
      outcome: 'denied',
      reasonCode: rule,
      target: { type: check.target.type, id: check.target.id },
      ...(check.target.entityId !== undefined ? { entityId: check.target.entityId } : {}),
      ...(check.context ? { context: check.context } : {}),
      details: { rule },
    });
    throw new AppError(rule, { detail });
  };

  const actorUserId = (actor: Actor) => (actor.type === 'user' ? actor.userId : null);

  return {
    async assertNotPreparer(check, preparedBy) {
      if (preparedBy !== null && actorUserId(check.actor) === preparedBy) {
        await refuse(
          'SOD_PREPARER_CANNOT_REVIEW',
          check,
          `You prepared this ${check.target.type}, so someone else must review it. Ask another reviewer.`,
        );
      }
    },

    async assertNotAuthor(check, authorId) {
      const actorId = check.actor.type === 'ai' ? check.actor.onBehalfOf : actorUserId(check.actor);
      if (actorId === authorId) {
        await refuse(
          'SOD_AUTHOR_CANNOT_APPROVE',
          check,
          'You requested this change, so someone else must approve it. Ask another eligible approver.',
        );
      }
    },

    async assertNotOwnGrant(check, subjectUserId) {
      const actorId = check.actor.type === 'ai' ? check.actor.onBehalfOf : actorUserId(check.actor);
      if (actorId === subjectUserId) {
        await refuse(
          'SOD_OWN_GRANTS',
          check,
          'You cannot change your own role grants. Ask another administrator to request the change.',
        );
      }
    },

    async assertHoldsGrantedRole(check, role, actorRoles) {
      if (!actorRoles.includes(role) && !actorRoles.includes('administrator')) {
        await refuse(
          'SOD_GRANT_BEYOND_OWN',
          check,
          `You hold neither the role ${role} nor administrator on this entity, so you cannot grant it or approve granting it. Ask an administrator of the entity or someone who holds ${role} there.`,
        );
      }
    },

    async assertNotProposer(check, proposedBy) {
      if (proposedBy !== null && actorUserId(check.actor) === proposedBy) {
        await refuse(
          'SOD_PROPOSER_CANNOT_APPROVE',
          check,
          `You proposed this disposition, so someone else must decide on it. Ask another ${check.target.type === 'exception' ? 'reviewer' : 'approver'}.`,
        );
      }
    },

    async assertNotRiskReviewer(check, reviewedBy) {
      if (reviewedBy !== null && actorUserId(check.actor) === reviewedBy) {
        await refuse(
          'SOD_RISK_APPROVER_DISTINCT',
          check,
          'You approved this risk acceptance as reviewer, so another person with the management role must approve it.',
        );
      }
    },

    async assertHumanApprover(check) {
      if (check.actor.type !== 'user') {
        await refuse(
          'SOD_PRINCIPAL_CANNOT_APPROVE',
          check,
          `A ${check.actor.type} principal cannot approve or reject anything. A signed-in user must decide.`,
        );
      }
    },
  };
}
