import { Accordion, Anchor, Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useSearchParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { DatasetVersionPanel } from './DatasetVersionPanel.tsx';
import { type DatasetDetail, useDataset } from './datasets-api.ts';

function versionLabel(version: DatasetDetail['versions'][number]): string {
  return `Version ${version.version}: ${version.sourceFileName}, ${version.rowCount.toLocaleString()} rows, imported ${formatDateTime(version.createdAt)}`;
}

function DatasetVersions({
  dataset,
  access,
  openVersion,
}: {
  dataset: DatasetDetail;
  access: Access;
  /** The version to open; the newest when undefined. */
  openVersion: number | undefined;
}) {
  const opened = openVersion ?? dataset.versions[0]?.version;
  const canRun = access.can('runs.execute', dataset.entityId);
  const canImport = access.can('datasets.import', dataset.entityId);
  const importLink = `/datasets/import?${new URLSearchParams({ entity: dataset.entityCode, name: dataset.name })}`;
  const runLink = `/runs/new?${new URLSearchParams({ entity: dataset.entityCode, dataset: dataset.name })}`;
  return (
    <Stack>
      <Table variant="vertical" withTableBorder maw={720}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={180}>Entity</Table.Th>
            <Table.Td>{access.entityById(dataset.entityId)?.name ?? dataset.entityCode}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Description</Table.Th>
            <Table.Td>{dataset.description || '—'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Latest version</Table.Th>
            <Table.Td>{dataset.latestVersion}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Created</Table.Th>
            <Table.Td>{formatDateTime(dataset.createdAt)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {(canRun || canImport) && (
        <Group>
          {canRun && (
            <Button component={Link} to={runLink}>
              Run a test on this dataset
            </Button>
          )}
          {canImport && (
            <Button component={Link} to={importLink} variant="default">
              Import a new version
            </Button>
          )}
        </Group>
      )}
      <Title order={2}>Versions</Title>
      {/* NOTE: the API returns no rows of a version, so this page shows its columns and types only. */}
      <Accordion
        multiple
        variant="separated"
        defaultValue={opened === undefined ? [] : [String(opened)]}
      >
        {dataset.versions.map((version) => (
          <Accordion.Item key={version.versionId} value={String(version.version)}>
            <Accordion.Control>{versionLabel(version)}</Accordion.Control>
            <Accordion.Panel>
              <DatasetVersionPanel version={version} />
            </Accordion.Panel>
          </Accordion.Item>
        ))}
      </Accordion>
    </Stack>
  );
}

function DatasetLoader({
  entityCode,
  name,
  openVersion,
}: {
  entityCode: string;
  name: string;
  openVersion: number | undefined;
}) {
  const dataset = useDataset(entityCode, name);
  if (dataset.isPending) return <Loader aria-label="Loading the dataset" />;
  if (dataset.isError) {
    return <ErrorAlert error={dataset.error} title="The dataset could not be loaded" />;
  }
  return (
    <WithAccess>
      {(access) => (
        <DatasetVersions dataset={dataset.data} access={access} openVersion={openVersion} />
      )}
    </WithAccess>
  );
}

/**
 * Shows one dataset, named by `entity` and `name` in the query string, with
 * all its versions. `version` in the query string opens that version.
 */
export function DatasetPage() {
  const [params] = useSearchParams();
  const entityCode = params.get('entity') ?? '';
  const name = params.get('name') ?? '';
  const versionText = params.get('version') ?? '';
  const openVersion = /^[1-9]\d{0,8}$/.test(versionText) ? Number(versionText) : undefined;
  return (
    <Page title={name === '' ? 'Dataset' : name}>
      <Anchor component={Link} to="/datasets" size="sm">
        All datasets
      </Anchor>
      {entityCode === '' || name === '' ? (
        <Text>
          This address names no dataset: it needs both <code>entity</code> and <code>name</code>.
          Choose a dataset from the{' '}
          <Anchor component={Link} to="/datasets" underline="always">
            list of datasets
          </Anchor>
          .
        </Text>
      ) : (
        <DatasetLoader entityCode={entityCode} name={name} openVersion={openVersion} />
      )}
    </Page>
  );
}
