import {
  Anchor,
  Button,
  Code,
  Group,
  List,
  Loader,
  SimpleGrid,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import type { InputBinding } from '@peytonix/contracts';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { ActivationRequestForm } from './ActivationRequestForm.tsx';
import { readDefinition } from './definition-form.ts';
import { LazySqlEditor } from './LazySqlEditor.tsx';
import { categoryOf } from './library-filters.ts';
import { InputTable, ParameterTable, SeverityBadge } from './TestFields.tsx';
import {
  editDraftPath,
  newTestPath,
  runFormPath,
  type TestInScope,
  type TestTemplate,
  type TestVersionSummary,
  testPath,
  useTestDefinition,
  useTests,
  useTestVersions,
} from './tests-api.ts';
import { VersionHistory, VersionStateBadge } from './VersionHistory.tsx';

/**
 * Describe a binding as "payments → Payments version 2, vendor_id ←
 * VendorNum", with the mapped fields in the order the input declares them.
 */
function describeBinding(
  input: string,
  binding: InputBinding,
  declaredFields: readonly string[],
): string {
  const version = binding.version === undefined ? '(latest)' : `version ${binding.version}`;
  const mapped = Object.entries(binding.fields ?? {}).sort(
    ([left], [right]) => declaredFields.indexOf(left) - declaredFields.indexOf(right),
  );
  const fields = mapped.map(([field, column]) => `, ${field} ← ${column}`);
  return `${input} → ${binding.dataset} ${version}${fields.join('')}`;
}

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

/** Return the version the page shows: the one in the address, else the active one, else the newest. */
function shownVersionOf(
  requested: number | undefined,
  test: TestInScope,
  versions: readonly TestVersionSummary[],
): number | undefined {
  if (requested !== undefined) return requested;
  return test.activeVersion ?? versions[0]?.version;
}

/** Renders one stored version: its SQL, key columns, schedule and the rest of its definition. */
function VersionDefinition({
  test,
  summary,
  canDraft,
}: {
  test: TestInScope;
  summary: TestVersionSummary;
  canDraft: boolean;
}) {
  const exported = useTestDefinition(test.key, test.entityCode, summary.version);
  if (exported.error !== null) {
    return (
      <ErrorAlert error={exported.error} title={`Version ${summary.version} could not be loaded`} />
    );
  }
  if (exported.data === undefined)
    return <Loader aria-label={`Loading version ${summary.version}`} />;

  const data = exported.data;
  const definition = readDefinition(data);
  const schedule = typeof data.schedule === 'string' ? data.schedule : null;
  const keyColumns = Array.isArray(data.keyColumns) ? data.keyColumns.map(String) : [];
  const controlReference = typeof data.controlReference === 'string' ? data.controlReference : null;
  const summarySql = typeof data.summarySql === 'string' ? data.summarySql : null;
  const bindings = definition?.bindings === undefined ? [] : Object.entries(definition.bindings);
  // The server rejects drafts under a library template's key, so such a test cannot get new versions.
  const editable = canDraft && test.key !== test.templateKey;
  return (
    <>
      <Stack component="section" aria-labelledby="version-heading" gap="sm">
        <Group justify="space-between" align="center">
          <Group gap="sm">
            <Title order={2} id="version-heading">
              Version {summary.version}
            </Title>
            <VersionStateBadge state={summary.state} />
          </Group>
          {editable && (
            <Button
              component={Link}
              to={editDraftPath(test.key, test.entityCode, summary.version)}
              variant="light"
            >
              Edit as new draft
            </Button>
          )}
        </Group>
        {canDraft && !editable && (
          <Text size="sm" maw={720}>
            This test carries the key of a library template, and drafts under a template&apos;s key
            are not accepted. Start a new test from the template to change its SQL.
          </Text>
        )}
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Fact label="Key columns" testId="key-columns">
            {keyColumns.join(', ')}
          </Fact>
          <Fact label="Schedule (cron, UTC)" testId="schedule">
            {schedule === null ? 'None, runs only on request' : <Code>{schedule}</Code>}
          </Fact>
          <Fact label="Control reference">{controlReference ?? 'None'}</Fact>
          <Fact label="Created by">{summary.createdBy}</Fact>
          <Fact label="Created">{formatDateTime(summary.createdAt)}</Fact>
          <Fact label="Decided">
            {summary.decidedAt === null ? 'Not yet' : formatDateTime(summary.decidedAt)}
          </Fact>
        </SimpleGrid>
        {typeof data.description === 'string' && data.description !== '' && (
          <Fact label="Description">
            <Text style={{ whiteSpace: 'pre-wrap' }}>{data.description}</Text>
          </Fact>
        )}
        {bindings.length > 0 && (
          <Fact label="Dataset bindings" testId="dataset-bindings">
            <List size="sm">
              {bindings.map(([input, binding]) => (
                <List.Item key={input} data-testid="dataset-binding">
                  {describeBinding(
                    input,
                    binding,
                    definition?.inputs
                      .find((candidate) => candidate.name === input)
                      ?.fields.map((field) => field.name) ?? [],
                  )}
                </List.Item>
              ))}
            </List>
          </Fact>
        )}
      </Stack>
      <Definition
        name={test.name ?? test.key}
        inputs={definition?.inputs ?? null}
        parameters={definition?.parameters ?? null}
      />
      <Stack component="section" aria-labelledby="sql-heading" gap="sm">
        <Title order={2} id="sql-heading">
          SQL
        </Title>
        <LazySqlEditor value={data.sql} label={`SQL of ${test.key} version ${summary.version}`} />
        {summarySql !== null && (
          <>
            <Title order={3}>Summary SQL</Title>
            <LazySqlEditor
              value={summarySql}
              label={`Summary SQL of ${test.key} version ${summary.version}`}
            />
          </>
        )}
      </Stack>
    </>
  );
}

/** Renders the shown version, the version history with its comparison, and the request for approval. */
function TestVersions({
  test,
  requestedVersion,
  canDraft,
}: {
  test: TestInScope;
  requestedVersion: number | undefined;
  canDraft: boolean;
}) {
  const listing = useTestVersions(test.key, test.entityCode);
  if (listing.error !== null) {
    return (
      <ErrorAlert error={listing.error} title="The versions of this test could not be loaded" />
    );
  }
  if (listing.data === undefined) return <Loader aria-label="Loading the versions of this test" />;

  const versions = listing.data.versions;
  const shownVersion = shownVersionOf(requestedVersion, test, versions);
  const summary = versions.find((entry) => entry.version === shownVersion);
  return (
    <>
      {summary === undefined ? (
        <Text>
          {shownVersion === undefined
            ? 'This test has no versions yet.'
            : `This test has no version ${shownVersion}.`}
        </Text>
      ) : (
        <VersionDefinition test={test} summary={summary} canDraft={canDraft} />
      )}
      <Stack component="section" aria-labelledby="versions-heading" gap="sm">
        <Title order={2} id="versions-heading">
          Version history
        </Title>
        {summary !== undefined && (
          <VersionHistory
            testKey={test.key}
            entityCode={test.entityCode}
            versions={versions}
            shownVersion={summary.version}
            activeVersion={test.activeVersion}
          />
        )}
      </Stack>
      {canDraft && (
        <ActivationRequestForm
          // A newly shown draft fills in the version field again.
          key={summary?.version}
          entityCode={test.entityCode}
          testKey={test.key}
          initialVersion={summary?.state === 'draft' ? summary.version : undefined}
        />
      )}
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
          <Text>The inputs of this version of {name} are not in a form this page reads.</Text>
        ) : (
          <InputTable inputs={inputs} />
        )}
      </Stack>
      <Stack component="section" aria-labelledby="parameters-heading" gap="sm">
        <Title order={2} id="parameters-heading">
          Parameters
        </Title>
        {parameters === null ? (
          <Text>The parameters of this version of {name} are not in a form this page reads.</Text>
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
  requestedVersion,
}: {
  test: TestInScope;
  templates: readonly TestTemplate[];
  access: Access;
  requestedVersion: number | undefined;
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
      <TestVersions test={test} requestedVersion={requestedVersion} canDraft={canDraft} />
    </Stack>
  );
}

function Template({ template, access }: { template: TestTemplate; access: Access }) {
  const canRun = access.entitiesWith('runs.execute').length > 0;
  const canDraft = access.entitiesWith('tests.draft').length > 0;
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
      {(canRun || canDraft) && (
        <Group>
          {canRun && (
            <Button component={Link} to={runFormPath(template.key, undefined)}>
              Run this test
            </Button>
          )}
          {canDraft && (
            <Button component={Link} to={newTestPath(undefined, template.key)} variant="light">
              New test from this template
            </Button>
          )}
        </Group>
      )}
      <Definition name={template.name} inputs={template.inputs} parameters={template.parameters} />
    </Stack>
  );
}

