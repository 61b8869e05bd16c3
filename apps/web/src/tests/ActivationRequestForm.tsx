import {
  Alert,
  Anchor,
  Button,
  Group,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { testActivationRequestInputSchema } from '@peytonix/contracts';
import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { requestTestActivation } from './tests-api.ts';

const validateVersion = validateWith(testActivationRequestInputSchema.shape.version);
const validateJustification = validateWith(testActivationRequestInputSchema.shape.justification);

/** Parse the version field. Text that is not a whole number becomes NaN. */
function parseVersion(text: string): number {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * Check the version field with the contracts schema. Text that is not a
 * number gets the schema's own wording, because zod reports NaN as "received NaN".
 */
function checkVersion(text: string): string | null {
  const version = parseVersion(text);
  return Number.isNaN(version) ? 'Expected a whole version number' : validateVersion(version);
}

/**
 * Request activation of a draft version of the test: a change request that
 * another person approves. `initialVersion` fills in the version field.
 */
export function ActivationRequestForm({
  entityCode,
  testKey,
  initialVersion,
}: {
  entityCode: string;
  testKey: string;
  initialVersion?: number | undefined;
}) {
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      version: initialVersion === undefined ? '' : String(initialVersion),
      justification: '',
    },
    validate: {
      version: (value) => checkVersion(value),
      justification: (value) => validateJustification(value),
    },
  });
  const submit = useMutation({
    mutationFn: (values: { version: string; justification: string }) =>
      requestTestActivation({
        entity: entityCode,
        test: testKey,
        version: parseVersion(values.version),
        justification: values.justification,
      }),
  });

  return (
    <Stack component="section" aria-labelledby="activation-heading" gap="sm">
      <Title order={2} id="activation-heading">
        Submit a draft for approval
      </Title>
      <Text size="sm" maw={720}>
        A draft version becomes active only when another person approves its change request. Create
        a draft with Edit as new draft above, or import one with{' '}
        <code>peytonix tests import FILE --entity {entityCode}</code>.
      </Text>
      <form
        aria-label="Submit a draft for approval"
        onSubmit={form.onSubmit((values) => submit.mutate(values))}
      >
        <Stack gap="sm" maw={560}>
          <TextInput
            label="Draft version"
            inputMode="numeric"
            required
            {...form.getInputProps('version')}
          />
          <Textarea
            label="Justification"
            description="Why this version should replace the active one"
            autosize
            minRows={3}
            required
            {...form.getInputProps('justification')}
          />
          <Group>
            <Button type="submit" loading={submit.isPending}>
              Submit for approval
            </Button>
          </Group>
        </Stack>
      </form>
      {submit.isError && <ErrorAlert error={submit.error} title="The draft was not submitted" />}
      {submit.isSuccess && (
        <Alert color="blue" role="status" title="Submitted for approval">
          <Text size="sm">
            Change request{' '}
            <Anchor component={Link} to={`/change-requests/${submit.data.id}`}>
              {submit.data.id}
            </Anchor>{' '}
            waits for another person to approve it.
          </Text>
        </Alert>
      )}
    </Stack>
  );
}
