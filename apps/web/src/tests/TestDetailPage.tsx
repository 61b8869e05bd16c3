import { Anchor, Button, Code, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { ActivationRequestForm } from './ActivationRequestForm.tsx';
import { LazySqlEditor } from './LazySqlEditor.tsx';
import { categoryOf } from './library-filters.ts';
import { InputTable, ParameterTable, SeverityBadge } from './TestFields.tsx';
import {
  runFormPath,
  type TestInScope,
  type TestTemplate,
  testPath,
  useRecordedVersions,
  useTests,
} from './tests-api.ts';
import { VersionHistory } from './VersionHistory.tsx';

function Fact({
  label,
  children,
  testId,
}: {
  label: string;
  children: React.ReactNode;
  testId?: string;
}) {
  return (
    <div>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text component="div" data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

/** Renders the active version's SQL and key columns, and the versions that real runs recorded. */
function RecordedSql({ test }: { test: TestInScope }) {
  const recorded = useRecordedVersions(test.key, test.entityCode);
  if (recorded.error !== null) {
    return <ErrorAlert error={recorded.error} title="The runs of this test could not be loaded" />;
  }
  if (recorded.isPending) return <Loader aria-label="Loading the runs of this test" />;
  const active = recorded.versions.find((entry) => entry.version === test.activeVersion);
  return (
    <>
      <Stack component="section" aria-labelledby="sql-heading" gap="sm">
        <Title order={2} id="sql-heading">
          SQL of the active version
        </Title>
        {active === undefined ? (
          <Text>
            No real run has recorded version {test.activeVersion ?? '—'} yet. The API shows a
            version's SQL only in the record of a run of that version.
          </Text>
        ) : (
          <>
            <Text size="sm">
              Version {active.version}, as run{' '}
              <Anchor component={Link} to={`/runs/${active.run.runId}`}>
                {active.run.runNumber ?? active.run.runId}
              </Anchor>{' '}
              recorded it.
            </Text>
            <LazySqlEditor
              value={active.run.sql}
              label={`SQL of ${test.key} version ${active.version}`}
            />
            <Fact label="Key columns" testId="key-columns">
              {active.run.keyColumns.join(', ')}
            </Fact>
            {active.run.summarySql !== null && (
              <LazySqlEditor
                value={active.run.summarySql}
                label={`Summary SQL of ${test.key} version ${active.version}`}
              />
            )}
          </>
        )}
      </Stack>
      <Stack component="section" aria-labelledby="versions-heading" gap="sm">
        <Title order={2} id="versions-heading">
          Version history
        </Title>
        {recorded.versions.length === 0 ? (
          <Text>No real run of this test has been requested yet.</Text>
        ) : (
          <VersionHistory
            versions={recorded.versions}
            activeVersion={test.activeVersion}
            truncated={recorded.truncated}
          />
        )}
      </Stack>
    </>
  );
}

function Definition({
  name,
  inputs,
  parameters,
}: {
  name: string;
  inputs: TestTemplate['inputs'] | null;
  parameters: TestTemplate['parameters'] | null;
}) {
  return (
    <>
      <Stack component="section" aria-labelledby="inputs-heading" gap="sm">
        <Title order={2} id="inputs-heading">
          Inputs
        </Title>
        {inputs === null ? (
          <Text>{name} has no active version, so its inputs are not known yet.</Text>
        ) : (
          <InputTable inputs={inputs} />
        )}
      </Stack>
      <Stack component="section" aria-labelledby="parameters-heading" gap="sm">
        <Title order={2} id="parameters-heading">
          Parameters
        </Title>
        {parameters === null ? (
          <Text>{name} has no active version, so its parameters are not known yet.</Text>
        ) : (
          <ParameterTable parameters={parameters} />
        )}
      </Stack>
    </>
  );
}

function EntityTest({
  test,
  templates,
  access,
}: {
  test: TestInScope;
  templates: readonly TestTemplate[];
  access: Access;
}) {
  const entity = access.entityByCode(test.entityCode);
  const canRun = entity !== undefined && access.can('runs.execute', entity.id);
  const canDraft = entity !== undefined && access.can('tests.draft', entity.id);
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Fact label="Key">
          <Code>{test.key}</Code>
        </Fact>
        <Fact label="Entity">{test.entityCode}</Fact>
        <Fact label="Category">{categoryOf(test, templates)}</Fact>
        <Fact label="Severity">
          <SeverityBadge severity={test.severity} />
        </Fact>
        <Fact label="Active version" testId="active-version">
          {test.activeVersion ?? 'None'}
        </Fact>
        <Fact label="Template">
          {test.templateKey === null ? (
            'None'
          ) : (
            <Anchor component={Link} to={testPath(test.templateKey)}>
              {test.templateKey}
            </Anchor>
          )}
        </Fact>
        <Fact label="Runs">{test.runs}</Fact>
      </SimpleGrid>
      {canRun && test.activeVersion !== null && (
        <Group>
          <Button component={Link} to={runFormPath(test.key, test.entityCode)}>
            Run this test
          </Button>
        </Group>
      )}
      <Definition name={test.name ?? test.key} inputs={test.inputs} parameters={test.parameters} />
      <RecordedSql test={test} />
      {canDraft && <ActivationRequestForm entityCode={test.entityCode} testKey={test.key} />}
    </Stack>
  );
}

function Template({ template, access }: { template: TestTemplate; access: Access }) {
  const canRun = access.entitiesWith('runs.execute').length > 0;
  return (
    <Stack gap="lg">
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Fact label="Key">
          <Code>{template.key}</Code>
        </Fact>
        <Fact label="Category">{template.category}</Fact>
        <Fact label="Severity">
          <SeverityBadge severity={template.severity} />
        </Fact>
        <Fact label="Template version">{template.version}</Fact>
      </SimpleGrid>
      <Text maw={720}>
        A library template. Its first run in an entity creates a test there, with this template as
        the active version. The API returns no template SQL, so the SQL shows on the test's page
        after that run.
      </Text>
      {canRun && (
        <Group>
          <Button component={Link} to={runFormPath(template.key, undefined)}>
            Run this test
          </Button>
        </Group>
      )}
      <Definition name={template.name} inputs={template.inputs} parameters={template.parameters} />
    </Stack>
  );
}

function TestDetail({
  testKey,
  entityCode,
  access,
}: {
  testKey: string;
  entityCode: string | null;
  access: Access;
}) {
  const listing = useTests();
  if (listing.isError)
    return <ErrorAlert error={listing.error} title="Tests could not be loaded" />;
  if (listing.isPending) return <Loader aria-label="Loading the test" />;

  const { tests, templates } = listing.data;
  if (entityCode !== null) {
    const test = tests.find((item) => item.key === testKey && item.entityCode === entityCode);
    if (test !== undefined) return <EntityTest test={test} templates={templates} access={access} />;
    return (
      <Text>
        No test {testKey} exists in entity {entityCode}, or it is outside your scope.{' '}
        <Anchor component={Link} to="/tests">
          Back to all tests
        </Anchor>
      </Text>
    );
  }
  const template = templates.find((item) => item.key === testKey);
  if (template !== undefined) return <Template template={template} access={access} />;
  return (
    <Text>
      No library template is called {testKey}. A test of an entity needs its entity in the address.{' '}
      <Anchor component={Link} to="/tests">
        Back to all tests
      </Anchor>
    </Text>
  );
}

/** Shows one test of an entity (`?entity=CODE`) or one library template. */
export function TestDetailPage() {
  const { key = '' } = useParams();
  const [params] = useSearchParams();
  const entityCode = params.get('entity');
  const listing = useTests();
  const title =
    (entityCode === null
      ? listing.data?.templates.find((item) => item.key === key)?.name
      : listing.data?.tests.find((item) => item.key === key && item.entityCode === entityCode)
          ?.name) ?? key;
  return (
    <Page title={title}>
      <WithAccess>
        {(access) => <TestDetail testKey={key} entityCode={entityCode} access={access} />}
      </WithAccess>
    </Page>
  );
}
