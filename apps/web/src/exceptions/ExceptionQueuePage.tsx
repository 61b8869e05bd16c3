import { Button, Center, Group, Loader, NativeSelect, Stack, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { type AccessCheck, useOwnAccess } from '../shared/own-access.ts';
import { Page } from '../shared/Page.tsx';
import { BulkActions, canActInBulk } from './BulkActions.tsx';
import { ExceptionTable } from './ExceptionTable.tsx';
import { ExportButtons } from './ExportButtons.tsx';
import {
  type ExceptionFilters,
  type ExportTarget,
  exceptionKeys,
  listExceptions,
  listTests,
} from './exceptions-api.ts';
import { QueueFilterForm } from './QueueFilterForm.tsx';
import {
  filtersFromSearchParams,
  type QueueFilters,
  searchParamsFromFilters,
} from './queue-search-params.ts';

const PAGE_SIZES = ['25', '50', '100', '250'] as const;

function exportTargetOf(filters: ExceptionFilters): ExportTarget | undefined {
  // A run is narrower than its test, so a queue filtered by both exports the run.
  if (filters.run !== undefined) return { kind: 'run', runId: filters.run };
  if (filters.test !== undefined) {
    return { kind: 'test', entityCode: filters.entity, testKey: filters.test };
  }
  return undefined;
}

/**
 * Show one filtered queue: its pages through the API's keyset cursor, and the
 * selection for bulk steps. The page re-creates it when the filters change,
 * which starts again at the first page with nothing selected.
 */
function QueueResults({ filters, access }: { filters: ExceptionFilters; access: AccessCheck }) {
  const account = useSignedInAccount();
  const [pageSize, setPageSize] = useState<(typeof PAGE_SIZES)[number]>('50');
  // cursors[i] is the `after` value of page i, and the first page has none.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const pageIndex = cursors.length - 1;
  const after = cursors[pageIndex];
  const limit = Number(pageSize);

  const page = useQuery({
    queryKey: exceptionKeys.list(filters, limit, after),
    queryFn: ({ signal }) => listExceptions(filters, limit, after, signal),
    placeholderData: keepPreviousData,
  });

  const items = page.data?.items ?? [];
  const selectedItems = items.filter((item) => selected.has(item.id));
  const selectable = canActInBulk(items, access);
  const next = page.data?.next ?? null;

  return (
    <Stack gap="md">
      <ExportButtons target={exportTargetOf(filters)} />
      {selectable && (
        <BulkActions
          selected={selectedItems}
          email={account.email}
          access={access}
          onDone={() => setSelected(new Set())}
        />
      )}
      {page.isError && <ErrorAlert error={page.error} title="The exceptions could not be loaded" />}
      {page.isPending ? (
        <Center py="xl">
          <Loader aria-label="Loading exceptions" />
        </Center>
      ) : items.length === 0 ? (
        <Text>No exception matches these filters.</Text>
      ) : (
        <ExceptionTable
          items={items}
          selectable={selectable}
          selected={selected}
          onSelectedChange={setSelected}
        />
      )}
      <Group justify="space-between">
        <Group gap="sm">
          <Button
            variant="default"
            disabled={pageIndex === 0 || page.isFetching}
            onClick={() => {
              setSelected(new Set());
              setCursors((previous) => previous.slice(0, -1));
            }}
          >
            Previous page
          </Button>
          <Button
            variant="default"
            disabled={next === null || page.isFetching}
            onClick={() => {
              setSelected(new Set());
              setCursors((previous) => [...previous, next ?? undefined]);
            }}
          >
            Next page
          </Button>
          <Text size="sm" role="status">
            Page {pageIndex + 1}
            {items.length > 0 ? `, ${items.length} exceptions` : ''}
            {page.isFetching && !page.isPending ? ' (loading…)' : ''}
          </Text>
        </Group>
        <NativeSelect
          label="Per page"
          data={[...PAGE_SIZES]}
          value={pageSize}
          onChange={(event) => {
            const size = PAGE_SIZES.find((value) => value === event.currentTarget.value);
            if (size === undefined) return;
            setPageSize(size);
            setCursors([undefined]);
            setSelected(new Set());
          }}
        />
      </Group>
    </Stack>
  );
}

/** Show the exception queue with its filters, pages, bulk assign and propose, and exports (/exceptions). */
export function ExceptionQueuePage() {
  const { access, isPending, error } = useOwnAccess();
  const [searchParams, setSearchParams] = useSearchParams();
  const tests = useQuery({
    queryKey: exceptionKeys.tests,
    queryFn: ({ signal }) => listTests(signal),
  });

  if (isPending) {
    return (
      <Page title="Exceptions">
        <Loader aria-label="Loading your access" />
      </Page>
    );
  }
  if (access === undefined) {
    return (
      <Page title="Exceptions">
        <ErrorAlert error={error} title="Your access could not be loaded" />
      </Page>
    );
  }
  const root = access.entities[0];
  if (root === undefined) {
    return (
      <Page title="Exceptions">
        <Text>No entity is in your scope yet. Ask an administrator for a role on one.</Text>
      </Page>
    );
  }

  const queueFilters = filtersFromSearchParams(searchParams);
  const filters: ExceptionFilters = { ...queueFilters, entity: queueFilters.entity ?? root.code };
  const apply = (next: QueueFilters) => setSearchParams(searchParamsFromFilters(next));
  const filterKey = searchParams.toString();

  return (
    <Page title="Exceptions">
      {tests.isError && <ErrorAlert error={tests.error} title="The tests could not be loaded" />}
      <QueueFilterForm
        key={`form:${filterKey}`}
        filters={queueFilters}
        entity={filters.entity}
        access={access}
        tests={tests.data?.tests}
        onApply={apply}
      />
      <QueueResults key={`results:${filterKey}`} filters={filters} access={access} />
    </Page>
  );
}
