import {
  Anchor,
  Badge,
  Button,
  Group,
  Loader,
  NativeSelect,
  SegmentedControl,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { CHANGE_REQUEST_STATUSES } from '@peytonix/contracts';
import { useDeferredValue, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import {
  type ChangeRequestStatus,
  type ChangeRequestSummary,
  KIND_LABELS,
  kindLabel,
  MAX_LISTED_REQUESTS,
  STATUS_COLORS,
  useChangeRequests,
} from './change-requests-api.ts';
import { type PeopleById, useUserNames } from './user-names.ts';

const PAGE_SIZE = 20;

/** Set of requests the list shows, besides the status and kind filters. */
type Scope = 'decide' | 'mine' | 'all';

const SCOPE_OPTIONS: { value: Scope; label: string }[] = [
  { value: 'decide', label: 'Awaiting my decision' },
  { value: 'mine', label: 'My requests' },
  { value: 'all', label: 'All in scope' },
];

function isStatus(value: string | null): value is ChangeRequestStatus {
  return (CHANGE_REQUEST_STATUSES as readonly (string | null)[]).includes(value);
}

function RequestTable({
  requests,
  nameOf,
  access,
}: {
  requests: readonly ChangeRequestSummary[];
  nameOf: (userId: string) => string;
  access: Access;
}) {
  const pageOf = usePageOf(requests, PAGE_SIZE);
  return (
    <>
      <Table.ScrollContainer minWidth={800}>
        <Table striped aria-label="Change requests">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Request</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Entity</Table.Th>
              <Table.Th>Requested by</Table.Th>
              <Table.Th>Requested</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((request) => (
              <Table.Tr key={request.id} data-testid="change-request-row">
                <Table.Td>
                  <Anchor component={Link} to={`/change-requests/${request.id}`}>
                    {kindLabel(request.kind)}
                  </Anchor>
                  <Text size="xs" c="dimmed" lineClamp={2}>
                    {request.justification}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{request.targetType}</Text>
                  <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                    {request.targetKey}
                  </Text>
                </Table.Td>
                <Table.Td>{access.entityById(request.entityId)?.code ?? '—'}</Table.Td>
                <Table.Td>
                  {nameOf(request.requestedBy)}
                  {request.requestedByType === 'ai' && ' (drafted by AI)'}
                </Table.Td>
                <Table.Td>{formatDateTime(request.requestedAt)}</Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLORS[request.status]} variant="dot" miw="max-content">
                    {request.status}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="requests" label="Pages of change requests" />
    </>
  );
}

function ChangeRequestList({ access }: { access: Access }) {
  const account = useSignedInAccount();
  const [params, setParams] = useSearchParams();
  const mayDecide = access.entitiesWith('change_requests.decide').length > 0;

  const scopeParam = params.get('show');
  const scope: Scope =
    scopeParam === 'mine' || scopeParam === 'all' || scopeParam === 'decide'
      ? scopeParam
      : mayDecide
        ? 'decide'
        : 'mine';
  const statusParam = params.get('status');
  // The inbox defaults to pending requests, and "any" lists every status.
  const status: ChangeRequestStatus | undefined =
    statusParam === 'any' ? undefined : isStatus(statusParam) ? statusParam : 'pending';
  const kind = params.get('kind') ?? '';
  const text = params.get('q') ?? '';
  const deferredText = useDeferredValue(text.trim().toLowerCase());

  const setParam = (name: string, value: string) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value === '') next.delete(name);
        else next.set(name, value);
        return next;
      },
      { replace: true },
    );
  };

  const requests = useChangeRequests(status);
  const pages = requests.data?.pages;
  const loaded = useMemo(() => (pages ?? []).flatMap((page) => page.items), [pages]);
  const people = useMemo(
    () => Object.assign({}, ...(pages ?? []).map((page) => page.people)) as PeopleById,
    [pages],
  );
  const nameOf = useUserNames(access, account.userId, people);
  const filtered = useMemo(
    () =>
      loaded.filter((request) => {
        const own = request.requestedBy === account.userId;
        if (scope === 'mine' && !own) return false;
        if (
          scope === 'decide' &&
          (own ||
            request.status !== 'pending' ||
            !access.can('change_requests.decide', request.entityId))
        ) {
          return false;
        }
        if (kind !== '' && request.kind !== kind) return false;
        if (deferredText === '') return true;
        return [request.targetKey, request.targetType, request.justification, request.kind].some(
          (field) => field.toLowerCase().includes(deferredText),
        );
      }),
    [loaded, scope, kind, deferredText, access, account.userId],
  );

  return (
    <Stack>
      <Text>
        Role grants, entity moves, setting changes and test activations apply only when a second
        person approves them. The author of a request can never approve or reject it.
      </Text>
      <SegmentedControl
        aria-label="Requests to show"
        value={scope}
        onChange={(value) => setParam('show', value)}
        data={
          mayDecide ? SCOPE_OPTIONS : SCOPE_OPTIONS.filter((option) => option.value !== 'decide')
        }
      />
      <Group align="flex-end">
        <NativeSelect
          label="Status"
          value={status ?? 'any'}
          onChange={(event) => setParam('status', event.currentTarget.value)}
          data={[
            { value: 'any', label: 'Any status' },
            ...CHANGE_REQUEST_STATUSES.map((value) => ({ value, label: value })),
          ]}
        />
        <NativeSelect
          label="Kind"
          value={kind}
          onChange={(event) => setParam('kind', event.currentTarget.value)}
          data={[
            { value: '', label: 'Any kind' },
            ...Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label })),
          ]}
        />
        <TextInput
          label="Search"
          placeholder="Target or justification"
          value={text}
          onChange={(event) => setParam('q', event.currentTarget.value)}
        />
      </Group>
      {requests.isPending && <Loader aria-label="Loading change requests" />}
      {requests.isError && (
        <ErrorAlert error={requests.error} title="Change requests could not be loaded" />
      )}
      {requests.isSuccess && (
        <>
          {filtered.length === 0 ? (
            <Text>
              {scope === 'decide'
                ? 'No request awaits your decision.'
                : 'No change request matches these filters.'}
            </Text>
          ) : (
            <RequestTable requests={filtered} nameOf={nameOf} access={access} />
          )}
          {requests.hasNextPage && (
            <Group>
              <Text size="sm" c="dimmed">
                The newest {loaded.length} requests with this status are loaded, and the filters
                apply to them.
              </Text>
              <Button
                variant="default"
                size="xs"
                loading={requests.isFetchingNextPage}
                onClick={() => void requests.fetchNextPage()}
              >
                Load {MAX_LISTED_REQUESTS} older requests
              </Button>
            </Group>
          )}
        </>
      )}
    </Stack>
  );
}

/** Lists the change requests in scope and the user's own, with an inbox of those they may decide. */
export function ChangeRequestsPage() {
  return (
    <Page title="Change requests">
      <WithAccess>{(access) => <ChangeRequestList access={access} />}</WithAccess>
    </Page>
  );
}
