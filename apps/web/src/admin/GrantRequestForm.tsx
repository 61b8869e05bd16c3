import {
  Alert,
  Anchor,
  Button,
  NativeSelect,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { justificationSchema, ROLE_NAMES } from '@peytonix/contracts';
import { Link } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { useRequestGrant } from './grants-api.ts';
import type { UserSummary } from './users-api.ts';

const validateJustification = validateWith(justificationSchema);
const required = (what: string) => (value: string) => (value === '' ? `Choose ${what}` : null);

/**
 * Requests a role for a user on an entity. The request becomes a grant only
 * when another reviewer or administrator approves it. No one requests a
 * grant for themselves, so the signed-in user is not offered.
 */
export function GrantRequestForm({
  access,
  users,
}: {
  access: Access;
  users: readonly UserSummary[];
}) {
  const account = useSignedInAccount();
  const requestGrant = useRequestGrant();
  const entities = access.entitiesWith('grants.request');
  const candidates = users.filter((user) => user.status === 'active' && user.id !== account.userId);
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      userId: '',
      role: '',
      entityCode: entities[0]?.code ?? '',
      justification: '',
    },
    validate: {
      userId: required('a user'),
      role: required('a role'),
      entityCode: required('an entity'),
      justification: validateJustification,
    },
  });

  const submit = form.onSubmit((values) => {
    const role = ROLE_NAMES.find((name) => name === values.role);
    if (role === undefined) return;
    requestGrant.mutate(
      {
        userId: values.userId,
        role,
        entityCode: values.entityCode,
        justification: values.justification,
      },
      { onSuccess: () => form.reset() },
    );
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <Text size="sm">
          A grant request is a change request: the role is granted only when another reviewer or
          administrator approves it in Change requests.
        </Text>
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <NativeSelect
            label="User"
            required
            data={[
              { value: '', label: 'Choose a user' },
              ...candidates.map((user) => ({
                value: user.id,
                label: `${user.displayName} <${user.email}>`,
              })),
            ]}
            {...form.getInputProps('userId')}
          />
          <NativeSelect
            label="Role"
            required
            data={[{ value: '', label: 'Choose a role' }, ...ROLE_NAMES]}
            {...form.getInputProps('role')}
          />
          <EntitySelect
            entities={entities}
            label="Entity"
            description="The role covers this entity and everything below it"
            required
            value={form.getValues().entityCode}
            onChange={(code) => form.setFieldValue('entityCode', code)}
          />
        </SimpleGrid>
        <Textarea
          label="Justification"
          description="Why the user needs the role; the approver reads it. At most 2,000 characters."
          required
          autosize
          minRows={2}
          {...form.getInputProps('justification')}
        />
        <div>
          <Button type="submit" loading={requestGrant.isPending}>
            Request grant
          </Button>
        </div>
        {requestGrant.isError && (
          <ErrorAlert error={requestGrant.error} title="The grant could not be requested" />
        )}
        {requestGrant.isSuccess && (
          <Alert color="blue" title="Grant requested">
            The role is granted once another reviewer or administrator approves{' '}
            <Anchor
              component={Link}
              to={`/change-requests/${requestGrant.data.id}`}
              c="inherit"
              underline="always"
            >
              the change request
            </Anchor>
            .
          </Alert>
        )}
      </Stack>
    </form>
  );
}
