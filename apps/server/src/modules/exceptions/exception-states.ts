import type { ExceptionStatus } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';

/** The steps a person takes on an exception. Runs reopen and close exceptions themselves. */
export type WorkflowStep =
  | 'assign'
  | 'propose'
  | 'approve'
  | 'return'
  | 'accept_risk'
  | 'decline_risk';

/** The columns of an exception that decide which steps it allows. */
export interface WorkflowState {
  id: string;
  status: ExceptionStatus;
  disposition: string | null;
  reviewed_by: string | null;
}

const STEP_NAMES: Record<WorkflowStep, string> = {
  assign: 'assigned',
  propose: 'given a proposed disposition',
  approve: 'approved',
  return: 'returned',
  accept_risk: 'accepted as a risk',
  decline_risk: 'declined as a risk',
};

/** True when a reviewer approved a risk acceptance that now waits for management. */
export function awaitsRiskAcceptance(state: WorkflowState): boolean {
  return (
    state.status === 'proposed' &&
    state.disposition === 'risk_accepted' &&
    state.reviewed_by !== null
  );
}

/** Return why a step does not apply to the exception's state, or null when it does. */
function stateProblem(step: WorkflowStep, state: WorkflowState): string | null {
  switch (step) {
    case 'assign':
      return state.status === 'open' || state.status === 'in_progress'
        ? null
        : 'only an open or in-progress exception can be assigned; a proposal must first be approved or returned';
    case 'propose':
      return state.status === 'in_progress'
        ? null
        : 'only an in-progress exception can get a proposal; assign it to a preparer first';
    case 'approve':
    case 'return':
      if (state.status !== 'proposed') return 'it has no proposal to decide';
      return awaitsRiskAcceptance(state)
        ? 'a reviewer has approved it, and its risk acceptance now waits for management'
        : null;
    case 'accept_risk':
    case 'decline_risk':
      return awaitsRiskAcceptance(state)
        ? null
        : 'only a risk acceptance that a reviewer has approved waits for management';
  }
}

/**
 * Reject a step that the exception's state does not allow, with 409 and
 * the exception's status, so the caller can reload it.
 */
export function assertStepAllowed(step: WorkflowStep, state: WorkflowState): void {
  const problem = stateProblem(step, state);
  if (problem === null) return;
  throw new AppError('CONFLICT', {
    detail: `Exception ${state.id} is ${state.status} and cannot be ${STEP_NAMES[step]}: ${problem}.`,
    extensions: { exceptionStatus: state.status },
  });
}

/** Reject a stale revision: someone changed the exception since the caller read it. */
export function assertRevision(
  state: { id: string; revision: number },
  expected: number | undefined,
): void {
  if (expected === undefined || expected === state.revision) return;
  throw new AppError('CONFLICT', {
    detail: `Exception ${state.id} is at revision ${state.revision}, not ${expected}: someone changed it since you read it. Reload it and try again.`,
    extensions: { revision: state.revision },
  });
}
