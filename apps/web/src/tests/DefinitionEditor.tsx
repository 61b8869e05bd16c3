import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  List,
  NativeSelect,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { type FormErrors, useForm } from '@mantine/form';
import { Link, useNavigate } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { BindingsEditor } from './BindingsEditor.tsx';
import {
  checkDefinition,
  type DefinitionFormValues,
  emptyField,
  emptyInput,
  emptyParameter,
  FIELD_TYPES,
  PARAMETER_TYPES,
  SEVERITIES,
} from './definition-form.ts';
import { LazyEditableSqlEditor } from './LazySqlEditor.tsx';
import { testPath, useDraftTest } from './tests-api.ts';

/** Return the form errors of every issue zod finds in the definition. */
function validateDefinition(values: DefinitionFormValues): FormErrors {
  const errors: FormErrors = {};
  for (const issue of checkDefinition(values).issues) {
    errors[issue.formPath] ??= issue.message;
  }
  return errors;
}

function useDefinitionForm(initialValues: DefinitionFormValues) {
  return useForm<DefinitionFormValues>({
    mode: 'controlled',
    initialValues,
    validate: validateDefinition,
  });
}

type DefinitionForm = ReturnType<typeof useDefinitionForm>;

const FIELD_LABELS: Record<string, string> = {
  keyColumns: 'key columns',
  controlReference: 'control reference',
  summarySql: 'summary SQL',
  sql: 'SQL',
};

/**
 * Describe a form path such as "inputs.0.fields.1.name" as "input 1, field
 * 2, name", and "bindings.payments.fields.amount" as "binding of payments,
 * field amount".
 */
function describePath(path: string): string {
  const parts = path.split('.');
  if (parts[0] === 'bindings' && parts[1] !== undefined) {
    const field = parts[2] === 'fields' ? `, field ${parts[3]}` : '';
    const part = parts[2] === 'dataset' || parts[2] === 'version' ? `, ${parts[2]}` : '';
    return `binding of ${parts[1]}${field}${part}`;
  }
  const words: string[] = [];
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index] ?? '';
    const next = parts[index + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      words.push(`${part.replace(/s$/, '')} ${Number(next) + 1}`);
      index++;
    } else {
      words.push(part === '' ? 'definition' : (FIELD_LABELS[part] ?? part));
    }
  }
  return words.join(', ');
}

function InputFields({ form, inputIndex }: { form: DefinitionForm; inputIndex: number }) {
  const fields = form.values.inputs[inputIndex]?.fields ?? [];
  const path = `inputs.${inputIndex}.fields`;
  return (
    <Stack gap="xs">
      {fields.map((field, fieldIndex) => (
        <Group
          // Fields have no identity apart from their position, and the inputs are controlled.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={fieldIndex}
          align="flex-end"
          wrap="wrap"
          data-testid="field-editor"
        >
          <TextInput
            label={`Field ${fieldIndex + 1} name`}
            required
            {...form.getInputProps(`${path}.${fieldIndex}.name`)}
          />
          <NativeSelect
            label={`Field ${fieldIndex + 1} type`}
            data={[...FIELD_TYPES]}
            {...form.getInputProps(`${path}.${fieldIndex}.type`)}
          />
          <TextInput
            label={`Field ${fieldIndex + 1} description`}
            required
            miw={240}
            {...form.getInputProps(`${path}.${fieldIndex}.description`)}
          />
          <Checkbox
            label="Required"
            mb={8}
            {...form.getInputProps(`${path}.${fieldIndex}.required`, { type: 'checkbox' })}
          />
          <Button
            variant="subtle"
            color="red"
            disabled={fields.length === 1}
            onClick={() => form.removeListItem(path, fieldIndex)}
            aria-label={`Remove field ${fieldIndex + 1} (${field.name || 'unnamed'})`}
          >
            Remove
          </Button>
        </Group>
      ))}
      <Group>
        <Button variant="light" size="xs" onClick={() => form.insertListItem(path, emptyField())}>
          Add a field
        </Button>
      </Group>
    </Stack>
  );
}

