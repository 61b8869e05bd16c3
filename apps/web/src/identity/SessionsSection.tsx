import {
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { accountKeys, useSessions } from './account-queries.ts';
import { revokeSession, type SessionSummary, signOutEverywhere } from './identity-api.ts';
import type { SignInState } from './sign-in-notice.ts';
import { useSignOut } from './use-sign-out.ts';

const METHOD_LABELS: Record<string, string> = {
  password: 'password',
  totp: 'authenticator app',
  passkey: 'passkey',
  recovery_code: 'recovery code',
};

function describeMethods(methods: readonly string[]): string {
  return methods.map((method) => METHOD_LABELS[method] ?? method).join(' + ');
}

function SessionRow({ session }: { session: SessionSummary }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => revokeSession(session.id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: accountKeys.sessions }),
  });

  return (
    <Table.Tr data-testid="session-row" data-current={session.current}>
      <Table.Td>
        <Text size="sm">{session.userAgent ?? 'Unknown browser'}</Text>
        {session.current && <Badge variant="light">This session</Badge>}
      </Table.Td>
      <Table.Td>{session.ipAddress ?? 'unknown'}</Table.Td>
      <Table.Td>
        {formatDateTime(session.createdAt)}
        <Text size="xs" c="dimmed">
          with {describeMethods(session.authMethods)}
        </Text>
      </Table.Td>
      <Table.Td>{formatDateTime(session.lastSeenAt)}</Table.Td>
      <Table.Td>{formatDateTime(session.expiresAt)}</Table.Td>
      <Table.Td>
        {!session.current && (
          <Button
            size="xs"
            variant="default"
            onClick={() => revoke.mutate()}
            loading={revoke.isPending}
            aria-label={`Sign out the session started ${formatDateTime(session.createdAt)}`}
          >
            Sign out
          </Button>
        )}
        {revoke.isError && <ErrorAlert error={revoke.error} title="Sign-out failed" />}
      </Table.Td>
    </Table.Tr>
  );
}

/** Lists the user's live sessions, and signs out of one of them, this one, or all. */
export function SessionsSection() {
  const sessions = useSessions();
  const signOut = useSignOut();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirmOpen, confirm] = useDisclosure(false);
  const everywhere = useMutation({
    mutationFn: signOutEverywhere,
    onSuccess: (revoked) => {
      queryClient.clear();
      const ended = revoked === 1 ? '1 session' : `${revoked} sessions`;
      const state: SignInState = { notice: `You signed out everywhere. ${ended} ended.` };
      navigate('/sign-in', { replace: true, state });
    },
  });

  return (
    <Stack component="section" aria-labelledby="sessions-heading">
      <Title order={2} id="sessions-heading">
        Sessions
      </Title>
      {sessions.isPending && <Loader aria-label="Loading sessions" />}
      {sessions.isError && (
        <ErrorAlert error={sessions.error} title="Sessions could not be loaded" />
      )}
      {sessions.isSuccess && (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-labelledby="sessions-heading">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Browser</Table.Th>
                <Table.Th>IP address</Table.Th>
                <Table.Th>Signed in</Table.Th>
                <Table.Th>Last active</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.map((session) => (
                <SessionRow key={session.id} session={session} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {signOut.isError && <ErrorAlert error={signOut.error} title="Sign-out failed" />}
      <Group>
        <Button variant="default" onClick={() => signOut.mutate()} loading={signOut.isPending}>
          Sign out
        </Button>
        <Button color="red" onClick={confirm.open}>
          Sign out everywhere
        </Button>
      </Group>
      <Modal opened={confirmOpen} onClose={confirm.close} title="Sign out everywhere?">
        <Stack>
          <Text size="sm">
            Every session of your account ends, this one included, on every device. You then sign in
            again here.
          </Text>
          {everywhere.isError && <ErrorAlert error={everywhere.error} title="Sign-out failed" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={confirm.close}>
              Cancel
            </Button>
            <Button color="red" onClick={() => everywhere.mutate()} loading={everywhere.isPending}>
              Sign out everywhere
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
