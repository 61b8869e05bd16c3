import { Badge, Code, Table, Text } from '@mantine/core';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { diffStates } from './state-diff.ts';

/**
 * Renders the before and after states of a change request side by side,
 * one row per field, and marks the changed rows with a badge and a tint, so
 * the change does not rely on color alone.
 */
export function StateDiff({ before, after }: { before: unknown; after: unknown }) {
  const fields = diffStates(before, after);
  const changedCount = fields.filter((field) => field.changed).length;
  return (
    <>
      <Text size="sm">
        {changedCount === 1 ? '1 field changes.' : `${changedCount} fields change.`}
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table aria-label="Changes between the before and after states" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Field</Table.Th>
              <Table.Th>Before</Table.Th>
              <Table.Th>After</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {fields.map((field) => (
              <Table.Tr
                key={field.path}
                data-testid="diff-row"
                data-changed={field.changed}
                {...(field.changed ? { bg: 'var(--mantine-color-yellow-light)' } : {})}
              >
                <Table.Td>
                  <Code>{field.path}</Code>{' '}
                  {field.changed && (
                    <Badge color="yellow" variant="light" size="sm">
                      Changed
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  {field.before === undefined ? (
                    <Text c="dimmed">absent</Text>
                  ) : (
                    <Code>
                      <UntrustedText text={field.before} multiline />
                    </Code>
                  )}
                </Table.Td>
                <Table.Td>
                  {field.after === undefined ? (
                    <Text c="dimmed">absent</Text>
                  ) : (
                    <Code>
                      <UntrustedText text={field.after} multiline />
                    </Code>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
