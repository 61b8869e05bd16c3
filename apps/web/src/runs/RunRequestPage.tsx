import {
  Alert,
  Button,
  Checkbox,
  CloseButton,
  Fieldset,
  Group,
  List,
  Loader,
  NativeSelect,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueries } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import {
  type DatasetDetail,
  datasetKeys,
  getDataset,
  useDatasets,
} from '../datasets/datasets-api.ts';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { describeRequestIssues, type RunFormValues, toRunRequest } from './run-request-form.ts';
import { requestRun, type TestListing, useTests } from './runs-api.ts';

const LATEST = '';

/** Options of the test select: the entity's own tests, then the library templates not yet used there. */
function testOptions(listing: TestListing, entityCode: string) {
  const own = listing.tests.filter((test) => test.entityCode === entityCode);
  const ownKeys = new Set(own.map((test) => test.key));
  const templates = listing.templates.filter((template) => !ownKeys.has(template.key));
  return [
    { value: '', label: 'Choose a test' },
    ...(own.length === 0
      ? []
      : [
          {
            group: `Tests of ${entityCode}`,
            items: own.map((test) => ({
              value: test.key,
              label: `${test.name ?? test.key} (${test.key})${test.activeVersion === null ? ', no active version' : ''}`,
            })),
          },
        ]),
    {
      group: 'Library templates',
      items: templates.map((template) => ({
        value: template.key,
        label: `${template.name} (${template.key}), ${template.category}, ${template.severity}`,
      })),
    },
  ];
}

/** Columns of the chosen version of a dataset, or of its latest version. */
function columnsOf(detail: DatasetDetail | undefined, version: string): string[] {
  const chosen =
    version === LATEST
      ? detail?.versions[0]
      : detail?.versions.find((candidate) => String(candidate.version) === version);
  return chosen?.columns.map((column) => column.name) ?? [];
}

