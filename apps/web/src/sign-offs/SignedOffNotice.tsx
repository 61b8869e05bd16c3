import { Alert, Anchor, Text } from '@mantine/core';
import { Link } from 'react-router';
import { isApiError } from '../api/api-error.ts';
import { useOwnAccess } from '../shared/own-access.ts';

/** Return the link to the signed item that a SIGNED_OFF problem names, or null when it names none. */
function useSignedItemLink(
  targetType: unknown,
  targetId: unknown,
): { to: string; label: string } | null {
  const { access } = useOwnAccess();
  if (typeof targetId !== 'string') return null;
  if (targetType === 'run')
    return { to: `/runs/${encodeURIComponent(targetId)}`, label: 'the run' };
  if (targetType !== 'engagement') return null;

  // The problem names the engagement by id, and its page is addressed by code.
  const engagement = access?.entities.find((entity) => entity.id === targetId);
  if (engagement === undefined) return null;
  return {
    to: `/entities/${encodeURIComponent(engagement.code)}`,
    label: `engagement ${engagement.code}`,
  };
}

/**
 * Explain a 409 SIGNED_OFF from a workflow step: the exception is part of a
 * signed-off run or engagement, and only a reviewer's withdrawal makes it
 * changeable again. Renders nothing for any other error.
 *
 * NOTE: GET /api/v1/exceptions/{id} does not say whether a sign-off covers
 * the exception, so the detail page still offers its steps and explains
 * the read-only state only after one fails with this 409.
 */
export function SignedOffNotice({ error }: { error: unknown }) {
  const signed = isApiError(error) && error.code === 'SIGNED_OFF';
  const link = useSignedItemLink(
    signed ? error.extensions.targetType : undefined,
    signed ? error.extensions.targetId : undefined,
  );
  if (!signed) return null;

  return (
    <Alert color="blue" title="Signed off: read-only" data-testid="signed-off-notice">
      <Text size="sm">
        A sign-off covers this exception, so no workflow step can change it. A reviewer must
        withdraw the sign-off, with a reason, on the page of{' '}
        {link === null ? (
          'the signed run or engagement'
        ) : (
          <Anchor component={Link} to={link.to}>
            {link.label}
          </Anchor>
        )}
        . Comments stay open.
      </Text>
    </Alert>
  );
}
