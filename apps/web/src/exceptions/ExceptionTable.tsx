import { Anchor, Checkbox, Group, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { OverdueBadge, SeverityBadge, StatusBadge } from './ExceptionBadges.tsx';
import { dispositionLabel, formatKeyValues } from './exception-labels.ts';
import type { ExceptionSummary } from './exceptions-api.ts';

/**
 * Show one page of the queue. With `selectable`, each row has a checkbox and
 * the header one selects or clears the whole page.
 */
export function ExceptionTable({
  items,
  selectable,
  selected,
  onSelectedChange,
}: {
  items: readonly ExceptionSummary[];
  selectable: boolean;
  selected: ReadonlySet<string>;
  onSelectedChange: (selected: Set<string>) => void;
}) {
  const allSelected = items.length > 0 && items.every((item) => selected.has(item.id));
  const someSelected = items.some((item) => selected.has(item.id));

  const toggle = (id: string, checked: boolean) => {
    const next = new Set(selected);
    if (checked) next.add(id);
    else next.delete(id);
    onSelectedChange(next);
  };

  return (
    <Table.ScrollContainer minWidth={900}>
      <Table striped highlightOnHover>
        <Table.Caption>
          Exceptions, newest first. Open one to see its payload, history and evidence.
        </Table.Caption>
        <Table.Thead>
          <Table.Tr>
            {selectable && (
              <Table.Th>
                <Checkbox
                  aria-label="Select every exception on this page"
                  checked={allSelected}
                  indeterminate={someSelected && !allSelected}
                  onChange={(event) =>
                    onSelectedChange(
                      event.currentTarget.checked
                        ? new Set(items.map((item) => item.id))
                        : new Set(),
                    )
                  }
                />
              </Table.Th>
            )}
            <Table.Th>Key</Table.Th>
            <Table.Th>Test</Table.Th>
            <Table.Th>Entity</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Severity</Table.Th>
            <Table.Th>Due</Table.Th>
            <Table.Th>Age (days)</Table.Th>
            <Table.Th>Assignee</Table.Th>
            <Table.Th>Disposition</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => {
            const key = formatKeyValues(item.keyValues);
            const label = key === '' ? item.id : markHiddenCharacters(key);
            return (
              <Table.Tr key={item.id} data-testid="exception-row" data-exception-id={item.id}>
                {selectable && (
                  <Table.Td>
                    <Checkbox
                      aria-label={`Select exception ${label}`}
                      checked={selected.has(item.id)}
                      onChange={(event) => toggle(item.id, event.currentTarget.checked)}
                    />
                  </Table.Td>
                )}
                <Table.Td>
                  <Anchor component={Link} to={`/exceptions/${item.id}`}>
                    {key === '' ? item.id : <UntrustedText text={key} />}
                  </Anchor>
                </Table.Td>
                <Table.Td>{item.testKey}</Table.Td>
                <Table.Td>{item.entityCode}</Table.Td>
                <Table.Td>
                  <StatusBadge status={item.status} />
                </Table.Td>
                <Table.Td>
                  <SeverityBadge severity={item.severity} />
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <Text size="sm">{item.dueOn ?? 'none'}</Text>
                    {item.overdue && <OverdueBadge />}
                  </Group>
                </Table.Td>
                <Table.Td>{item.ageDays}</Table.Td>
                <Table.Td>{item.assignee ?? <Text c="dimmed">unassigned</Text>}</Table.Td>
                <Table.Td>
                  {item.disposition === null ? (
                    <Text c="dimmed">none</Text>
                  ) : (
                    dispositionLabel(item.disposition)
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
