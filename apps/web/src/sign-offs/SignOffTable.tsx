import { Badge, Stack, Table, Text } from '@mantine/core';
import { formatDateTime } from '../shared/format.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { SIGNED_CONTENT } from './sign-off-actions.ts';
import type { SignOff, SignOffListing } from './sign-offs-api.ts';

const STATE_COLORS: Record<SignOff['state'], string> = {
  current: 'green',
  stale: 'orange',
  withdrawn: 'gray',
};

const LEVEL_LABELS: Record<SignOff['level'], string> = {
  preparer: 'Preparer',
  reviewer: 'Reviewer',
};

/** Show the state badge with what it means: why a sign-off is stale, or who withdrew it and why. */
function SignOffState({ signOff, listing }: { signOff: SignOff; listing: SignOffListing }) {
  const noun = SIGNED_CONTENT[listing.targetType];
  return (
    <Stack gap={4} align="flex-start">
      {/* The dot variant keeps the label in the body text color, which meets WCAG AA contrast. */}
      <Badge variant="dot" color={STATE_COLORS[signOff.state]} data-testid="sign-off-state">
        {signOff.state}
      </Badge>
      {signOff.state === 'stale' && (
        <Text size="xs">
          The {noun} changed after this sign-off, so their SHA-256 is no longer the signed one.
        </Text>
      )}
      {signOff.state === 'withdrawn' && (
        <Text size="xs">
          Withdrawn by {signOff.withdrawnBy ?? 'an unknown user'}
          {signOff.withdrawnAt === null ? '' : ` on ${formatDateTime(signOff.withdrawnAt)}`}:{' '}
          <UntrustedText text={signOff.withdrawalReason ?? ''} multiline />
        </Text>
      )}
    </Stack>
  );
}

/** List every sign-off of an item, newest first, with level, signer, time, signed hash and state. */
export function SignOffTable({ listing }: { listing: SignOffListing }) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table aria-label="Sign-offs" verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Level</Table.Th>
            <Table.Th>Signed by</Table.Th>
            <Table.Th>Signed</Table.Th>
            <Table.Th>Signed content (SHA-256)</Table.Th>
            <Table.Th>State</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {listing.signOffs.map((signOff) => (
            <Table.Tr
              key={signOff.id}
              data-testid="sign-off-row"
              data-level={signOff.level}
              data-state={signOff.state}
            >
              <Table.Td>{LEVEL_LABELS[signOff.level]}</Table.Td>
              <Table.Td>{signOff.signedBy}</Table.Td>
              <Table.Td>{formatDateTime(signOff.signedAt)}</Table.Td>
              <Table.Td>
                <code style={{ wordBreak: 'break-all' }}>{signOff.contentSha256}</code>
              </Table.Td>
              <Table.Td>
                <SignOffState signOff={signOff} listing={listing} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
