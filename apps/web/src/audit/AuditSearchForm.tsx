import { Button, Group, NativeSelect, Paper, SimpleGrid, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { auditSearchQuerySchema } from '@peytonix/contracts';
import type { UserSummary } from '../admin/users-api.ts';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { EntityInScope } from '../entities/entity-access.ts';
import { validateWith } from '../shared/zod-validator.ts';

/** The form's fields, which are also the page's query parameters. */
export interface SearchFields {
  action: string;
  actorId: string;
  actorType: string;
  outcome: string;
  targetType: string;
  targetId: string;
  /** Entity code, which the page turns into the entity id the API takes. */
  entity: string;
  /** Local date and time in the format of an `<input type="datetime-local">`. */
  from: string;
  to: string;
}

export const EMPTY_FIELDS: SearchFields = {
  action: '',
  actorId: '',
  actorType: '',
  outcome: '',
  targetType: '',
  targetId: '',
  entity: '',
  from: '',
  to: '',
};

const { shape } = auditSearchQuerySchema;
/** Validate a filter only when it is set, because every filter is optional. */
const optional = (schema: Parameters<typeof validateWith>[0]) => {
  const validate = validateWith(schema);
  return (value: string) => (value === '' ? null : validate(value));
};

/** Filters of the audit search: action, actor, target, entity, time range and outcome. */
export function AuditSearchForm({
  initial,
  entities,
  users,
  onSearch,
}: {
  initial: SearchFields;
  entities: readonly EntityInScope[];
  /** Users to choose an actor from, or undefined when the user may not list users. */
  users: readonly UserSummary[] | undefined;
  onSearch: (fields: SearchFields) => void;
}) {
  const form = useForm<SearchFields>({
    mode: 'controlled',
    initialValues: initial,
    validate: {
      action: optional(shape.action),
      actorId: optional(shape.actorId),
      targetType: optional(shape.targetType),
      targetId: optional(shape.targetId),
      to: (to, values) =>
        to !== '' && values.from !== '' && new Date(to) < new Date(values.from)
          ? 'The end of the range is before its start'
          : null,
    },
  });

  return (
    <Paper withBorder p="md">
      <form onSubmit={form.onSubmit(onSearch)} noValidate aria-label="Search the audit trail">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          <TextInput
            label="Action"
            placeholder="access.grant_created"
            description="An action code, such as auth.login_failed"
            {...form.getInputProps('action')}
          />
          {users === undefined ? (
            <TextInput label="Actor id" placeholder="UUID" {...form.getInputProps('actorId')} />
          ) : (
            <NativeSelect
              label="Actor"
              data={[
                { value: '', label: 'Anyone' },
                ...users.map((user) => ({ value: user.id, label: user.email })),
              ]}
              {...form.getInputProps('actorId')}
            />
          )}
          <NativeSelect
            label="Actor type"
            data={[
              { value: '', label: 'Any type' },
              ...['user', 'system', 'scim', 'ai', 'anonymous'].map((value) => ({
                value,
                label: value,
              })),
            ]}
            {...form.getInputProps('actorType')}
          />
          <TextInput
            label="Target type"
            placeholder="grant"
            {...form.getInputProps('targetType')}
          />
          <TextInput label="Target id" {...form.getInputProps('targetId')} />
          <EntitySelect
            entities={entities}
            value={form.getValues().entity}
            onChange={(code) => form.setFieldValue('entity', code)}
            allLabel="Any entity"
            description="Events of that entity only"
          />
          <TextInput label="From" type="datetime-local" {...form.getInputProps('from')} />
          <TextInput label="To" type="datetime-local" {...form.getInputProps('to')} />
          <NativeSelect
            label="Outcome"
            data={[
              { value: '', label: 'Any outcome' },
              ...['success', 'denied', 'failure'].map((value) => ({ value, label: value })),
            ]}
            {...form.getInputProps('outcome')}
          />
        </SimpleGrid>
        <Group mt="md">
          <Button type="submit">Search</Button>
          <Button
            variant="default"
            onClick={() => {
              form.setValues(EMPTY_FIELDS);
              onSearch(EMPTY_FIELDS);
            }}
          >
            Clear filters
          </Button>
        </Group>
      </form>
    </Paper>
  );
}
