import { Alert, Button, Code, CopyButton, Group, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { createUserInputSchema } from '@peytonix/contracts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { validateWith } from '../shared/zod-validator.ts';
import { useCreateUser } from './users-api.ts';

/**
 * Creates a user and shows their one-time setup secret, with which they
 * set a first password. The server returns the secret only in this response.
 */
export function CreateUserForm() {
  const create = useCreateUser();
  const form = useForm({
    mode: 'controlled',
    initialValues: { email: '', displayName: '' },
    validate: {
      email: validateWith(createUserInputSchema.shape.email),
      displayName: validateWith(createUserInputSchema.shape.displayName),
    },
  });

  return (
    <Stack gap="sm">
      <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
        <Group align="flex-start">
          <TextInput label="Email" required type="email" {...form.getInputProps('email')} />
          <TextInput label="Display name" required {...form.getInputProps('displayName')} />
          <Button type="submit" mt={25} loading={create.isPending}>
            Create user
          </Button>
        </Group>
      </form>
      {create.isError && <ErrorAlert error={create.error} title="The user could not be created" />}
      {create.isSuccess && (
        <Alert color="blue" title={`Created ${create.data.email}`}>
          <Stack gap="xs">
            <Text size="sm">
              Give this one-time setup secret to {create.data.displayName} through a trusted
              channel. They set a first password with it on the sign-in page, until{' '}
              {formatDateTime(create.data.setupSecretExpiresAt)}. It is not shown again.
            </Text>
            <Group gap="xs">
              <Code data-testid="setup-secret">{create.data.setupSecret}</Code>
              <CopyButton value={create.data.setupSecret}>
                {({ copied, copy }) => (
                  <Button size="xs" variant="light" onClick={copy}>
                    {copied ? 'Copied' : 'Copy secret'}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
        </Alert>
      )}
    </Stack>
  );
}
