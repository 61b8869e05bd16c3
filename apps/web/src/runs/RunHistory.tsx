import {
  Anchor,
  Autocomplete,
  Badge,
  Button,
  Center,
  Checkbox,
  Group,
  Loader,
  NativeSelect,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { RUN_STATUS_COLORS, RUN_STATUS_LABELS, runName } from './run-format.ts';
import {
  historyFiltersFromSearchParams,
  RUN_STATUS_VALUES,
  searchParamsFromHistoryFilters,
} from './run-history-filters.ts';
import {
  listRunHistory,
  type RunHistoryFilters,
  type RunHistoryItem,
  type RunStatus,
  runKeys,
  useTests,
} from './runs-api.ts';

const PAGE_SIZE = 25;

const KIND_OPTIONS = [
  { value: '', label: 'All runs' },
  { value: 'false', label: 'Real runs only' },
  { value: 'true', label: 'Previews and re-performances only' },
];

function HistoryFilterForm({
  filters,
  access,
  onApply,
}: {
  filters: RunHistoryFilters;
  access: Access;
  onApply: (filters: RunHistoryFilters) => void;
}) {
  const tests = useTests();
  const [entity, setEntity] = useState(filters.entity ?? '');
  const [test, setTest] = useState(filters.test ?? '');
  const [statuses, setStatuses] = useState<string[]>(filters.status ?? []);
  const [kind, setKind] = useState(filters.preview === undefined ? '' : String(filters.preview));
  const testKeys = [...new Set((tests.data?.tests ?? []).map((item) => item.key))].sort();

  return (
    <form
      aria-label="Run filters"
      onSubmit={(event) => {
        event.preventDefault();
        onApply({
          entity: entity === '' ? undefined : entity,
          test: test.trim() === '' ? undefined : test.trim(),
          status: statuses.length === 0 ? undefined : (statuses as RunStatus[]),
          preview: kind === '' ? undefined : kind === 'true',
        });
      }}
    >
      <Stack gap="sm">
        <Group align="flex-end">
          <EntitySelect
            entities={access.entitiesWith('runs.read')}
            value={entity}
            onChange={setEntity}
            allLabel="All entities"
            description="Includes the entities below it"
          />
          <Autocomplete
            label="Test"
            description="A test's key"
            placeholder="All tests"
            data={testKeys}
            maxLength={100}
            value={test}
            onChange={setTest}
          />
          <NativeSelect
            label="Kind"
            description="Re-performances run as previews"
            data={KIND_OPTIONS}
            value={kind}
            onChange={(event) => setKind(event.currentTarget.value)}
          />
        </Group>
        <Checkbox.Group
          label="Status"
          description="None checked shows every status"
          value={statuses}
          onChange={setStatuses}
        >
          <Group gap="md" mt={6}>
            {RUN_STATUS_VALUES.map((status) => (
              <Checkbox key={status} value={status} label={RUN_STATUS_LABELS[status]} />
            ))}
          </Group>
        </Checkbox.Group>
        <Group>
          <Button type="submit" variant="default">
            Show runs
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function HistoryRow({ run }: { run: RunHistoryItem }) {
  return (
    <Table.Tr data-testid="history-row" data-run-id={run.runId}>
      <Table.Td>
        <Anchor component={Link} to={`/runs/${run.runId}`}>
          {runName(run)}
        </Anchor>
      </Table.Td>
      <Table.Td>{run.entityCode}</Table.Td>
      <Table.Td>
        <Badge
          variant="dot"
          color={RUN_STATUS_COLORS[run.status]}
          miw="max-content"
          data-testid="history-status"
        >
          {RUN_STATUS_LABELS[run.status]}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatDateTime(run.requestedAt)}</Text>
        <Text size="xs" c="dimmed">
          by {run.requestedBy} ({run.requestedVia})
        </Text>
      </Table.Td>
      <Table.Td>{run.finishedAt === null ? '—' : formatDateTime(run.finishedAt)}</Table.Td>
      <Table.Td>{run.exceptionCount ?? '—'}</Table.Td>
      <Table.Td>
        {run.resultHash === null ? (
          '—'
        ) : (
          <code title={run.resultHash}>{run.resultHash.slice(0, 12)}…</code>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * One filtered history, paged through the API's keyset cursor. The parent
 * re-creates it when the filters change, which starts at the first page.
 */
function HistoryResults({ filters }: { filters: RunHistoryFilters }) {
  // cursors[i] is the `after` value of page i, and the first page has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex];
  const page = useQuery({
    queryKey: runKeys.history(filters, PAGE_SIZE, after),
    queryFn: ({ signal }) => listRunHistory(filters, PAGE_SIZE, after, signal),
    placeholderData: keepPreviousData,
  });
  const items = page.data?.items ?? [];
  const next = page.data?.next ?? null;

  return (
    <Stack gap="sm">
      {page.isError && <ErrorAlert error={page.error} title="The runs could not be loaded" />}
      {page.isPending ? (
        <Center py="lg">
          <Loader aria-label="Loading runs" />
        </Center>
      ) : items.length === 0 ? (
        <Text size="sm">
          {pageIndex === 0 ? 'No run matches these filters.' : 'This page has no runs.'}
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table striped aria-labelledby="history-heading">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Run</Table.Th>
                <Table.Th>Entity</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Requested</Table.Th>
                <Table.Th>Finished</Table.Th>
                <Table.Th>Exceptions or rows</Table.Th>
                <Table.Th>Result hash</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((run) => (
                <HistoryRow key={run.runId} run={run} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Group gap="sm">
        <Button
          variant="default"
          disabled={pageIndex === 0 || page.isFetching}
          onClick={() => setCursors((previous) => previous.slice(0, -1))}
        >
          Newer runs
        </Button>
        <Button
          variant="default"
          disabled={next === null || page.isFetching}
          onClick={() => setCursors((previous) => [...previous, next ?? undefined])}
        >
          Older runs
        </Button>
        <Text size="sm" role="status">
          Page {pageIndex + 1}
          {items.length > 0 ? `, ${items.length} runs` : ''}
          {page.isFetching && !page.isPending ? ' (loading…)' : ''}
        </Text>
      </Group>
    </Stack>
  );
}

/** Lists the runs in the user's scope, newest first, filtered by entity, test, status and kind. */
export function RunHistory({ access }: { access: Access }) {
  const [searchParams, setSearchParams] = useSearchParams();
  const filters = historyFiltersFromSearchParams(searchParams);
  const filterKey = searchParamsFromHistoryFilters(filters).toString();
  return (
    <Stack component="section" aria-labelledby="history-heading" gap="md">
      <Title order={2} id="history-heading">
        Run history
      </Title>
      <HistoryFilterForm
        key={`form?${filterKey}`}
        filters={filters}
        access={access}
        onApply={(next) => setSearchParams(searchParamsFromHistoryFilters(next))}
      />
      <HistoryResults key={`results?${filterKey}`} filters={filters} />
    </Stack>
  );
}
