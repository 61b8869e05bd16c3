import { Alert, Button, Group, List, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { PreviewColumns, PreviewRows, PreviewWarnings } from './DatasetPreviewTable.tsx';
import {
  datasetKeys,
  datasetPath,
  importDatasetUpload,
  previewDatasetUpload,
} from './datasets-api.ts';
import { ParseOptionsForm } from './ParseOptionsForm.tsx';
import {
  DETECTED_OPTIONS,
  describeReadIssues,
  type ParseOptionsValues,
  toUploadRead,
} from './parse-options-form.ts';
import type { UploadedDatasetFile } from './use-dataset-upload.ts';

function sameOptions(left: ParseOptionsValues, right: ParseOptionsValues): boolean {
  return JSON.stringify(toUploadRead(left, '')) === JSON.stringify(toUploadRead(right, ''));
}

function Working({ children }: { children: string }) {
  return (
    <Group gap="xs" role="status">
      <Loader size="xs" aria-hidden />
      <Text size="sm">{children}</Text>
    </Group>
  );
}

/**
 * The second step of an import: preview the uploaded file with the parse
 * options as often as the user changes them, then import it with the
 * options of the preview on screen, and open the new version.
 */
export function DatasetPreviewStep({
  uploaded,
  isNewDataset,
}: {
  uploaded: UploadedDatasetFile;
  isNewDataset: boolean;
}) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<ParseOptionsValues>(DETECTED_OPTIONS);
  // The options of the preview on screen, which the import uses.
  const [previewed, setPreviewed] = useState<ParseOptionsValues>(DETECTED_OPTIONS);
  const [issues, setIssues] = useState<string[]>([]);
  const [description, setDescription] = useState('');

  const read = toUploadRead(previewed, '');
  const preview = useQuery({
    queryKey: ['dataset-uploads', uploaded.uploadId, 'preview', read],
    queryFn: () => previewDatasetUpload(uploaded.uploadId, read),
    placeholderData: keepPreviousData,
    // A preview parses the whole file, so it is neither repeated on failure nor refetched.
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });

  const importFile = useMutation({
    mutationFn: () =>
      importDatasetUpload(
        uploaded.uploadId,
        toUploadRead(previewed, isNewDataset ? description : ''),
      ),
    onSuccess: async (version) => {
      await queryClient.invalidateQueries({ queryKey: datasetKeys.list });
      navigate(datasetPath(version.entityCode, version.datasetName, version.version));
    },
  });

  const changed = !sameOptions(values, previewed);
  const busy = preview.isFetching || importFile.isPending;
  const currentPreview = preview.isPlaceholderData ? undefined : preview.data;

  const updatePreview = () => {
    const problems = describeReadIssues(toUploadRead(values, description));
    setIssues(problems);
    if (problems.length === 0) setPreviewed(values);
  };

  return (
    <Stack gap="lg">
      <Stack gap="sm" component="section" aria-labelledby="parse-options-heading">
        <Title order={2} id="parse-options-heading">
          Parse options
        </Title>
        <Text size="sm">
          Each option left on Detect is read from the file. Change the options until the columns and
          their types look right, then import.
        </Text>
        <form
          aria-labelledby="parse-options-heading"
          onSubmit={(event) => {
            event.preventDefault();
            updatePreview();
          }}
        >
          <Stack gap="sm">
            <ParseOptionsForm
              values={values}
              onChange={(next) => {
                setValues(next);
                setIssues([]);
              }}
              applied={preview.data?.appliedOptions}
              format={values.format === '' ? preview.data?.format : values.format}
              disabled={importFile.isPending}
            />
            {issues.length > 0 && (
              <Alert color="red" title="Check the parse options">
                <List size="sm">
                  {issues.map((issue) => (
                    <List.Item key={issue}>{issue}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
            <Group>
              <Button type="submit" variant="default" disabled={busy || !changed}>
                Update preview
              </Button>
              {changed && !busy && (
                <Text size="sm">The options changed since the preview below.</Text>
              )}
            </Group>
          </Stack>
        </form>
      </Stack>

      <Stack gap="sm" component="section" aria-labelledby="preview-heading">
        <Title order={2} id="preview-heading">
          Preview
        </Title>
        {preview.isFetching && <Working>Parsing the file with these options…</Working>}
        {preview.isError && (
          <ErrorAlert error={preview.error} title="The file could not be read with these options" />
        )}
        {currentPreview !== undefined && (
          <Stack gap="md" data-testid="dataset-preview">
            <Text size="sm">
              Read as <strong>{currentPreview.format.toUpperCase()}</strong>:{' '}
              {currentPreview.rowCount.toLocaleString()} rows and {currentPreview.columns.length}{' '}
              columns.
            </Text>
            <PreviewWarnings warnings={currentPreview.warnings} />
            <PreviewColumns
              preview={currentPreview}
              columnTypes={values.columnTypes}
              onColumnTypesChange={(columnTypes) => {
                setValues({ ...values, columnTypes });
                setIssues([]);
              }}
              disabled={importFile.isPending}
            />
            <PreviewRows preview={currentPreview} />
          </Stack>
        )}
      </Stack>

      <Stack gap="sm" component="section" aria-labelledby="import-heading">
        <Title order={2} id="import-heading">
          Import
        </Title>
        {isNewDataset && (
          <TextInput
            label="Description (optional)"
            description={`For the new dataset ${uploaded.datasetName}`}
            maxLength={2000}
            value={description}
            disabled={importFile.isPending}
            onChange={(event) => setDescription(event.currentTarget.value)}
          />
        )}
        <Text size="sm">
          The import stores the file as{' '}
          {isNewDataset ? 'version 1 of the new dataset' : 'the next version of'}{' '}
          {uploaded.datasetName} in {uploaded.entityCode}, with the options of the preview above.
          Versions are immutable.
        </Text>
        <Group>
          <Button
            onClick={() => importFile.mutate()}
            loading={importFile.isPending}
            disabled={currentPreview === undefined || changed || preview.isFetching}
          >
            Import
          </Button>
          {changed && currentPreview !== undefined && (
            <Text size="sm">Update the preview before importing.</Text>
          )}
        </Group>
        {importFile.isPending && <Working>Importing the file…</Working>}
        {importFile.isError && (
          <ErrorAlert error={importFile.error} title="The file was not imported" />
        )}
      </Stack>
    </Stack>
  );
}
