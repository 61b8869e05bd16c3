import { Autocomplete, Button, FileInput, Group, Stack, Text } from '@mantine/core';
import { datasetNameSchema } from '@peytonix/contracts';
import { useState } from 'react';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { EntityInScope } from '../entities/entity-access.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatBytes } from '../shared/format.ts';
import { UploadProgress } from '../shared/UploadProgress.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import type { DatasetSummary } from './datasets-api.ts';
import { type UploadedDatasetFile, useDatasetUpload } from './use-dataset-upload.ts';

const validateName = validateWith(datasetNameSchema);

/** File name extensions of the formats the import reads. */
const ACCEPTED_FILES = '.csv,.tsv,.txt,.tab,.parquet,.jsonl,.ndjson,.json,.xlsx';

/** Describe what is wrong with the chosen file before the upload, or return null when nothing is. */
function fileProblem(file: File | null): string | null {
  if (file === null) return 'Choose a file to import';
  if (file.size === 0) return 'The file is empty. Choose a file with a header row and data.';
  return null;
}

/**
 * The first step of an import: choose the entity, the dataset (an existing
 * one gets a new version, a new name creates it) and the file, then upload
 * the file straight to storage with its progress.
 */
export function DatasetUploadStep({
  entities,
  datasets,
  initialEntityCode,
  initialName,
  onUploaded,
}: {
  /** Entities where the user may import. */
  entities: readonly EntityInScope[];
  /** Datasets in the user's scope, to suggest existing names. */
  datasets: readonly DatasetSummary[];
  initialEntityCode: string;
  initialName: string;
  onUploaded: (uploaded: UploadedDatasetFile) => void;
}) {
  const [entityCode, setEntityCode] = useState(
    entities.find((entity) => entity.code === initialEntityCode)?.code ?? entities[0]?.code ?? '',
  );
  const [name, setName] = useState(initialName);
  const [nameError, setNameError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const { upload, stage } = useDatasetUpload();

  const inEntity = datasets.filter((dataset) => dataset.entityCode === entityCode);
  const existing = inEntity.find((dataset) => dataset.name === name.trim());

  const submit = () => {
    const trimmed = name.trim();
    const nameProblem = validateName(trimmed);
    setNameError(nameProblem);
    const problem = fileProblem(file);
    setFileError(problem);
    if (nameProblem !== null || problem !== null || file === null) return;
    upload.mutate({ entityCode, datasetName: trimmed, file }, { onSuccess: onUploaded });
  };

  return (
    <form
      aria-label="Upload a file"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack gap="sm" maw={560}>
        <EntitySelect
          entities={entities}
          value={entityCode}
          onChange={(code) => {
            setEntityCode(code);
            upload.reset();
          }}
          required
        />
        <Autocomplete
          label="Dataset"
          description={
            existing === undefined
              ? 'A new name creates the dataset, and an existing name gets a new version'
              : `Adds version ${existing.latestVersion + 1} to ${existing.name}`
          }
          placeholder="Payments"
          required
          maxLength={200}
          data={inEntity.map((dataset) => dataset.name)}
          value={name}
          error={nameError}
          disabled={upload.isPending}
          onChange={(value) => {
            setName(value);
            setNameError(null);
          }}
        />
        <FileInput
          label="File"
          description="CSV, TSV, Parquet, JSON Lines or XLSX, up to 5 GiB"
          accept={ACCEPTED_FILES}
          required
          value={file}
          error={fileError}
          clearable
          clearButtonProps={{ 'aria-label': 'Clear the chosen file' }}
          disabled={upload.isPending}
          onChange={(value) => {
            setFile(value);
            setFileError(value === null ? null : fileProblem(value));
            upload.reset();
          }}
        />
        <Group>
          <Button type="submit" loading={upload.isPending}>
            Upload and preview
          </Button>
          {file !== null && !upload.isPending && (
            <Text size="sm" c="dimmed">
              {file.name}, {formatBytes(file.size)}
            </Text>
          )}
        </Group>
        {stage !== null && <UploadProgress stage={stage} />}
        {upload.isError && <ErrorAlert error={upload.error} title="The upload failed" />}
      </Stack>
    </form>
  );
}
