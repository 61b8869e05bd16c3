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
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { type DatasetDetail, datasetKeys } from '../datasets/datasets-api.ts';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { RunInputsFieldset } from './RunInputsFieldset.tsx';
import {
  describeRequestIssues,
  initialRunInputs,
  type RunFormValues,
  runInputErrors,
  toRunRequest,
} from './run-request-form.ts';
import { requestRun, type TestListing, useTests } from './runs-api.ts';
import { useDeclaredInputs } from './use-declared-inputs.ts';

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
  const queryClient = useQueryClient();
  const [issues, setIssues] = useState<string[]>([]);

  const form = useForm<RunFormValues>({
    initialValues: {
      entity: initialEntity,
      test: params.get('test') ?? '',
      inputs: [],
      parameters: [],
      preview: false,
    },
    validate: {
      entity: (value) => (value === '' ? 'Choose the entity whose data the test reads.' : null),
      test: (value) => (value === '' ? 'Choose a test or a library template.' : null),
    },
  });
  const { values } = form;
  const declared = useDeclaredInputs(listing, values.entity, values.test, values.preview);

  // Another test, version or entity has other inputs and datasets, so the inputs start again.
  const declaredKey = declared.status === 'ready' ? declared.key : declared.status;
  const startedFor = useRef<string | null>(null);
  useEffect(() => {
    if (startedFor.current === declaredKey) return;
    startedFor.current = declaredKey;
    const inputs =
      declared.status === 'ready'
        ? initialRunInputs(declared.inputs, declared.bindings, params.get('dataset') ?? '')
        : [];
    form.setFieldValue('inputs', inputs);
    form.clearErrors();
  }, [declaredKey, declared, params, form]);

  const run = useMutation({
    mutationFn: requestRun,
    onSuccess: ({ runId }) => navigate(`/runs/${runId}`),
  });

  const submit = form.onSubmit((formValues) => {
    if (declared.status !== 'ready') return;

    const inputErrors = runInputErrors(formValues.inputs, declared.inputs, (name) =>
      queryClient.getQueryData<DatasetDetail>(datasetKeys.detail(formValues.entity, name)),
    );
    form.setErrors(inputErrors);
    const request = toRunRequest(formValues);
    const found = describeRequestIssues(request);
    setIssues(found);
    if (found.length === 0 && Object.keys(inputErrors).length === 0) run.mutate(request);
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
              // Datasets belong to one entity, and the effect above starts the inputs again.
              form.setValues({ entity: code, inputs: [] });
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

        <RunInputsFieldset form={form} declared={declared} />

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
