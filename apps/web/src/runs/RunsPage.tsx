import {
  Anchor,
  Badge,
  Button,
  Group,
  Loader,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { runIdParamsSchema } from '@peytonix/contracts';
import { useDeferredValue, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { RecentRuns } from './RecentRuns.tsx';
import { type TestInScope, useTests } from './runs-api.ts';

const PAGE_SIZE = 25;

const SEVERITY_COLORS: Record<string, string> = {
  low: 'gray',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

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

interface SelectedTest {
  entityCode: string;
  key: string;
}

function TestRow({
  test,
  access,
  onShowRuns,
}: {
  test: TestInScope;
  access: Access;
  onShowRuns: (test: SelectedTest) => void;
}) {
  const entity = access.entityByCode(test.entityCode);
  const readsRuns = entity !== undefined && access.can('dashboards.read', entity.id);
  return (
    <Table.Tr data-testid="test-row" data-key={test.key}>
      <Table.Td>
        <Text size="sm">{test.name ?? test.key}</Text>
        <Text size="xs" c="dimmed">
          <code>{test.key}</code>
          {test.templateKey !== null && ' (from the library)'}
        </Text>
      </Table.Td>
      <Table.Td>{test.entityCode}</Table.Td>
      <Table.Td>
        {test.severity !== null && (
          <Badge variant="dot" color={SEVERITY_COLORS[test.severity] ?? 'gray'}>
            {test.severity}
          </Badge>
        )}
      </Table.Td>
      <Table.Td>{test.activeVersion ?? 'none'}</Table.Td>
      <Table.Td>{test.runs}</Table.Td>
      <Table.Td>
        {readsRuns && test.runs > 0 && (
          <Button
            size="xs"
            variant="default"
            onClick={() => onShowRuns({ entityCode: test.entityCode, key: test.key })}
            aria-label={`Show the runs of ${test.key} in ${test.entityCode}`}
          >
            Show runs
          </Button>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function TestsTable({ access }: { access: Access }) {
  const tests = useTests();
  const [entityCode, setEntityCode] = useState('');
  const [text, setText] = useState('');
  const [selected, setSelected] = useState<SelectedTest | undefined>();
  const deferredText = useDeferredValue(text.trim().toLowerCase());

  const filtered = useMemo(() => {
    const entity = entityCode === '' ? undefined : access.entityByCode(entityCode);
    const codes = entity === undefined ? undefined : access.subtreeCodes(entity.id);
    return (tests.data?.tests ?? []).filter(
      (test) =>
        (codes === undefined || codes.has(test.entityCode)) &&
        (deferredText === '' ||
          test.key.includes(deferredText) ||
          (test.name ?? '').toLowerCase().includes(deferredText)),
    );
  }, [tests.data, entityCode, deferredText, access]);
  const pageOf = usePageOf(filtered, PAGE_SIZE);

  return (
    <Stack component="section" aria-labelledby="tests-heading">
      <Title order={2} id="tests-heading">
        Tests and their runs
      </Title>
      <Text size="sm">
        Each run of a test gets the next run number, so the number of runs is the latest run number.
        Choose Show runs for a test's succeeded runs, which needs the dashboards permission on its
        entity.
      </Text>
      <Group align="flex-end">
        <EntitySelect
          entities={access.entitiesWith('tests.read')}
          value={entityCode}
          onChange={setEntityCode}
          allLabel="All entities"
          description="Includes the entities below it"
        />
        <TextInput
          label="Test"
          placeholder="Key or name"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
        />
      </Group>
      {tests.isPending && <Loader aria-label="Loading tests" />}
      {tests.isError && <ErrorAlert error={tests.error} title="Tests could not be loaded" />}
      {tests.isSuccess &&
        (filtered.length === 0 ? (
          <Text size="sm">
            {tests.data.tests.length === 0
              ? 'No test has been created in your entities yet. The first run of a library template creates its test.'
              : 'No test matches these filters.'}
          </Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={720}>
              <Table striped aria-labelledby="tests-heading">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Test</Table.Th>
                    <Table.Th>Entity</Table.Th>
                    <Table.Th>Severity</Table.Th>
                    <Table.Th>Active version</Table.Th>
                    <Table.Th>Runs</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {pageOf.items.map((test) => (
                    <TestRow key={test.id} test={test} access={access} onShowRuns={setSelected} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <ListPagination pageOf={pageOf} noun="tests" label="Pages of tests" />
          </>
        ))}
      {selected !== undefined && (
        <RecentRuns
          key={`${selected.entityCode}/${selected.key}`}
          entityCode={selected.entityCode}
          testKey={selected.key}
        />
      )}
    </Stack>
  );
}

function RunsContent({ access }: { access: Access }) {
  const canRun = access.entitiesWith('runs.execute').length > 0;
  const readsDashboards = access.entitiesWith('dashboards.read').length > 0;
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
      <TestsTable access={access} />
      <Text size="sm" c="dimmed">
        To open a run that is not listed here, such as a failed run or a preview, enter its id
        above. The command line prints the id of each run it requests.
        {readsDashboards && (
          <>
            {' '}
            The{' '}
            <Anchor component={Link} to="/dashboard" size="sm" underline="always">
              dashboard
            </Anchor>{' '}
            links to the recent runs of each test.
          </>
        )}
      </Text>
    </Stack>
  );
}

/** Lists the tests in scope with their runs, opens a run by id, and starts new runs. */
export function RunsPage() {
  return (
    <Page title="Runs">
      <WithAccess>{(access) => <RunsContent access={access} />}</WithAccess>
    </Page>
  );
}
