import {
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useDeferredValue, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { CreateEntityModal } from './CreateEntityModal.tsx';
import type { Access, EntityInScope } from './entity-access.ts';
import { ENTITY_TYPE_LABELS, type EntityTreeRow, orderAsTree } from './entity-tree.ts';
import { WithAccess } from './WithAccess.tsx';

const PAGE_SIZE = 50;
/** Indent of one tree level in the name column, in pixels. */
const LEVEL_INDENT_PX = 20;

type TypeFilter = EntityInScope['type'] | '';
type StatusFilter = EntityInScope['status'] | '';

function matches(
  row: EntityTreeRow,
  filter: { text: string; type: TypeFilter; status: StatusFilter },
): boolean {
  const { entity } = row;
  if (filter.type !== '' && entity.type !== filter.type) return false;
  if (filter.status !== '' && entity.status !== filter.status) return false;
  if (filter.text === '') return true;
  const text = filter.text.toLowerCase();
  return entity.name.toLowerCase().includes(text) || entity.code.toLowerCase().includes(text);
}

function EntityRow({ row, access }: { row: EntityTreeRow; access: Access }) {
  const { entity, level } = row;
  const parent = entity.parentId === null ? undefined : access.entityById(entity.parentId);
  return (
    <Table.Tr data-testid="entity-row" data-code={entity.code}>
      <Table.Td>
        <Box pl={level * LEVEL_INDENT_PX}>
          <Text size="sm" fw={level === 0 ? 600 : 400}>
            {entity.name}
          </Text>
        </Box>
      </Table.Td>
      <Table.Td>
        <Anchor component={Link} to={`/entities/${encodeURIComponent(entity.code)}`}>
          <code>{entity.code}</code>
        </Anchor>
      </Table.Td>
      <Table.Td>{ENTITY_TYPE_LABELS[entity.type]}</Table.Td>
      <Table.Td>{parent === undefined ? '—' : parent.code}</Table.Td>
      <Table.Td>
        <Badge variant="dot" color={entity.status === 'active' ? 'green' : 'gray'}>
          {entity.status}
        </Badge>
      </Table.Td>
      <Table.Td>{formatDateTime(entity.createdAt)}</Table.Td>
    </Table.Tr>
  );
}

function EntityTree({ access }: { access: Access }) {
  const [text, setText] = useState('');
  const [type, setType] = useState<TypeFilter>('');
  const [status, setStatus] = useState<StatusFilter>('');
  const [createOpen, createDialog] = useDisclosure(false);
  const [created, setCreated] = useState<string | undefined>();
  const deferredText = useDeferredValue(text.trim());

  const tree = useMemo(() => orderAsTree(access.entities), [access.entities]);
  const rows = useMemo(
    () => tree.filter((row) => matches(row, { text: deferredText, type, status })),
    [tree, deferredText, type, status],
  );
  const pageOf = usePageOf(rows, PAGE_SIZE);
  const parents = access
    .entitiesWith('entities.manage')
    .filter((entity) => entity.status === 'active');

  return (
    <Stack>
      <Text>
        Business units, subsidiaries and engagements that your roles cover, each below its parent. A
        role granted on an entity holds on every entity below it.
      </Text>
      <Group align="flex-end" justify="space-between">
        <Group align="flex-end">
          <TextInput
            label="Search"
            placeholder="Name or code"
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
          />
          <NativeSelect
            label="Type"
            value={type}
            onChange={(event) => setType(event.currentTarget.value as TypeFilter)}
            data={[
              { value: '', label: 'All types' },
              ...Object.entries(ENTITY_TYPE_LABELS).map(([value, label]) => ({ value, label })),
            ]}
          />
          <NativeSelect
            label="Status"
            value={status}
            onChange={(event) => setStatus(event.currentTarget.value as StatusFilter)}
            data={[
              { value: '', label: 'All statuses' },
              { value: 'active', label: 'Active' },
              { value: 'archived', label: 'Archived' },
            ]}
          />
        </Group>
        {parents.length > 0 && <Button onClick={createDialog.open}>Create entity</Button>}
      </Group>
      {created !== undefined && (
        <Text role="status" size="sm">
          Entity {created} was created.
        </Text>
      )}
      {access.entities.length === 0 ? (
        <Text>You have no role on any entity yet. Ask an administrator for one.</Text>
      ) : rows.length === 0 ? (
        <Text>No entity matches these filters.</Text>
      ) : (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label="Entities">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Code</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Parent</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {pageOf.items.map((row) => (
                <EntityRow key={row.entity.id} row={row} access={access} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <ListPagination pageOf={pageOf} noun="entities" label="Pages of entities" />
      {parents.length > 0 && (
        <CreateEntityModal
          opened={createOpen}
          onClose={createDialog.close}
          parents={parents}
          onCreated={(code) => {
            setCreated(code);
            createDialog.close();
          }}
        />
      )}
    </Stack>
  );
}

/** Lists the entities in the user's scope as a tree, and creates entities for administrators. */
export function EntitiesPage() {
  return (
    <Page title="Entities">
      <WithAccess>{(access) => <EntityTree access={access} />}</WithAccess>
    </Page>
  );
}
