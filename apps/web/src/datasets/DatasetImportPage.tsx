import { Anchor, Button, Group, Loader, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatBytes } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { DatasetPreviewStep } from './DatasetPreviewStep.tsx';
import { DatasetUploadStep } from './DatasetUploadStep.tsx';
import { useDatasets } from './datasets-api.ts';
import type { UploadedDatasetFile } from './use-dataset-upload.ts';

function UploadedFile({
  uploaded,
  onStartOver,
}: {
  uploaded: UploadedDatasetFile;
  onStartOver: () => void;
}) {
  return (
    <Stack gap="xs">
      <Table variant="vertical" withTableBorder maw={720} aria-label="Uploaded file">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={180}>File</Table.Th>
            <Table.Td>
              {uploaded.file.name}, {formatBytes(uploaded.file.size)}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>SHA-256</Table.Th>
            <Table.Td>
              <code style={{ wordBreak: 'break-all' }}>{uploaded.sha256}</code>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Dataset</Table.Th>
            <Table.Td>
              {uploaded.datasetName} in {uploaded.entityCode}
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      <Group>
        <Button variant="default" size="xs" onClick={onStartOver}>
          Choose another file
        </Button>
      </Group>
    </Stack>
  );
}

function DatasetImport({ access }: { access: Access }) {
  const [params] = useSearchParams();
  const datasets = useDatasets();
  const [uploaded, setUploaded] = useState<UploadedDatasetFile | null>(null);
  const importable = access.entitiesWith('datasets.import');

  if (importable.length === 0) {
    return (
      <Text>
        Importing datasets needs the preparer role on an entity. Ask an administrator for one.
      </Text>
    );
  }
  if (datasets.isPending) return <Loader aria-label="Loading datasets" />;
  if (datasets.isError) {
    return <ErrorAlert error={datasets.error} title="Datasets could not be loaded" />;
  }
  if (uploaded === null) {
    return (
      <DatasetUploadStep
        entities={importable}
        datasets={datasets.data}
        initialEntityCode={params.get('entity') ?? ''}
        initialName={params.get('name') ?? ''}
        onUploaded={setUploaded}
      />
    );
  }
  const isNewDataset = !datasets.data.some(
    (dataset) =>
      dataset.entityCode.toLowerCase() === uploaded.entityCode.toLowerCase() &&
      dataset.name === uploaded.datasetName,
  );
  return (
    <Stack gap="xl">
      <UploadedFile uploaded={uploaded} onStartOver={() => setUploaded(null)} />
      <DatasetPreviewStep key={uploaded.uploadId} uploaded={uploaded} isNewDataset={isNewDataset} />
    </Stack>
  );
}

/**
 * Imports a file as a new dataset or a new version of one: upload it
 * straight to storage, preview it with parse options, then import it.
 * `entity` and `name` in the query string preselect the dataset.
 */
export function DatasetImportPage() {
  return (
    <Page title="Import a dataset file">
      <Anchor component={Link} to="/datasets" size="sm">
        All datasets
      </Anchor>
      <Text>
        The file goes from this browser straight to storage, with its SHA-256 computed here. The
        server checks that hash before it parses the file.
      </Text>
      <WithAccess>{(access) => <DatasetImport access={access} />}</WithAccess>
    </Page>
  );
}
