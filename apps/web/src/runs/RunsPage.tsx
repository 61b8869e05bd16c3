import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { runIdParamsSchema } from '@peytonix/contracts';
import { Link, useNavigate } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { Page } from '../shared/Page.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { RunHistory } from './RunHistory.tsx';

function OpenRunForm() {
  const navigate = useNavigate();
  const form = useForm({
    initialValues: { id: '' },
    validate: { id: validateWith(runIdParamsSchema.shape.id) },
  });
  return (
    <form onSubmit={form.onSubmit(({ id }) => navigate(`/runs/${id.trim().toLowerCase()}`))}>
      <Group align="flex-start">
        <TextInput
          label="Run id"
          placeholder="0f8fad5b-d9cb-469f-a165-70867728950e"
          w={360}
          {...form.getInputProps('id')}
        />
        <Button type="submit" variant="default" mt={25}>
          Open run
        </Button>
      </Group>
    </form>
  );
}

function RunsContent({ access }: { access: Access }) {
  const canRun = access.entitiesWith('runs.execute').length > 0;
  if (access.entitiesWith('runs.read').length === 0) {
    return <Text>Runs need a role on an entity. Ask an administrator for one.</Text>;
  }
  return (
    <Stack gap="xl">
      <Text>
        A run executes one version of a test on fixed dataset versions and records the SQL, the
        parameters, the input fingerprints, the exceptions and a hash of the result.
      </Text>
      <Group align="flex-end" justify="space-between">
        <OpenRunForm />
        {canRun && (
          <Button component={Link} to="/runs/new">
            Run a test
          </Button>
        )}
      </Group>
      <RunHistory access={access} />
    </Stack>
  );
}

/** Lists the run history in scope with filters, opens a run by id, and starts new runs. */
export function RunsPage() {
  return (
    <Page title="Runs">
      <WithAccess>{(access) => <RunsContent access={access} />}</WithAccess>
    </Page>
  );
}
