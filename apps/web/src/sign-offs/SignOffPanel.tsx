import { Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { SignOffControls } from './SignOffControls.tsx';
import { SignOffTable } from './SignOffTable.tsx';
import {
  availableSignOffActions,
  SIGNED_CONTENT,
  type SignOffPermissions,
} from './sign-off-actions.ts';
import { type SignOffTarget, useSignOffs } from './sign-offs-api.ts';

/**
 * Show the sign-offs of a run's results or an engagement's workpapers, each
 * with its state, and the sign and withdraw steps the user may take.
 */
export function SignOffPanel({
  target,
  permissions,
}: {
  target: SignOffTarget;
  permissions: SignOffPermissions;
}) {
  const account = useSignedInAccount();
  const listing = useSignOffs(target);
  const noun = SIGNED_CONTENT[target.targetType];

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="sign-offs-heading">
      <Stack gap="sm">
        <Title order={2} id="sign-offs-heading">
          Sign-offs
        </Title>
        <Text size="sm">
          A preparer signs the {noun}, then a different reviewer confirms. Each sign-off records the
          SHA-256 of the content it signed and turns stale when that content changes. While a
          sign-off is not withdrawn, the exceptions it covers are read-only.
        </Text>
        {listing.isPending && <Loader aria-label="Loading the sign-offs" />}
        {listing.isError && (
          <ErrorAlert error={listing.error} title="The sign-offs could not be loaded" />
        )}
        {listing.data !== undefined && (
          <>
            <Text size="sm">
              Content now (SHA-256):{' '}
              <code style={{ wordBreak: 'break-all' }} data-testid="current-sha256">
                {listing.data.currentSha256}
              </code>
            </Text>
            {listing.data.signOffs.length === 0 ? (
              <Text size="sm">No one has signed off the {noun} yet.</Text>
            ) : (
              <SignOffTable listing={listing.data} />
            )}
            <SignOffControls
              target={target}
              actions={availableSignOffActions(listing.data, account.email, permissions)}
            />
          </>
        )}
      </Stack>
    </Paper>
  );
}
