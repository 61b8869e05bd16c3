import {
  Anchor,
  Button,
  Group,
  Loader,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDeferredValue, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { EntitySelect } from '../entities/EntitySelect.tsx';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import {
  categoriesOf,
  categoryOf,
  filterTemplates,
  filterTests,
  type LibraryFilters,
} from './library-filters.ts';
import { InputList, ParameterList, SeverityBadge } from './TestFields.tsx';
import {
  newTestPath,
  type TestInScope,
  type TestTemplate,
  testPath,
  useTests,
} from './tests-api.ts';

const PAGE_SIZE = 20;

function TestTable({
  tests,
  templates,
}: {
  tests: readonly TestInScope[];
  templates: readonly TestTemplate[];
}) {
  const pageOf = usePageOf(tests, PAGE_SIZE);
  return (
    <>
      <Table.ScrollContainer minWidth={900}>
        <Table striped aria-label="Tests in your entities">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Test</Table.Th>
              <Table.Th>Entity</Table.Th>
              <Table.Th>Category</Table.Th>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Active version</Table.Th>
              <Table.Th>Inputs</Table.Th>
              <Table.Th>Parameters</Table.Th>
              <Table.Th>Runs</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((test) => (
              <Table.Tr key={test.id} data-testid="test-row">
                <Table.Td>
                  <Anchor component={Link} to={testPath(test.key, test.entityCode)}>
                    {test.name ?? test.key}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {test.key}
                  </Text>
                </Table.Td>
                <Table.Td>{test.entityCode}</Table.Td>
                <Table.Td>{categoryOf(test, templates)}</Table.Td>
                <Table.Td>
                  <SeverityBadge severity={test.severity} />
                </Table.Td>
                <Table.Td>{test.activeVersion ?? 'None'}</Table.Td>
                <Table.Td>
                  <InputList inputs={test.inputs} />
                </Table.Td>
                <Table.Td>
                  <ParameterList parameters={test.parameters} />
                </Table.Td>
                <Table.Td>{test.runs}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="tests" label="Pages of tests" />
    </>
  );
}

function TemplateTable({ templates }: { templates: readonly TestTemplate[] }) {
  const pageOf = usePageOf(templates, PAGE_SIZE);
  return (
    <>
      <Table.ScrollContainer minWidth={900}>
        <Table striped aria-label="Library templates">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Template</Table.Th>
              <Table.Th>Category</Table.Th>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Version</Table.Th>
              <Table.Th>Inputs</Table.Th>
              <Table.Th>Parameters</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((template) => (
              <Table.Tr key={template.key} data-testid="template-row">
                <Table.Td>
                  <Anchor component={Link} to={testPath(template.key)}>
                    {template.name}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {template.key}
                  </Text>
                </Table.Td>
                <Table.Td>{template.category}</Table.Td>
                <Table.Td>
                  <SeverityBadge severity={template.severity} />
                </Table.Td>
                <Table.Td>{template.version}</Table.Td>
                <Table.Td>
                  <InputList inputs={template.inputs} />
                </Table.Td>
                <Table.Td>
                  <ParameterList parameters={template.parameters} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="templates" label="Pages of templates" />
    </>
  );
}

function TestLibrary({ access }: { access: Access }) {
  const listing = useTests();
  const [entityCode, setEntityCode] = useState('');
  const [category, setCategory] = useState('');
  const [text, setText] = useState('');
  const deferredText = useDeferredValue(text.trim().toLowerCase());
  const readable = access.entitiesWith('tests.read');

  const filters: LibraryFilters = { entityCode, category, text: deferredText };
  const tests = listing.data?.tests ?? [];
  const templates = listing.data?.templates ?? [];
  const entityCodes = useMemo(() => {
    const entity = entityCode === '' ? undefined : access.entityByCode(entityCode);
    return entity === undefined ? undefined : access.subtreeCodes(entity.id);
  }, [entityCode, access]);
  const shownTests = filterTests(tests, templates, filters, entityCodes);
  const shownTemplates = filterTemplates(templates, filters);

  if (readable.length === 0) {
    return <Text>Tests need a role on an entity. Ask an administrator for one.</Text>;
  }
  return (
    <Stack>
      <Text maw={720}>
        Tests are DuckDB SQL whose result rows become exceptions. A library template becomes a test
        of an entity the first time someone runs it there.
      </Text>
      {access.entitiesWith('tests.draft').length > 0 && (
        <Group>
          <Button component={Link} to={newTestPath(entityCode === '' ? undefined : entityCode)}>
            New test
          </Button>
        </Group>
      )}
      <Group align="flex-end" role="search" aria-label="Test filters">
        <EntitySelect
          entities={readable}
          value={entityCode}
          onChange={setEntityCode}
          allLabel="All entities"
          description="Includes the entities below it"
        />
        <NativeSelect
          label="Category"
          value={category}
          onChange={(event) => setCategory(event.currentTarget.value)}
          data={[
            { value: '', label: 'All categories' },
            ...categoriesOf(tests, templates).map((value) => ({ value, label: value })),
          ]}
        />
        <TextInput
          label="Text"
          placeholder="Search by key or name"
          value={text}
          onChange={(event) => setText(event.currentTarget.value)}
        />
      </Group>
      {listing.isPending && <Loader aria-label="Loading tests" />}
      {listing.isError && <ErrorAlert error={listing.error} title="Tests could not be loaded" />}
      {listing.isSuccess && (
        <>
          <Title order={2}>Tests in your entities</Title>
          {shownTests.length === 0 ? (
            <Text>
              {tests.length === 0
                ? 'No test has been created in your entities yet. Run a library template to create one.'
                : 'No test matches these filters.'}
            </Text>
          ) : (
            <TestTable tests={shownTests} templates={templates} />
          )}
          <Title order={2}>Library templates</Title>
          {shownTemplates.length === 0 ? (
            <Text>No template matches these filters.</Text>
          ) : (
            <TemplateTable templates={shownTemplates} />
          )}
        </>
      )}
    </Stack>
  );
}

/** Lists the tests in the user's entities and the library templates, filtered by entity, category and text. */
export function TestLibraryPage() {
  return (
    <Page title="Tests">
      <WithAccess>{(access) => <TestLibrary access={access} />}</WithAccess>
    </Page>
  );
}
