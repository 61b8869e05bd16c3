import { Anchor, Group, Loader, NativeSelect, Stack, Text } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { DefinitionEditor } from './DefinitionEditor.tsx';
import { newTestValues, valuesOfDefinition } from './definition-form.ts';
import { testPath, useTestDefinition, useTests } from './tests-api.ts';

function NotAllowed({ entityCode }: { entityCode: string }) {
  return (
    <Text>
      You may not draft tests in entity {entityCode}. Drafting needs the tests.draft permission
      there.{' '}
      <Anchor component={Link} to="/tests">
        Back to all tests
      </Anchor>
    </Text>
  );
}

function NewTest({ access }: { access: Access }) {
  const [params, setParams] = useSearchParams();
  const listing = useTests();
  const draftable = access.entitiesWith('tests.draft');
  const entityCode = params.get('entity') ?? draftable[0]?.code ?? '';
  const templateKey = params.get('template') ?? '';

  if (draftable.length === 0) {
    return (
      <Text>
        You may not draft tests in any entity. Drafting needs the tests.draft permission.{' '}
        <Anchor component={Link} to="/tests">
          Back to all tests
        </Anchor>
      </Text>
    );
  }
  if (listing.isError) {
    return <ErrorAlert error={listing.error} title="The library templates could not be loaded" />;
  }
  if (listing.isPending) return <Loader aria-label="Loading the library templates" />;

  const entity = access.entityByCode(entityCode);
  const template = listing.data.templates.find((item) => item.key === templateKey);
  const choose = (name: 'entity' | 'template', value: string) => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    setParams(next, { replace: true });
  };
  return (
    <Stack gap="lg">
      <Group align="flex-end">
        <NativeSelect
          label="Entity"
          description="Where the test is stored and runs"
          value={entity?.code ?? ''}
          onChange={(event) => choose('entity', event.currentTarget.value)}
          data={draftable.map((item) => ({ value: item.code, label: item.code }))}
        />
        <NativeSelect
          label="Start from"
          description="A library template fills in its inputs and parameters"
          value={template?.key ?? ''}
          onChange={(event) => choose('template', event.currentTarget.value)}
          data={[
            { value: '', label: 'An empty definition' },
            ...listing.data.templates.map((item) => ({ value: item.key, label: item.name })),
          ]}
        />
      </Group>
      {entity === undefined || !access.can('tests.draft', entity.id) ? (
        <NotAllowed entityCode={entityCode} />
      ) : (
        <DefinitionEditor
          // Another template starts the form again from its inputs and parameters.
          key={template?.key ?? ''}
          entityCode={entity.code}
          initialValues={newTestValues(template)}
          keyEditable
          cancelPath="/tests"
        />
      )}
    </Stack>
  );
}

/** Creates a test: a definition written from scratch or from a library template's inputs and parameters. */
export function NewTestPage() {
  return (
    <Page title="New test">
      <WithAccess>{(access) => <NewTest access={access} />}</WithAccess>
    </Page>
  );
}

function EditDraft({
  testKey,
  entityCode,
  version,
  access,
}: {
  testKey: string;
  entityCode: string;
  version: number | undefined;
  access: Access;
}) {
  const entity = access.entityByCode(entityCode);
  const allowed = entity !== undefined && access.can('tests.draft', entity.id);
  const source = useTestDefinition(testKey, entityCode, version, { enabled: allowed });
  if (!allowed) return <NotAllowed entityCode={entityCode} />;
  if (source.error !== null) {
    return <ErrorAlert error={source.error} title="The version to copy could not be loaded" />;
  }
  if (source.data === undefined) return <Loader aria-label="Loading the version to copy" />;

  return (
    <Stack gap="lg">
      <Text maw={720}>
        Saving stores a copy of version {source.data.version} with your changes as the next draft
        version. The version it copies stays as it is, and the draft runs only as a preview until
        another person approves its activation.
      </Text>
      <DefinitionEditor
        entityCode={entityCode}
        initialValues={valuesOfDefinition(source.data)}
        keyEditable={false}
        cancelPath={testPath(testKey, entityCode, source.data.version)}
      />
    </Stack>
  );
}

/** Edits a copy of one version of a test (`?entity=CODE&version=N`) and saves it as a new draft. */
export function EditDraftPage() {
  const { key = '' } = useParams();
  const [params] = useSearchParams();
  const entityCode = params.get('entity') ?? '';
  const versionText = params.get('version');
  const version =
    versionText !== null && /^\d+$/.test(versionText) ? Number(versionText) : undefined;
  return (
    <Page title={`Edit ${key} as a new draft`}>
      {entityCode === '' ? (
        <Text>
          The address names no entity. Open the test from{' '}
          <Anchor component={Link} to="/tests">
            the list of tests
          </Anchor>
          .
        </Text>
      ) : (
        <WithAccess>
          {(access) => (
            <EditDraft testKey={key} entityCode={entityCode} version={version} access={access} />
          )}
        </WithAccess>
      )}
    </Page>
  );
}
