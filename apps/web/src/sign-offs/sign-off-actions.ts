import type { SignOff, SignOffLevel, SignOffListing, SignOffTargetType } from './sign-offs-api.ts';

/** The content that a sign-off of each target type covers, as a noun phrase. */
export const SIGNED_CONTENT: Record<SignOffTargetType, string> = {
  run: "run's results",
  engagement: "engagement's workpapers",
};

/** The signed-in user's permissions on the entity of the item. */
export interface SignOffPermissions {
  /** exceptions.investigate, which the preparer sign-off route requires. */
  investigate: boolean;
  /** exceptions.review, which the reviewer sign-off and withdrawal routes require. */
  review: boolean;
}

/** The sign-off actions that the panel offers to the signed-in user on one item. */
export interface SignOffActions {
  signAsPreparer: boolean;
  signAsReviewer: boolean;
  /** A sign-off that is not withdrawn, whose withdrawal withdraws all of the item's, or undefined to hide the step. */
  withdrawable: SignOff | undefined;
  /** The reason a user with the level's permission is not offered that level now, or null. */
  notes: Record<SignOffLevel, string | null>;
}

function sameEmail(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Return the newest sign-off of `level`, which comes first because the API lists sign-offs newest first. */
export function latestSignOff(listing: SignOffListing, level: SignOffLevel): SignOff | undefined {
  return listing.signOffs.find((signOff) => signOff.level === level);
}

function reviewerNote(listing: SignOffListing, email: string): string | null {
  const noun = SIGNED_CONTENT[listing.targetType];
  const reviewer = latestSignOff(listing, 'reviewer');
  if (reviewer?.state === 'current') {
    return `${reviewer.signedBy} signed the ${noun} as reviewer as they are now, so there is nothing to sign.`;
  }

  const preparer = latestSignOff(listing, 'preparer');
  if (preparer === undefined) {
    return `A reviewer signs after a preparer has signed the ${noun}.`;
  }
  if (preparer.state !== 'current') {
    return `A reviewer signs after a preparer signs the ${noun} as they are now. The latest preparer sign-off is ${preparer.state}.`;
  }
  if (sameEmail(preparer.signedBy, email)) {
    return `You signed the ${noun} as preparer, so someone else signs as reviewer (separation of duties).`;
  }
  return null;
}

function preparerNote(listing: SignOffListing): string | null {
  const preparer = latestSignOff(listing, 'preparer');
  if (preparer?.state !== 'current') return null;
  return `${preparer.signedBy} signed the ${SIGNED_CONTENT[listing.targetType]} as preparer as they are now, so there is nothing to sign.`;
}

/**
 * Decide which sign-off actions to offer, from the item's sign-offs, the
 * user's permissions and separation of duties, as the sign-off service
 * checks them. The server checks all of it again.
 *
 * NOTE: the server also keeps anyone who was assigned, or proposed for,
 * one of the item's exceptions from signing as reviewer. The listing does
 * not name them, so such a user is offered the step and the page shows
 * the server's 403 SOD_PREPARER_CANNOT_REVIEW.
 */
export function availableSignOffActions(
  listing: SignOffListing,
  email: string,
  permissions: SignOffPermissions,
): SignOffActions {
  const preparer = preparerNote(listing);
  const reviewer = reviewerNote(listing, email);

  return {
    signAsPreparer: permissions.investigate && preparer === null,
    signAsReviewer: permissions.review && reviewer === null,
    withdrawable: permissions.review
      ? listing.signOffs.find((signOff) => signOff.state !== 'withdrawn')
      : undefined,
    notes: {
      preparer: permissions.investigate ? preparer : null,
      reviewer: permissions.review ? reviewer : null,
    },
  };
}
