import { Group, Loader, NativeSelect, Stack, Text } from '@mantine/core';
import { type ReactNode, useEffect, useRef } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import {
  type BindingInput,
  type BindingValues,
  chosenVersion,
  fieldColumnProblems,
  LATEST_VERSION,
  prefillFields,
} from './dataset-binding.ts';
import { useDataset, useDatasets } from './datasets-api.ts';

/** Add `value` to `options` when it is not empty and not there yet, so a stored choice stays visible. */
function withCurrent(options: { value: string; label: string }[], value: string) {
  if (value === '' || options.some((option) => option.value === value)) return options;
  return [...options, { value, label: value }];
}

/**
 * The dataset, version and field-to-column mapping of one test input.
 * Choosing a dataset or version maps each unmapped field to the column of
 * its name once that version's columns load. `errorOf` returns the validation error of a path relative to
 * the binding ("dataset", "version", "fields.NAME"). A field whose column
 * is missing from the chosen version shows as an error when
 * `columnProblemsAreErrors` is set, and as a warning otherwise.
 */
export function DatasetBindingFields({
  entityCode,
  input,
  value,
  onChange,
  errorOf,
  unboundLabel,
  columnProblemsAreErrors,
  prefillInitial,
}: {
  entityCode: string;
  input: BindingInput;
  value: BindingValues;
  onChange: (next: BindingValues) => void;
  errorOf: (path: string) => ReactNode;
  unboundLabel: string;
  columnProblemsAreErrors: boolean;
  /** Map the unmapped fields of the initial dataset too, and not only of a later choice. */
  prefillInitial: boolean;
}) {
  const datasets = useDatasets();
  const detail = useDataset(entityCode, value.dataset);
  const versions = detail.data?.versions ?? [];
  const version = chosenVersion(detail.data, value.version);
  const columns = version?.columns.map((column) => column.name) ?? [];
  const versionLabel =
    version === undefined ? 'The dataset' : `Version ${version.version} of ${value.dataset}`;
  const problems =
    version === undefined ? {} : fieldColumnProblems(input, value.fields, columns, versionLabel);

  // Map the unmapped fields to same-name columns once per chosen dataset and version, so a
  // user who then picks "Not mapped" keeps that choice. The editor starts with the stored
  // binding marked as done, so opening a version does not change its bindings.
  const choice = `${value.dataset}@${value.version}`;
  const prefilledFor = useRef<string | null>(prefillInitial ? null : choice);
  const prefilled = version === undefined ? undefined : prefillFields(input, value.fields, columns);
  useEffect(() => {
    if (value.dataset === '') prefilledFor.current = null;
    if (prefilled === undefined || prefilledFor.current === choice) return;
    prefilledFor.current = choice;
    if (Object.entries(prefilled).some(([field, column]) => value.fields[field] !== column)) {
      onChange({ ...value, fields: prefilled });
    }
  }, [choice, prefilled, value, onChange]);

  const datasetOptions = withCurrent(
    (datasets.data ?? [])
      .filter((dataset) => dataset.entityCode === entityCode)
      .map((dataset) => ({ value: dataset.name, label: dataset.name })),
    value.dataset,
  );
  const versionOptions = withCurrent(
    [
      {
        value: LATEST_VERSION,
        label: versions[0] === undefined ? 'Latest' : `Latest (${versions[0].version})`,
      },
      ...versions.map((candidate) => ({
        value: String(candidate.version),
        label: `${candidate.version}: ${candidate.sourceFileName}, ${candidate.rowCount} rows`,
      })),
    ],
    value.version,
  );
  const columnOptions = (field: string) =>
    withCurrent(
      [
        { value: '', label: `Not mapped: reads column ${field}` },
        ...columns.map((column) => ({ value: column, label: column })),
      ],
      value.fields[field] ?? '',
    );

  return (
    <Stack gap="xs">
      <Group align="flex-start" wrap="wrap">
        <NativeSelect
          label="Dataset"
          miw={220}
          data={[
            { value: '', label: unboundLabel, disabled: value.dataset !== '' },
            ...datasetOptions,
          ]}
          value={value.dataset}
          error={errorOf('dataset')}
          onChange={(event) =>
            onChange({ dataset: event.currentTarget.value, version: LATEST_VERSION, fields: {} })
          }
        />
        <NativeSelect
          label="Version"
          miw={220}
          disabled={value.dataset === ''}
          data={versionOptions}
          value={value.version}
          error={errorOf('version')}
          onChange={(event) => onChange({ ...value, version: event.currentTarget.value })}
        />
      </Group>
      {datasets.isError && (
        <ErrorAlert error={datasets.error} title="The datasets could not be loaded" />
      )}
      {detail.isError && (
        <ErrorAlert error={detail.error} title={`Dataset ${value.dataset} could not be loaded`} />
      )}
      {detail.isFetching && <Loader size="xs" aria-label={`Loading dataset ${value.dataset}`} />}
      {value.dataset !== '' && (
        <Group align="flex-start" wrap="wrap" data-testid="field-mapping">
          {input.fields.map((field) => {
            const problem = problems[field.name];
            const error =
              errorOf(`fields.${field.name}`) ?? (columnProblemsAreErrors ? problem : undefined);
            return (
              <NativeSelect
                key={field.name}
                label={field.name}
                description={`${field.type}, ${field.required ? 'required' : 'optional'}`}
                required={field.required}
                miw={200}
                data={columnOptions(field.name)}
                value={value.fields[field.name] ?? ''}
                error={error}
                onChange={(event) =>
                  onChange({
                    ...value,
                    fields: { ...value.fields, [field.name]: event.currentTarget.value },
                  })
                }
              />
            );
          })}
        </Group>
      )}
      {!columnProblemsAreErrors &&
        Object.entries(problems).map(([field, problem]) => (
          <Text key={field} size="xs" fw={500}>
            Warning for {field}: {problem} Runs fail until it has one.
          </Text>
        ))}
    </Stack>
  );
}
