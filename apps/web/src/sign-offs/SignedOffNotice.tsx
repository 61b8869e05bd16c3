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
 * Explain that a sign-off on a run or an engagement covers the exception,
 * so only a reviewer's withdrawal makes it changeable again.
 */
export function SignedOffNotice({
  targetType,
  targetId,
}: {
  targetType: unknown;
  targetId: unknown;
}) {
  const link = useSignedItemLink(targetType, targetId);

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
        . Comments and retests stay open; new evidence waits for the withdrawal.
      </Text>
    </Alert>
  );
}

/**
 * Explain a 409 SIGNED_OFF from a workflow step, which happens when a
 * sign-off arrived after the page loaded. Renders nothing for any other error.
 */
export function SignedOffErrorNotice({ error }: { error: unknown }) {
  if (!isApiError(error) || error.code !== 'SIGNED_OFF') return null;
  return (
    <SignedOffNotice
      targetType={error.extensions.targetType}
      targetId={error.extensions.targetId}
    />
  );
}
