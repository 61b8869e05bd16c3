import { Anchor, Button, Group, Loader, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDeferredValue, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { type DatasetSummary, datasetPath, useDatasets } from './datasets-api.ts';

const PAGE_SIZE = 25;

function DatasetTable({ datasets }: { datasets: readonly DatasetSummary[] }) {
  const pageOf = usePageOf(datasets, PAGE_SIZE);
  return (
    <>
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label="Datasets">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Entity</Table.Th>
              <Table.Th>Latest version</Table.Th>
              <Table.Th>Description</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((dataset) => (
              <Table.Tr key={dataset.id} data-testid="dataset-row">
                <Table.Td>
                  <Anchor component={Link} to={datasetPath(dataset.entityCode, dataset.name)}>
                    {dataset.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{dataset.entityCode}</Table.Td>
                <Table.Td>{dataset.latestVersion}</Table.Td>
                <Table.Td>{dataset.description || '—'}</Table.Td>
                <Table.Td>{formatDateTime(dataset.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="datasets" label="Pages of datasets" />
    </>
  );
}

function DatasetList({ access }: { access: Access }) {
  const datasets = useDatasets();
  const [entityCode, setEntityCode] = useState('');
  const [text, setText] = useState('');
  const deferredText = useDeferredValue(text.trim().toLowerCase());
  const readable = access.entitiesWith('datasets.read');
  const canImport = access.entitiesWith('datasets.import').length > 0;
  const importLink =
    entityCode === ''
      ? '/datasets/import'
      : `/datasets/import?${new URLSearchParams({ entity: entityCode })}`;

  const filtered = useMemo(() => {
    const entity = entityCode === '' ? undefined : access.entityByCode(entityCode);
    const codes = entity === undefined ? undefined : access.subtreeCodes(entity.id);
    return (datasets.data ?? []).filter(
      (dataset) =>
        (codes === undefined || codes.has(dataset.entityCode)) &&
        (deferredText === '' || dataset.name.toLowerCase().includes(deferredText)),
    );
  }, [datasets.data, entityCode, deferredText, access]);

  if (readable.length === 0) {
    return <Text>Datasets need a role on an entity. Ask an administrator for one.</Text>;
  }
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Text maw={720}>
          Extracts imported into each entity. Every import adds an immutable version with the
          SHA-256 of the raw file and of its normalized Parquet copy.
        </Text>
        {canImport && (
          <Button component={Link} to={importLink}>
            Import a file
          </Button>
        )}
      </Group>
      <Group align="flex-end">
        <EntitySelect
          entities={readable}
          value={entityCode}
          onChange={setEntityCode}
          allLabel="All entities"
          description="Includes the entities below it"
        />
        <TextInput
          label="Name"
          placeholder="Search by name"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
        />
      </Group>
      {datasets.isPending && <Loader aria-label="Loading datasets" />}
      {datasets.isError && (
        <ErrorAlert error={datasets.error} title="Datasets could not be loaded" />
      )}
      {datasets.isSuccess &&
        (filtered.length === 0 ? (
          <Text>
            {datasets.data.length === 0
              ? 'No dataset has been imported in your entities yet.'
              : 'No dataset matches these filters.'}
          </Text>
        ) : (
          <DatasetTable datasets={filtered} />
        ))}
    </Stack>
  );
}

/** Lists the datasets of the entities in scope, filtered by entity and name. */
export function DatasetsPage() {
  return (
    <Page title="Datasets">
      <WithAccess>{(access) => <DatasetList access={access} />}</WithAccess>
    </Page>
  );
}
