import {
  Alert,
  Anchor,
  Button,
  Group,
  Loader,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { justificationSchema, ROLE_NAMES } from '@peytonix/contracts';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { GrantRequestForm } from './GrantRequestForm.tsx';
import { type Grant, useGrants, useRequestRevocation } from './grants-api.ts';
import type { UserSummary } from './users-api.ts';

const PAGE_SIZE = 25;
const validateJustification = validateWith(justificationSchema);

function RevocationModal({
  grant,
  describe,
  onClose,
}: {
  grant: Grant | null;
  describe: (grant: Grant) => string;
  onClose: () => void;
}) {
  const revoke = useRequestRevocation();
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<string | null>(null);

  const close = () => {
    revoke.reset();
    setJustification('');
    setError(null);
    onClose();
  };
  const submit = () => {
    if (grant === null) return;
    const invalid = validateJustification(justification);
    setError(invalid);
    if (invalid === null) revoke.mutate({ grantId: grant.id, justification });
  };

  return (
    <Modal opened={grant !== null} onClose={close} title="Request a revocation">
      {grant !== null && (
        <Stack>
          <Text size="sm">
            Revoke {describe(grant)}. The grant ends only when another reviewer or administrator
            approves the change request.
          </Text>
          {revoke.isSuccess ? (
            <Alert color="blue" title="Revocation requested">
              It takes effect once someone else approves{' '}
              <Anchor
                component={Link}
                to={`/change-requests/${revoke.data.id}`}
                c="inherit"
                underline="always"
              >
                the change request
              </Anchor>
              .
            </Alert>
          ) : (
            <>
              <Textarea
                label="Justification"
                required
                autosize
                minRows={2}
                value={justification}
                error={error}
                onChange={(event) => setJustification(event.currentTarget.value)}
              />
              {revoke.isError && (
                <ErrorAlert error={revoke.error} title="The revocation could not be requested" />
              )}
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {revoke.isSuccess ? 'Close' : 'Cancel'}
            </Button>
            {!revoke.isSuccess && (
              <Button color="red" loading={revoke.isPending} onClick={submit}>
                Request revocation
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

/**
 * Lists role grants by entity, user and role, and offers grant and
 * revocation requests where the user has grants.request.
 */
export function GrantsPanel({ access, users }: { access: Access; users: readonly UserSummary[] }) {
  const account = useSignedInAccount();
  const readable = access.entitiesWith('grants.read');
  const mayRequest = access.entitiesWith('grants.request').length > 0;
  const [entityCode, setEntityCode] = useState('');
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState('');
  const [revoking, setRevoking] = useState<Grant | null>(null);
  const entityId = entityCode === '' ? '' : (access.entityByCode(entityCode)?.id ?? '');
  const grants = useGrants(entityId);
  const usersById = useMemo(() => new Map(users.map((user) => [user.id, user])), [users]);

  const filtered = useMemo(
    () =>
      (grants.data ?? []).filter(
        (grant) =>
          (userId === '' || grant.userId === userId) && (role === '' || grant.role === role),
      ),
    [grants.data, userId, role],
  );
  const pageOf = usePageOf(filtered, PAGE_SIZE);
  const userLabel = (id: string) => usersById.get(id)?.email ?? id;
  const entityLabel = (id: string) => access.entityById(id)?.code ?? id;
  const describe = (grant: Grant) =>
    `${grant.role} for ${userLabel(grant.userId)} on ${entityLabel(grant.entityId)}`;

  return (
    <Stack>
      {mayRequest && (
        <Stack gap="xs" component="section" aria-labelledby="grant-request-heading">
          <Title order={2} size="h3" id="grant-request-heading">
            Request a grant
          </Title>
          <GrantRequestForm access={access} users={users} />
        </Stack>
      )}
      <Title order={2} size="h3">
        Role grants
      </Title>
      <Group align="flex-end">
        <EntitySelect
          entities={readable}
          value={entityCode}
          onChange={setEntityCode}
          allLabel="All entities"
          description="Includes the entities below it"
        />
        <NativeSelect
          label="User"
          value={userId}
          onChange={(event) => setUserId(event.currentTarget.value)}
          data={[
            { value: '', label: 'Any user' },
            ...users.map((user) => ({ value: user.id, label: user.email })),
          ]}
        />
        <NativeSelect
          label="Role"
          value={role}
          onChange={(event) => setRole(event.currentTarget.value)}
          data={[{ value: '', label: 'Any role' }, ...ROLE_NAMES]}
        />
      </Group>
      {grants.isPending && <Loader aria-label="Loading role grants" />}
      {grants.isError && (
        <ErrorAlert error={grants.error} title="Role grants could not be loaded" />
      )}
      {grants.isSuccess &&
        (filtered.length === 0 ? (
          <Text>No role grant matches these filters.</Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={760}>
              <Table striped aria-label="Role grants">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>User</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Entity</Table.Th>
                    <Table.Th>Granted</Table.Th>
                    <Table.Th>Approved by</Table.Th>
                    {mayRequest && <Table.Th>Actions</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {pageOf.items.map((grant) => (
                    <Table.Tr key={grant.id} data-testid="grant-row">
                      <Table.Td>{userLabel(grant.userId)}</Table.Td>
                      <Table.Td>{grant.role}</Table.Td>
                      <Table.Td>{entityLabel(grant.entityId)}</Table.Td>
                      <Table.Td>
                        {formatDateTime(grant.createdAt)}
                        {grant.changeRequestId !== null && (
                          <>
                            {' '}
                            (
                            <Anchor
                              component={Link}
                              to={`/change-requests/${grant.changeRequestId}`}
                            >
                              request
                            </Anchor>
                            )
                          </>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {grant.grantedBy === null ? 'set up directly' : userLabel(grant.grantedBy)}
                      </Table.Td>
                      {mayRequest && (
                        <Table.Td>
                          {grant.userId === account.userId ? (
                            <Text size="xs" c="dimmed">
                              Your own grant
                            </Text>
                          ) : (
                            access.can('grants.request', grant.entityId) && (
                              <Button
                                size="xs"
                                variant="light"
                                color="red"
                                aria-label={`Request revocation of ${describe(grant)}`}
                                onClick={() => setRevoking(grant)}
                              >
                                Request revocation
                              </Button>
                            )
                          )}
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <ListPagination pageOf={pageOf} noun="grants" label="Pages of role grants" />
          </>
        ))}
      <RevocationModal grant={revoking} describe={describe} onClose={() => setRevoking(null)} />
    </Stack>
  );
}
