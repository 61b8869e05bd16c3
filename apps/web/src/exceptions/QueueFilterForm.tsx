import {
  Button,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { EXCEPTION_STATUS_VALUES, SEVERITY_VALUES } from '@peytonix/contracts';
import { z } from 'zod';
import type { AccessCheck } from '../shared/own-access.ts';
import { SEVERITY_LABELS, STATUS_LABELS } from './exception-labels.ts';
import type { ExceptionStatus, Severity, TestListing } from './exceptions-api.ts';
import type { QueueFilters } from './queue-search-params.ts';

type AssigneeMode = 'anyone' | 'me' | 'none' | 'email';

interface FormValues {
  entity: string;
  /** `ENTITY/KEY`, because a test key is unique only within its entity. */
  test: string | null;
  run: string;
  status: string[];
  severity: string[];
  assigneeMode: AssigneeMode;
  assigneeEmail: string;
  minAgeDays: number | string;
  maxAgeDays: number | string;
  q: string;
}

const uuidSchema = z.uuid();
const emailSchema = z.email();

function testValue(entityCode: string, key: string): string {
  return `${entityCode}/${key}`;
}

function assigneeModeOf(assignee: string | undefined): AssigneeMode {
  if (assignee === undefined) return 'anyone';
  if (assignee === 'me' || assignee === 'none') return assignee;
  return 'email';
}

function initialValues(filters: QueueFilters, entity: string): FormValues {
  return {
    entity,
    test: filters.test === undefined ? null : testValue(entity, filters.test),
    run: filters.run ?? '',
    status: [...(filters.status ?? [])],
    severity: [...(filters.severity ?? [])],
    assigneeMode: assigneeModeOf(filters.assignee),
    assigneeEmail: assigneeModeOf(filters.assignee) === 'email' ? (filters.assignee ?? '') : '',
    minAgeDays: filters.minAgeDays ?? '',
    maxAgeDays: filters.maxAgeDays ?? '',
    q: filters.q ?? '',
  };
}

const daysOrUndefined = (value: number | string) =>
  typeof value === 'number' && Number.isInteger(value) ? value : undefined;

function filtersOf(values: FormValues): QueueFilters {
  let entity = values.entity;
  let test: string | undefined;
  if (values.test !== null) {
    const separator = values.test.lastIndexOf('/');
    // The list names a test by a key of the entity filter, so the filter moves to the test's entity.
    entity = values.test.slice(0, separator);
    test = values.test.slice(separator + 1);
  }
  const assignee =
    values.assigneeMode === 'anyone'
      ? undefined
      : values.assigneeMode === 'email'
        ? values.assigneeEmail.trim()
        : values.assigneeMode;
  return {
    entity,
    test,
    run: values.run.trim() === '' ? undefined : values.run.trim().toLowerCase(),
    status: values.status as ExceptionStatus[],
    severity: values.severity as Severity[],
    assignee,
    minAgeDays: daysOrUndefined(values.minAgeDays),
    maxAgeDays: daysOrUndefined(values.maxAgeDays),
    q: values.q.trim() === '' ? undefined : values.q.trim(),
  };
}

/**
 * Edit the queue's filters. Applying them writes them to the page address,
 * and the page re-creates this form when the address changes.
 */
export function QueueFilterForm({
  filters,
  entity,
  access,
  tests,
  onApply,
}: {
  filters: QueueFilters;
  entity: string;
  access: AccessCheck;
  tests: TestListing['tests'] | undefined;
  onApply: (filters: QueueFilters) => void;
}) {
  const form = useForm<FormValues>({
    mode: 'controlled',
    initialValues: initialValues(filters, entity),
    validate: {
      run: (value) =>
        value.trim() === '' || uuidSchema.safeParse(value.trim()).success
          ? null
          : 'Enter a run id (a UUID) or leave the field empty',
      assigneeEmail: (value, values) =>
        values.assigneeMode !== 'email' || emailSchema.safeParse(value.trim()).success
          ? null
          : 'Enter the email address of the assignee',
      maxAgeDays: (value, values) =>
        typeof value === 'number' &&
        typeof values.minAgeDays === 'number' &&
        value < values.minAgeDays
          ? 'The maximum age must be at least the minimum age'
          : null,
    },
  });

  const subtree = access.subtreeOf(form.values.entity);
  const testOptions = (tests ?? [])
    .filter((test) => subtree.has(test.entityCode))
    .map((test) => ({
      value: testValue(test.entityCode, test.key),
      label:
        test.name === null
          ? `${test.key} (${test.entityCode})`
          : `${test.name}: ${test.key} (${test.entityCode})`,
    }));

  const entityOptions = access.entities.map((item) => ({
    value: item.code,
    label: `${'  '.repeat(item.depth)}${item.code}: ${item.name}`,
  }));

  return (
    <Paper
      withBorder
      p="md"
      component="form"
      aria-label="Filter exceptions"
      onSubmit={form.onSubmit((values) => onApply(filtersOf(values)))}
      onReset={(event) => {
        event.preventDefault();
        onApply({ entity });
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
        <Select
          label="Entity"
          description="This entity and everything below it"
          data={entityOptions}
          allowDeselect={false}
          searchable
          {...form.getInputProps('entity')}
          onChange={(value) => {
            if (value === null) return;
            form.setFieldValue('entity', value);
            form.setFieldValue('test', null);
          }}
        />
        <Select
          label="Test"
          placeholder="Any test"
          data={testOptions}
          clearable
          searchable
          nothingFoundMessage="No test in this entity"
          {...form.getInputProps('test')}
        />
        <TextInput
          label="Run id"
          placeholder="Any run"
          description="Exceptions that this run flagged"
          {...form.getInputProps('run')}
        />
        <TextInput
          label="Text search"
          description="In the key values and the payload, ignoring case"
          maxLength={200}
          {...form.getInputProps('q')}
        />
        <MultiSelect
          label="Status"
          placeholder={form.values.status.length === 0 ? 'Any status' : undefined}
          data={EXCEPTION_STATUS_VALUES.map((value) => ({
            value,
            label: STATUS_LABELS[value],
          }))}
          clearable
          {...form.getInputProps('status')}
        />
        <MultiSelect
          label="Severity"
          placeholder={form.values.severity.length === 0 ? 'Any severity' : undefined}
          data={SEVERITY_VALUES.map((value) => ({ value, label: SEVERITY_LABELS[value] }))}
          clearable
          {...form.getInputProps('severity')}
        />
        <Select
          label="Assignee"
          data={[
            { value: 'anyone', label: 'Anyone or no one' },
            { value: 'me', label: 'Me' },
            { value: 'none', label: 'No one (unassigned)' },
            { value: 'email', label: 'Someone else, by email' },
          ]}
          allowDeselect={false}
          {...form.getInputProps('assigneeMode')}
        />
        {form.values.assigneeMode === 'email' && (
          <TextInput
            label="Assignee email"
            type="email"
            autoComplete="off"
            {...form.getInputProps('assigneeEmail')}
          />
        )}
        <NumberInput
          label="Minimum age (days)"
          min={0}
          max={36500}
          allowDecimal={false}
          allowNegative={false}
          {...form.getInputProps('minAgeDays')}
        />
        <NumberInput
          label="Maximum age (days)"
          min={0}
          max={36500}
          allowDecimal={false}
          allowNegative={false}
          {...form.getInputProps('maxAgeDays')}
        />
      </SimpleGrid>
      <Group mt="md">
        <Button type="submit">Apply filters</Button>
        <Button type="reset" variant="default">
          Clear filters
        </Button>
      </Group>
    </Paper>
  );
}