function RunRequestForm({ access, listing }: { access: Access; listing: TestListing }) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const entities = access
    .entitiesWith('runs.execute')
    .filter((entity) => entity.status === 'active');
  const initialEntity =
    entities.find((entity) => entity.code === params.get('entity'))?.code ??
    entities[0]?.code ??
    '';
  const datasets = useDatasets();
  const [issues, setIssues] = useState<string[]>([]);

  const form = useForm<RunFormValues>({
    initialValues: {
      entity: initialEntity,
      test: params.get('test') ?? '',
      inputs: [{ name: '', dataset: params.get('dataset') ?? '', version: LATEST }],
      fieldMap: [],
      parameters: [],
      preview: false,
    },
    validate: {
      entity: (value) => (value === '' ? 'Choose the entity whose data the test reads.' : null),
      test: (value) => (value === '' ? 'Choose a test or a library template.' : null),
    },
  });
  const { values } = form;

  const details = useQueries({
    queries: values.inputs.map((input) => ({
      queryKey: datasetKeys.detail(values.entity, input.dataset),
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        getDataset(values.entity, input.dataset, signal),
      enabled: values.entity !== '' && input.dataset !== '',
    })),
  });
  const run = useMutation({
    mutationFn: requestRun,
    onSuccess: ({ runId }) => navigate(`/runs/${runId}`),
  });

  const entityDatasets = (datasets.data ?? []).filter(
    (dataset) => dataset.entityCode === values.entity,
  );
  const inputNames = values.inputs.map((input) => input.name.trim()).filter((name) => name !== '');

  const submit = form.onSubmit((formValues) => {
    const request = toRunRequest(formValues);
    const found = describeRequestIssues(request);
    setIssues(found);
    if (found.length === 0) run.mutate(request);
  });

  return (
    <form onSubmit={submit}>
      <Stack maw={880}>
        <Group align="flex-end" grow>
          <EntitySelect
            entities={entities}
            required
            description="The test runs on this entity's datasets, and its exceptions belong here."
            value={values.entity}
            onChange={(code) => {
              // Datasets belong to one entity, so bindings chosen for another one no longer apply.
              form.setValues({
                entity: code,
                inputs: values.inputs.map((input) => ({ ...input, dataset: '', version: LATEST })),
              });
            }}
          />
          <NativeSelect
            label="Test"
            required
            description="A test of the entity, or a library template, which the first run creates as a test."
            data={testOptions(listing, values.entity)}
            {...form.getInputProps('test')}
          />
        </Group>

        <Fieldset legend="Inputs">
          <Stack>
            <Text size="sm" c="dimmed">
              Bind each input of the test to a dataset of {values.entity || 'the entity'}. An input
              the test version already binds may be left out. The test names its inputs, such as{' '}
              <code>payments</code>, and the server rejects a wrong name with the names it expects.
            </Text>
            {datasets.isPending && <Loader size="sm" aria-label="Loading datasets" />}
            {datasets.isError && (
              <ErrorAlert error={datasets.error} title="Datasets could not be loaded" />
            )}
            {values.inputs.map((input, index) => {
              const detail = details[index];
              const versions = detail?.data?.versions ?? [];
              return (
                <Group key={`input-${index.toString()}`} align="flex-end" wrap="nowrap">
                  <TextInput
                    label="Input name"
                    placeholder="payments"
                    {...form.getInputProps(`inputs.${index}.name`)}
                  />
                  <NativeSelect
                    label="Dataset"
                    data={[
                      { value: '', label: 'Choose a dataset' },
                      ...entityDatasets.map((dataset) => ({
                        value: dataset.name,
                        label: dataset.name,
                      })),
                    ]}
                    value={input.dataset}
                    onChange={(event) =>
                      form.setFieldValue(`inputs.${index}`, {
                        ...input,
                        dataset: event.currentTarget.value,
                        version: LATEST,
                      })
                    }
                  />
                  <NativeSelect
                    label="Version"
                    data={[
                      {
                        value: LATEST,
                        label:
                          versions[0] === undefined ? 'Latest' : `Latest (${versions[0].version})`,
                      },
                      ...versions.map((version) => ({
                        value: String(version.version),
                        label: `${version.version}: ${version.sourceFileName}, ${version.rowCount} rows`,
                      })),
                    ]}
                    {...form.getInputProps(`inputs.${index}.version`)}
                  />
                  <CloseButton
                    aria-label={`Remove input ${index + 1}`}
                    onClick={() => form.removeListItem('inputs', index)}
                    mb={6}
                  />
                </Group>
              );
            })}
            {details.map(
              (detail, index) =>
                detail.isError && (
                  <ErrorAlert
                    key={`input-error-${index.toString()}`}
                    error={detail.error}
                    title={`The dataset of input ${index + 1} could not be loaded`}
                  />
                ),
            )}
            <Group>
              <Button
                variant="default"
                size="xs"
                onClick={() =>
                  form.insertListItem('inputs', { name: '', dataset: '', version: LATEST })
                }
              >
                Add input
              </Button>
            </Group>
          </Stack>
        </Fieldset>

        <Fieldset legend="Field mapping">
          <Stack>
            <Text size="sm" c="dimmed">
              Each field of an input reads the dataset column of the same name. Map a field here
              when its column has another name.
            </Text>
            {values.fieldMap.map((mapping, index) => {
              const inputIndex = values.inputs.findIndex(
                (input) => input.name.trim() === mapping.input,
              );
              const binding = values.inputs[inputIndex];
              const columns = columnsOf(details[inputIndex]?.data, binding?.version ?? LATEST);
              return (
                <Group key={`mapping-${index.toString()}`} align="flex-end" wrap="nowrap">
                  <NativeSelect
                    label="Input"
                    data={[
                      { value: '', label: 'Choose an input' },
                      ...inputNames.map((name) => ({ value: name, label: name })),
                    ]}
                    {...form.getInputProps(`fieldMap.${index}.input`)}
                  />
                  <TextInput
                    label="Field"
                    placeholder="vendor_id"
                    {...form.getInputProps(`fieldMap.${index}.field`)}
                  />
                  <NativeSelect
                    label="Column"
                    data={[
                      { value: '', label: 'Choose a column' },
                      ...columns.map((column) => ({ value: column, label: column })),
                    ]}
                    {...form.getInputProps(`fieldMap.${index}.column`)}
                  />
                  <CloseButton
                    aria-label={`Remove field mapping ${index + 1}`}
                    onClick={() => form.removeListItem('fieldMap', index)}
                    mb={6}
                  />
                </Group>
              );
            })}
            <Group>
              <Button
                variant="default"
                size="xs"
                onClick={() =>
                  form.insertListItem('fieldMap', {
                    input: inputNames[0] ?? '',
                    field: '',
                    column: '',
                  })
                }
              >
                Add field mapping
              </Button>
            </Group>
          </Stack>
        </Fieldset>

        <Fieldset legend="Parameters">
          <Stack>
            <Text size="sm" c="dimmed">
              Parameters left out take the test's defaults. Write dates as YYYY-MM-DD and decimals
              with a point.
            </Text>
            {values.parameters.map((_, index) => (
              <Group key={`parameter-${index.toString()}`} align="flex-end" wrap="nowrap">
                <TextInput
                  label="Parameter"
                  placeholder="threshold"
                  {...form.getInputProps(`parameters.${index}.name`)}
                />
                <TextInput label="Value" {...form.getInputProps(`parameters.${index}.value`)} />
                <CloseButton
                  aria-label={`Remove parameter ${index + 1}`}
                  onClick={() => form.removeListItem('parameters', index)}
                  mb={6}
                />
              </Group>
            ))}
            <Group>
              <Button
                variant="default"
                size="xs"
                onClick={() => form.insertListItem('parameters', { name: '', value: '' })}
              >
                Add parameter
              </Button>
            </Group>
          </Stack>
        </Fieldset>

        <Checkbox
          label="Preview: run the newest draft of the test and keep its rows apart, so they never become exceptions"
          {...form.getInputProps('preview', { type: 'checkbox' })}
        />

        {issues.length > 0 && (
          <Alert color="red" title="The request is not valid">
            <List size="sm">
              {issues.map((issue) => (
                <List.Item key={issue}>{issue}</List.Item>
              ))}
            </List>
          </Alert>
        )}
        {run.isError && <ErrorAlert error={run.error} title="The run was not requested" />}
        <Group>
          <Button type="submit" loading={run.isPending}>
            Request run
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function RunRequestContent({ access }: { access: Access }) {
  const canRun = access.entitiesWith('runs.execute').length > 0;
  const tests = useTests({ enabled: canRun });
  if (!canRun) {
    return (
      <Text>Running tests needs the preparer role on an entity. Ask an administrator for one.</Text>
    );
  }
  if (tests.isPending) return <Loader aria-label="Loading the test library" />;
  if (tests.isError) {
    return <ErrorAlert error={tests.error} title="The test library could not be loaded" />;
  }
  return <RunRequestForm access={access} listing={tests.data} />;
}

/** Requests a run of a test or library template on datasets of one entity, then opens the run. */
export function RunRequestPage() {
  return (
    <Page title="Run a test">
      <WithAccess>{(access) => <RunRequestContent access={access} />}</WithAccess>
    </Page>
  );
}
