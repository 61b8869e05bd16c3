import { describe, expect, it } from 'vitest';
import { availableSteps } from '../../src/exceptions/available-steps.ts';
import type { ExceptionDetail } from '../../src/exceptions/exceptions-api.ts';
import type { AccessCheck } from '../../src/shared/own-access.ts';

const RUN = '00000000-0000-4000-8000-000000000001';
const PIA = 'pia@example.com';
const ROB = 'rob@example.com';

function exception(overrides: Partial<ExceptionDetail>): ExceptionDetail {
  return {
    id: '00000000-0000-4000-8000-000000000002',
    testKey: 'duplicate-payments-exact',
    entityCode: 'AP',
    status: 'open',
    severity: 'high',
    dueOn: null,
    overdue: false,
    ageDays: 0,
    assignee: null,
    disposition: null,
    keyValues: ['V100'],
    firstRunId: RUN,
    lastRunId: RUN,
    revision: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    testId: '00000000-0000-4000-8000-000000000003',
    payload: {},
    rationale: null,
    duplicateOf: null,
    proposedBy: null,
    proposedAt: null,
    reviewedBy: null,
    reviewedAt: null,
    riskAcceptedBy: null,
    riskAcceptedAt: null,
    closedAt: null,
    closedRunId: null,
    closedReason: null,
    reopenedRunId: null,
    signedOff: null,
    history: [],
    comments: [],
    retests: [],
    ...overrides,
  };
}

/** Access that gives every permission on every entity. */
const everything: AccessCheck = {
  entities: [],
  can: () => true,
  subtreeOf: (entityCode) => new Set([entityCode]),
};
const SIGNED = {
  signOffId: '00000000-0000-4000-8000-000000000004',
  targetType: 'run' as const,
  targetId: RUN,
};

describe('availableSteps', () => {
  it('offers assignment on an open exception', () => {
    const steps = availableSteps(exception({}), PIA, everything);

    expect(steps.assign).toBe(true);
    expect(steps.assignToSelf).toBe(true);
  });

  it('offers no change under a sign-off', () => {
    const steps = availableSteps(exception({ signedOff: SIGNED }), PIA, everything);

    expect(steps.assign).toBe(false);
    expect(steps.assignToSelf).toBe(false);
    expect(steps.propose).toBe(false);
    expect(steps.review).toBe(false);
    expect(steps.decideRisk).toBe(false);
  });

  it('keeps retests and comments under a sign-off', () => {
    const steps = availableSteps(exception({ signedOff: SIGNED }), PIA, everything);

    expect(steps.retest).toBe(true);
    expect(steps.comment).toBe(true);
  });

  it('hides review from the proposer', () => {
    const proposed = exception({
      status: 'proposed',
      assignee: PIA,
      proposedBy: PIA,
      disposition: 'false_positive',
    });

    expect(availableSteps(proposed, PIA, everything).review).toBe(false);
    expect(availableSteps(proposed, ROB, everything).review).toBe(true);
  });
});
