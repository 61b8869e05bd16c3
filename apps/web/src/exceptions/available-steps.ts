import type { AccessCheck } from '../shared/own-access.ts';
import type { ExceptionDetail } from './exceptions-api.ts';

/** The workflow steps that the detail page offers to the signed-in user on one exception. */
export interface AvailableSteps {
  assign: boolean;
  /** Whether "assign to me" fits: only a user who may investigate can be the assignee. */
  assignToSelf: boolean;
  propose: boolean;
  /** Approve or return a proposal, as a reviewer. */
  review: boolean;
  /** Accept or decline a risk acceptance that a reviewer approved, as management. */
  decideRisk: boolean;
  retest: boolean;
  comment: boolean;
}

function sameEmail(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

/**
 * Return true when `email` has prepared the exception: is its assignee, or
 * was assigned it or proposed a disposition for it at any time. The server's
 * rule SOD_PREPARER_CANNOT_REVIEW keeps such a user from deciding on it.
 */
export function hasPrepared(exception: ExceptionDetail, email: string): boolean {
  if (sameEmail(exception.assignee, email) || sameEmail(exception.proposedBy, email)) return true;
  return exception.history.some(
    (event) =>
      (event.action === 'assigned' && sameEmail(event.assignee, email)) ||
      (event.action === 'proposed' && sameEmail(event.actor, email)),
  );
}

/** True when a reviewer approved a risk acceptance that now waits for management. */
export function awaitsRiskAcceptance(exception: ExceptionDetail): boolean {
  return (
    exception.status === 'proposed' &&
    exception.disposition === 'risk_accepted' &&
    exception.reviewedBy !== null
  );
}

/**
 * Decide which steps to offer, from the exception's state, the user's
 * permissions on its entity and the separation-of-duties rules, as
 * docs/exception-workflow.md states them. The server checks all of it
 * again, so a step offered here can still be refused.
 */
export function availableSteps(
  exception: ExceptionDetail,
  email: string,
  access: AccessCheck,
): AvailableSteps {
  const entity = exception.entityCode;
  const may = (permission: string) => access.can(permission, entity);
  const { status } = exception;
  const prepared = hasPrepared(exception, email);
  const proposer = sameEmail(exception.proposedBy, email);
  const waitsForManagement = awaitsRiskAcceptance(exception);
  // A sign-off makes every workflow step a 409 SIGNED_OFF, but retests and comments stay open.
  const changeable = exception.signedOff === null;

  return {
    assign:
      changeable && may('exceptions.assign') && (status === 'open' || status === 'in_progress'),
    assignToSelf:
      changeable &&
      may('exceptions.assign') &&
      may('exceptions.investigate') &&
      (status === 'open' || status === 'in_progress') &&
      !sameEmail(exception.assignee, email),
    propose:
      changeable &&
      may('exceptions.investigate') &&
      status === 'in_progress' &&
      sameEmail(exception.assignee, email),
    review:
      changeable &&
      may('exceptions.review') &&
      status === 'proposed' &&
      !waitsForManagement &&
      !proposer &&
      !prepared,
    decideRisk:
      changeable &&
      may('risk.accept') &&
      waitsForManagement &&
      !proposer &&
      !prepared &&
      !sameEmail(exception.reviewedBy, email),
    retest:
      may('exceptions.investigate') &&
      (status !== 'closed' || exception.disposition === 'remediated'),
    comment: may('exceptions.investigate'),
  };
}
