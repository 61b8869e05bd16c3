import { describe, expect, it } from 'vitest';
import { availableSignOffActions, latestSignOff } from '../../src/sign-offs/sign-off-actions.ts';
import type { SignOff, SignOffListing } from '../../src/sign-offs/sign-offs-api.ts';

const RUN_ID = '00000000-0000-4000-8000-000000000001';
const BOTH = { investigate: true, review: true };

let nextId = 0;

/** Build a sign-off of the run by `signedBy`, signed at minute `minute`. */
function signOff(
  level: SignOff['level'],
  signedBy: string,
  state: SignOff['state'],
  minute: number,
): SignOff {
  nextId += 1;
  const withdrawn = state === 'withdrawn';
  return {
    id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    targetType: 'run',
    targetId: RUN_ID,
    level,
    signedBy,
    signedAt: `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`,
    contentSha256: 'a'.repeat(64),
    state,
    withdrawnBy: withdrawn ? 'rita@x.test' : null,
    withdrawnAt: withdrawn ? '2026-01-02T00:00:00.000Z' : null,
    withdrawalReason: withdrawn ? 'Rework' : null,
  };
}

/** A run's listing with `signOffs`, which must be newest first as the API lists them. */
function listing(...signOffs: SignOff[]): SignOffListing {
  return { targetType: 'run', targetId: RUN_ID, currentSha256: 'a'.repeat(64), signOffs };
}

describe('latestSignOff', () => {
  it('picks the newest of the level', () => {
    const newer = signOff('preparer', 'pia@x.test', 'current', 3);
    const older = signOff('preparer', 'pat@x.test', 'withdrawn', 1);
    const reviewer = signOff('reviewer', 'rita@x.test', 'withdrawn', 2);
    const items = listing(newer, reviewer, older);
    expect(latestSignOff(items, 'preparer')).toBe(newer);
    expect(latestSignOff(items, 'reviewer')).toBe(reviewer);
  });

  it('returns undefined without one', () => {
    expect(latestSignOff(listing(), 'reviewer')).toBeUndefined();
  });
});

describe('availableSignOffActions', () => {
  it('offers a preparer sign-off on an unsigned item', () => {
    const actions = availableSignOffActions(listing(), 'pia@x.test', BOTH);
    expect(actions.signAsPreparer).toBe(true);
    expect(actions.signAsReviewer).toBe(false);
    expect(actions.withdrawable).toBeUndefined();
    expect(actions.notes.preparer).toBeNull();
    expect(actions.notes.reviewer).toBe(
      "A reviewer signs after a preparer has signed the run's results.",
    );
  });

  it('hides the reviewer step from the preparer', () => {
    const preparer = signOff('preparer', 'Pia@X.test', 'current', 1);
    const actions = availableSignOffActions(listing(preparer), 'pia@x.test', BOTH);
    expect(actions.signAsReviewer).toBe(false);
    expect(actions.notes.reviewer).toBe(
      "You signed the run's results as preparer, so someone else signs as reviewer (separation of duties).",
    );
    expect(actions.signAsPreparer).toBe(false);
    expect(actions.withdrawable).toBe(preparer);
  });

  it('offers the reviewer step to someone else', () => {
    const preparer = signOff('preparer', 'pia@x.test', 'current', 1);
    const actions = availableSignOffActions(listing(preparer), 'rita@x.test', BOTH);
    expect(actions.signAsReviewer).toBe(true);
    expect(actions.notes.reviewer).toBeNull();
  });

  it('offers nothing to sign once both are current', () => {
    const reviewer = signOff('reviewer', 'rita@x.test', 'current', 2);
    const preparer = signOff('preparer', 'pia@x.test', 'current', 1);
    const actions = availableSignOffActions(listing(reviewer, preparer), 'ron@x.test', BOTH);
    expect(actions.signAsPreparer).toBe(false);
    expect(actions.signAsReviewer).toBe(false);
    expect(actions.notes.reviewer).toBe(
      "rita@x.test signed the run's results as reviewer as they are now, so there is nothing to sign.",
    );
    expect(actions.withdrawable).toBe(reviewer);
  });

  it('lets a preparer sign a stale item again', () => {
    const reviewer = signOff('reviewer', 'rita@x.test', 'stale', 2);
    const preparer = signOff('preparer', 'pia@x.test', 'stale', 1);
    const actions = availableSignOffActions(listing(reviewer, preparer), 'pia@x.test', BOTH);
    expect(actions.signAsPreparer).toBe(true);
    expect(actions.signAsReviewer).toBe(false);
    expect(actions.notes.reviewer).toBe(
      "A reviewer signs after a preparer signs the run's results as they are now. The latest preparer sign-off is stale.",
    );
    // Stale sign-offs still make the exceptions read-only, so they can be withdrawn.
    expect(actions.withdrawable).toBe(reviewer);
  });

  it('offers no withdrawal when all are withdrawn', () => {
    const items = listing(
      signOff('reviewer', 'rita@x.test', 'withdrawn', 2),
      signOff('preparer', 'pia@x.test', 'withdrawn', 1),
    );
    const actions = availableSignOffActions(items, 'rita@x.test', BOTH);
    expect(actions.withdrawable).toBeUndefined();
    expect(actions.signAsPreparer).toBe(true);
    expect(actions.notes.reviewer).toBe(
      "A reviewer signs after a preparer signs the run's results as they are now. The latest preparer sign-off is withdrawn.",
    );
  });

  it('follows the permissions', () => {
    const preparer = signOff('preparer', 'pia@x.test', 'current', 1);
    const readOnly = availableSignOffActions(listing(preparer), 'rob@x.test', {
      investigate: false,
      review: false,
    });
    expect(readOnly).toEqual({
      signAsPreparer: false,
      signAsReviewer: false,
      withdrawable: undefined,
      notes: { preparer: null, reviewer: null },
    });

    const preparerOnly = availableSignOffActions(listing(), 'pat@x.test', {
      investigate: true,
      review: false,
    });
    expect(preparerOnly.signAsPreparer).toBe(true);
    expect(preparerOnly.notes.reviewer).toBeNull();

    const reviewerOnly = availableSignOffActions(listing(preparer), 'rita@x.test', {
      investigate: false,
      review: true,
    });
    expect(reviewerOnly.signAsPreparer).toBe(false);
    expect(reviewerOnly.notes.preparer).toBeNull();
    expect(reviewerOnly.signAsReviewer).toBe(true);
    expect(reviewerOnly.withdrawable).toBe(preparer);
  });

  it('names engagement workpapers', () => {
    const engagement: SignOffListing = { ...listing(), targetType: 'engagement' };
    expect(availableSignOffActions(engagement, 'rita@x.test', BOTH).notes.reviewer).toBe(
      "A reviewer signs after a preparer has signed the engagement's workpapers.",
    );
  });
});
