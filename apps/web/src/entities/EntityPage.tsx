import { Anchor, Badge, Group, Stack, Table, Text } from '@mantine/core';
import { Link, useParams } from 'react-router';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { SignOffPanel } from '../sign-offs/SignOffPanel.tsx';
import type { Access, EntityInScope } from './entity-access.ts';
import { ENTITY_TYPE_LABELS } from './entity-tree.ts';
import { WithAccess } from './WithAccess.tsx';

const BACK_LINK = (
  <Anchor component={Link} to="/entities" size="sm">
    All entities
  </Anchor>
);

function EntityFacts({ entity, access }: { entity: EntityInScope; access: Access }) {
  const parent = entity.parentId === null ? undefined : access.entityById(entity.parentId);
  return (
    <Table variant="vertical" withTableBorder aria-label="Entity">
      <Table.Tbody>
        <Table.Tr>
          <Table.Th w={200}>Code</Table.Th>
          <Table.Td>
            <code>{entity.code}</code>
          </Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Type</Table.Th>
          <Table.Td>{ENTITY_TYPE_LABELS[entity.type]}</Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Parent</Table.Th>
          <Table.Td>{parent === undefined ? '—' : `${parent.name} (${parent.code})`}</Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Status</Table.Th>
          <Table.Td>
            <Badge variant="dot" color={entity.status === 'active' ? 'green' : 'gray'}>
              {entity.status}
            </Badge>
          </Table.Td>
        </Table.Tr>
        <Table.Tr>
          <Table.Th>Created</Table.Th>
          <Table.Td>{formatDateTime(entity.createdAt)}</Table.Td>
        </Table.Tr>
      </Table.Tbody>
    </Table>
  );
}

function EntityDetails({ entity, access }: { entity: EntityInScope; access: Access }) {
  return (
    <Stack gap="xl">
      <Group gap="md">
        {BACK_LINK}
        <Anchor component={Link} to={`/exceptions?entity=${encodeURIComponent(entity.code)}`}>
          Exceptions of {entity.code}
        </Anchor>
      </Group>
      <EntityFacts entity={entity} access={access} />
      {entity.type === 'engagement' ? (
        <SignOffPanel
          target={{ targetType: 'engagement', target: entity.code }}
          permissions={{
            investigate: access.can('exceptions.investigate', entity.id),
            review: access.can('exceptions.review', entity.id),
          }}
        />
      ) : (
        <Text size="sm">
          Only an engagement has workpapers to sign off. The results of a run are signed on the
          run's page.
        </Text>
      )}
    </Stack>
  );
}

/** Shows one entity in the user's scope (/entities/:code), and an engagement's sign-offs. */
export function EntityPage() {
  const { code = '' } = useParams();
  return (
    <WithAccess>
      {(access) => {
        const entity = access.entityByCode(code);
        if (entity === undefined) {
          return (
            <Page title="Entity not found">
              {BACK_LINK}
              <Text>
                No entity {JSON.stringify(code)} is in your scope. Pick one from the list of
                entities, or ask an administrator for a role on it.
              </Text>
            </Page>
          );
        }
        return (
          <Page
            title={entity.name === entity.code ? entity.code : `${entity.name} (${entity.code})`}
          >
            <EntityDetails entity={entity} access={access} />
          </Page>
        );
      }}
    </WithAccess>
  );
}