function InputsEditor({ form }: { form: DefinitionForm }) {
  const inputs = form.values.inputs;
  return (
    <Stack component="section" aria-labelledby="inputs-editor-heading" gap="sm">
      <Title order={2} id="inputs-editor-heading">
        Inputs
      </Title>
      <Text size="sm" maw={720}>
        The SQL reads each input as a table of that name, with one column per field. A run maps
        dataset columns to the fields.
      </Text>
      {inputs.map((input, inputIndex) => (
        <Fieldset
          // Inputs have no identity apart from their position, and the inputs are controlled.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={inputIndex}
          legend={`Input ${inputIndex + 1}${input.name === '' ? '' : `: ${input.name}`}`}
        >
          <Stack gap="sm">
            <Group align="flex-end" wrap="wrap">
              <TextInput
                label={`Input ${inputIndex + 1} name`}
                required
                {...form.getInputProps(`inputs.${inputIndex}.name`)}
              />
              <TextInput
                label={`Input ${inputIndex + 1} description`}
                required
                miw={320}
                {...form.getInputProps(`inputs.${inputIndex}.description`)}
              />
              <Button
                variant="subtle"
                color="red"
                disabled={inputs.length === 1}
                onClick={() => form.removeListItem('inputs', inputIndex)}
              >
                Remove input {inputIndex + 1}
              </Button>
            </Group>
            <InputFields form={form} inputIndex={inputIndex} />
          </Stack>
        </Fieldset>
      ))}
      <Group>
        <Button variant="light" onClick={() => form.insertListItem('inputs', emptyInput())}>
          Add an input
        </Button>
      </Group>
    </Stack>
  );
}

function ParametersEditor({ form }: { form: DefinitionForm }) {
  const parameters = form.values.parameters;
  return (
    <Stack component="section" aria-labelledby="parameters-editor-heading" gap="sm">
      <Title order={2} id="parameters-editor-heading">
        Parameters
      </Title>
      <Text size="sm" maw={720}>
        The SQL refers to a parameter as <code>$name</code> and must use every parameter declared
        here. Leave the default empty when every run must set the value.
      </Text>
      {parameters.length === 0 && <Text size="sm">This test takes no parameters.</Text>}
      {parameters.map((_parameter, index) => (
        <Group
          // Parameters have no identity apart from their position, and the inputs are controlled.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={index}
          align="flex-end"
          wrap="wrap"
          data-testid="parameter-editor"
        >
          <TextInput
            label={`Parameter ${index + 1} name`}
            required
            {...form.getInputProps(`parameters.${index}.name`)}
          />
          <NativeSelect
            label={`Parameter ${index + 1} type`}
            data={[...PARAMETER_TYPES]}
            {...form.getInputProps(`parameters.${index}.type`)}
          />
          <TextInput
            label={`Parameter ${index + 1} default`}
            description="Decimal as 1.96, date as YYYY-MM-DD, boolean as true or false"
            {...form.getInputProps(`parameters.${index}.default`)}
          />
          <TextInput
            label={`Parameter ${index + 1} description`}
            required
            miw={240}
            {...form.getInputProps(`parameters.${index}.description`)}
          />
          <Button
            variant="subtle"
            color="red"
            onClick={() => form.removeListItem('parameters', index)}
          >
            Remove parameter {index + 1}
          </Button>
        </Group>
      ))}
      <Group>
        <Button variant="light" onClick={() => form.insertListItem('parameters', emptyParameter())}>
          Add a parameter
        </Button>
      </Group>
    </Stack>
  );
}

function QueryEditor({ form }: { form: DefinitionForm }) {
  const sqlError = form.errors.sql;
  return (
    <Stack component="section" aria-labelledby="query-editor-heading" gap="sm">
      <Title order={2} id="query-editor-heading">
        Query
      </Title>
      <TextInput
        label="Key columns"
        description="Result columns, separated by commas, whose values identify one exception across runs"
        required
        {...form.getInputProps('keyColumns')}
      />
      <Stack gap={4}>
        <Text component="span" size="sm" fw={500} id="sql-label">
          SQL
        </Text>
        <Text size="xs" c="dimmed" id="sql-description">
          One read-only SELECT over the inputs. Its result rows are the exceptions.
        </Text>
        <LazyEditableSqlEditor
          label="SQL"
          value={form.values.sql}
          onChange={(value) => form.setFieldValue('sql', value)}
          invalid={sqlError !== undefined}
          describedBy={sqlError === undefined ? 'sql-description' : 'sql-description sql-error'}
        />
        {sqlError !== undefined && (
          <Text size="xs" c="red.8" id="sql-error">
            {sqlError}
          </Text>
        )}
      </Stack>
      <Textarea
        label="Summary SQL"
        description="Optional. One SELECT that returns a single row of statistics for each run, with the same parameters as the SQL"
        autosize
        minRows={2}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        {...form.getInputProps('summarySql')}
      />
      <TextInput
        label="Schedule"
        description="Optional. A five-field cron expression in UTC, such as 0 6 * * 1. A schedule needs a dataset for every input and a default for every parameter"
        {...form.getInputProps('schedule')}
      />
    </Stack>
  );
}

