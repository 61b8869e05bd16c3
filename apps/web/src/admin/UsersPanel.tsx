import {
  Alert,
  Badge,
  Button,
  Group,
  Loader,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDeferredValue, useMemo, useState } from 'react';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { CreateUserForm } from './CreateUserForm.tsx';
import { type UserAction, type UserSummary, useUserAction, useUsers } from './users-api.ts';

const PAGE_SIZE = 25;

const STATUS_COLORS = { active: 'green', suspended: 'orange', deprovisioned: 'gray' } as const;

const ACTION_TEXT: Record<UserAction, { label: string; confirm: string; done: string }> = {
  suspend: {
    label: 'Suspend',
    confirm: 'Suspending ends their sessions at once, and they cannot sign in until reactivated.',
    done: 'suspended',
  },
  reactivate: {
    label: 'Reactivate',
    confirm: 'They can sign in again with their password and second factor.',
    done: 'reactivated',
  },
  'revoke-sessions': {
    label: 'Revoke sessions',
    confirm: 'Every session ends; they can sign in again at once.',
    done: 'signed out everywhere',
  },
  deprovision: {
    label: 'Deprovision',
    confirm:
      'Deprovisioning is final: their sessions and API tokens end and the account can never be reactivated.',
    done: 'deprovisioned',
  },
};

function sessionCount(count: number): string {
  return count === 1 ? '1 session' : `${count} sessions`;
}

/** Return the actions the API allows on a user in `status`. */
function actionsFor(status: UserSummary['status']): UserAction[] {
  if (status === 'active') return ['suspend', 'revoke-sessions', 'deprovision'];
  if (status === 'suspended') return ['reactivate', 'deprovision'];
  return [];
}

function UserTable({
  users,
  canManage,
  onAction,
}: {
  users: readonly UserSummary[];
  canManage: boolean;
  onAction: (user: UserSummary, action: UserAction) => void;
}) {
  const account = useSignedInAccount();
  const pageOf = usePageOf(users, PAGE_SIZE);
  return (
    <>
      <Table.ScrollContainer minWidth={760}>
        <Table striped aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Email</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Last sign-in</Table.Th>
              {canManage && <Table.Th>Actions</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((user) => (
              <Table.Tr key={user.id} data-testid="user-row">
                <Table.Td>{user.displayName}</Table.Td>
                <Table.Td>{user.email}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLORS[user.status]} variant="dot" miw="max-content">
                    {user.status}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {user.lastLoginAt === null ? 'never' : formatDateTime(user.lastLoginAt)}
                </Table.Td>
                {canManage && (
                  <Table.Td>
                    {user.id === account.userId ? (
                      <Text size="xs" c="dimmed">
                        Another administrator manages your account.
                      </Text>
                    ) : (
                      <Group gap="xs">
                        {actionsFor(user.status).map((action) => (
                          <Button
                            key={action}
                            size="xs"
                            variant="light"
                            {...(action === 'deprovision' ? { color: 'red' } : {})}
                            onClick={() => onAction(user, action)}
                            aria-label={`${ACTION_TEXT[action].label} ${user.email}`}
                          >
                            {ACTION_TEXT[action].label}
                          </Button>
                        ))}
                      </Group>
                    )}
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="users" label="Pages of users" />
    </>
  );
}

/** Lists users with filters, and offers creation and status changes to holders of users.manage. */
export function UsersPanel({ canManage }: { canManage: boolean }) {
  const users = useUsers();
  const userAction = useUserAction();
  const [text, setText] = useState('');
  const [status, setStatus] = useState('');
  const [pending, setPending] = useState<{ user: UserSummary; action: UserAction } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const deferredText = useDeferredValue(text.trim().toLowerCase());

  const filtered = useMemo(
    () =>
      (users.data ?? []).filter(
        (user) =>
          (status === '' || user.status === status) &&
          (deferredText === '' ||
            user.email.toLowerCase().includes(deferredText) ||
            user.displayName.toLowerCase().includes(deferredText)),
      ),
    [users.data, status, deferredText],
  );

  const confirm = () => {
    if (pending === null) return;
    const { user, action } = pending;
    userAction.mutate(
      { userId: user.id, action },
      {
        onSuccess: (revoked) => {
          setPending(null);
          setDone(
            action === 'revoke-sessions'
              ? `${user.email} was signed out everywhere (${sessionCount(revoked ?? 0)} ended).`
              : `${user.email} was ${ACTION_TEXT[action].done}.`,
          );
        },
      },
    );
  };

  return (
    <Stack>
      {canManage && (
        <Stack gap="xs" component="section" aria-labelledby="create-user-heading">
          <Title order={2} size="h3" id="create-user-heading">
            Create a user
          </Title>
          <CreateUserForm />
        </Stack>
      )}
      <Title order={2} size="h3">
        Users
      </Title>
      <Group align="flex-end">
        <TextInput
          label="Search"
          placeholder="Name or email"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
        />
        <NativeSelect
          label="Status"
          value={status}
          onChange={(event) => setStatus(event.currentTarget.value)}
          data={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'active' },
            { value: 'suspended', label: 'suspended' },
            { value: 'deprovisioned', label: 'deprovisioned' },
          ]}
        />
      </Group>
      {done !== null && (
        <Alert color="blue" title="Done" withCloseButton onClose={() => setDone(null)}>
          {done}
        </Alert>
      )}
      {users.isPending && <Loader aria-label="Loading users" />}
      {users.isError && <ErrorAlert error={users.error} title="Users could not be loaded" />}
      {users.isSuccess &&
        (filtered.length === 0 ? (
          <Text>No user matches these filters.</Text>
        ) : (
          <UserTable
            users={filtered}
            canManage={canManage}
            onAction={(user, action) => {
              userAction.reset();
              setPending({ user, action });
            }}
          />
        ))}
      <Modal
        opened={pending !== null}
        onClose={() => setPending(null)}
        title={
          pending === null ? '' : `${ACTION_TEXT[pending.action].label} ${pending.user.email}?`
        }
      >
        {pending !== null && (
          <Stack>
            <Text size="sm">{ACTION_TEXT[pending.action].confirm}</Text>
            {userAction.isError && (
              <ErrorAlert
                error={userAction.error}
                title={`${ACTION_TEXT[pending.action].label} failed`}
              />
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setPending(null)}>
                Cancel
              </Button>
              <Button
                {...(pending.action === 'deprovision' ? { color: 'red' } : {})}
                loading={userAction.isPending}
                onClick={confirm}
              >
                {ACTION_TEXT[pending.action].label}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