function TestDetail({
  testKey,
  entityCode,
  requestedVersion,
  access,
}: {
  testKey: string;
  entityCode: string | null;
  requestedVersion: number | undefined;
  access: Access;
}) {
  const listing = useTests();
  if (listing.isError)
    return <ErrorAlert error={listing.error} title="Tests could not be loaded" />;
  if (listing.isPending) return <Loader aria-label="Loading the test" />;

  const { tests, templates } = listing.data;
  if (entityCode !== null) {
    const test = tests.find((item) => item.key === testKey && item.entityCode === entityCode);
    if (test !== undefined) {
      return (
        <EntityTest
          test={test}
          templates={templates}
          access={access}
          requestedVersion={requestedVersion}
        />
      );
    }
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
  const versionText = params.get('version');
  const requestedVersion =
    versionText !== null && /^\d+$/.test(versionText) ? Number(versionText) : undefined;
  const listing = useTests();
  const title =
    (entityCode === null
      ? listing.data?.templates.find((item) => item.key === key)?.name
      : listing.data?.tests.find((item) => item.key === key && item.entityCode === entityCode)
          ?.name) ?? key;
  return (
    <Page title={title}>
      <WithAccess>
        {(access) => (
          <TestDetail
            testKey={key}
            entityCode={entityCode}
            requestedVersion={requestedVersion}
            access={access}
          />
        )}
      </WithAccess>
    </Page>
  );
}