/**
 * A form for a whole test definition that saves it as the next draft
 * version of its test in `entityCode`. It checks the definition with zod
 * before sending it, and on success opens the test's page at the new draft.
 */
export function DefinitionEditor({
  entityCode,
  initialValues,
  keyEditable,
  cancelPath,
}: {
  entityCode: string;
  initialValues: DefinitionFormValues;
  keyEditable: boolean;
  cancelPath: string;
}) {
  const navigate = useNavigate();
  const draft = useDraftTest();
  const form = useDefinitionForm(initialValues);
  const problems = Object.entries(form.errors).filter(([, message]) => message !== undefined);

  const save = form.onSubmit((values) => {
    const checked = checkDefinition(values);
    if (checked.definition === undefined) return;
    draft.mutate(
      { entity: entityCode, definition: checked.definition },
      {
        onSuccess: (drafted) => {
          navigate(testPath(drafted.key, entityCode, drafted.version));
        },
      },
    );
  });

  return (
    <form aria-label="Test definition" onSubmit={save} noValidate>
      <Stack gap="lg" maw={1100}>
        <Stack component="section" aria-labelledby="about-editor-heading" gap="sm">
          <Title order={2} id="about-editor-heading">
            About the test
          </Title>
          <Text size="sm">Entity: {entityCode}</Text>
          {keyEditable ? (
            <TextInput
              label="Key"
              description="Lowercase letters, digits and hyphens, such as large-payments. It cannot change later"
              required
              maw={420}
              {...form.getInputProps('key')}
            />
          ) : (
            <Text size="sm">
              Key: <code>{form.values.key}</code>
            </Text>
          )}
          <TextInput label="Name" required maw={560} {...form.getInputProps('name')} />
          <Textarea
            label="Description"
            description="What the test finds and how to read its results"
            autosize
            minRows={3}
            {...form.getInputProps('description')}
          />
          <Group align="flex-start">
            <TextInput
              label="Control reference"
              description="Optional, such as AP-07"
              {...form.getInputProps('controlReference')}
            />
            <NativeSelect
              label="Severity"
              data={[...SEVERITIES]}
              {...form.getInputProps('severity')}
            />
          </Group>
        </Stack>
        <InputsEditor form={form} />
        <ParametersEditor form={form} />
        <QueryEditor form={form} />
        <BindingsEditor
          entityCode={entityCode}
          inputs={form.values.inputs}
          bindings={form.values.bindings}
          scheduled={form.values.schedule.trim() !== ''}
          errorOf={(path) => form.errors[path]}
          setBinding={(input, binding) => {
            // The error of the whole section may name this input, so it waits for the next check.
            form.clearFieldError('bindings');
            form.setFieldValue(`bindings.${input}`, binding);
          }}
          removeBinding={(input) => {
            const { [input]: _removed, ...rest } = form.values.bindings;
            form.setFieldValue('bindings', rest);
          }}
        />
        {problems.length > 0 && (
          <Alert color="red" title="The definition has problems to fix before saving">
            <List size="sm">
              {problems.map(([path, message]) => (
                <List.Item key={path}>
                  {describePath(path)}: {String(message)}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        {draft.isError && <ErrorAlert error={draft.error} title="The draft was not saved" />}
        <Group>
          <Button type="submit" loading={draft.isPending}>
            Save as new draft
          </Button>
          <Button component={Link} to={cancelPath} variant="default">
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
