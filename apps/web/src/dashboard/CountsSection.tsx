import { Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { ExceptionAgeing, ExceptionCounts } from '@peytonix/contracts';
import { SEVERITIES } from './chart-options.ts';

const STATUS_LABELS: Record<keyof ExceptionCounts['byStatus'], string> = {
  open: 'Open',
  in_progress: 'In progress',
  proposed: 'Proposed',
  closed: 'Closed',
};

function Stat({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} data-testid={testId}>
        {value.toLocaleString()}
      </Text>
    </Paper>
  );
}

/** Exceptions not closed and overdue, and counts by severity and status. */
export function CountsOverview({
  counts,
  ageing,
}: {
  counts: ExceptionCounts;
  ageing: ExceptionAgeing | undefined;
}) {
  const notClosedBySeverity = (severity: (typeof SEVERITIES)[number]) =>
    ageing?.buckets.reduce((sum, bucket) => sum + bucket.bySeverity[severity], 0);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Stat label="Not closed" value={counts.notClosed} testId="count-not-closed" />
        <Stat label={`Overdue on ${counts.today}`} value={counts.overdue} testId="count-overdue" />
        <Stat label="Closed" value={counts.byStatus.closed} testId="count-closed" />
        <Stat label="All exceptions" value={counts.total} testId="count-total" />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Stack gap="xs" component="section" aria-labelledby="severity-heading">
          <Title order={2} size="h3" id="severity-heading">
            By severity
          </Title>
          <Table withTableBorder aria-labelledby="severity-heading">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Not closed</Table.Th>
                <Table.Th>All</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {SEVERITIES.map((severity) => (
                <Table.Tr key={severity} data-testid="severity-row" data-severity={severity}>
                  <Table.Td>{severity}</Table.Td>
                  <Table.Td>{notClosedBySeverity(severity) ?? '—'}</Table.Td>
                  <Table.Td>{counts.bySeverity[severity]}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
        <Stack gap="xs" component="section" aria-labelledby="status-heading">
          <Title order={2} size="h3" id="status-heading">
            By status
          </Title>
          <Table withTableBorder aria-labelledby="status-heading">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Status</Table.Th>
                <Table.Th>Exceptions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {Object.entries(STATUS_LABELS).map(([status, label]) => (
                <Table.Tr key={status}>
                  <Table.Td>{label}</Table.Td>
                  <Table.Td>{counts.byStatus[status as keyof typeof STATUS_LABELS]}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}

/** Shows the counts of each entity, or each test, that has exceptions. */
export function GroupCountsTable({
  id,
  title,
  firstColumn,
  rows,
  empty,
}: {
  id: string;
  title: string;
  firstColumn: string;
  rows: { key: string; label: string; total: number; notClosed: number; overdue: number }[];
  empty: string;
}) {
  return (
    <Stack gap="xs" component="section" aria-labelledby={id}>
      <Title order={2} size="h3" id={id}>
        {title}
      </Title>
      {rows.length === 0 ? (
        <Text size="sm">{empty}</Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped withTableBorder aria-labelledby={id}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{firstColumn}</Table.Th>
                <Table.Th>Not closed</Table.Th>
                <Table.Th>Overdue</Table.Th>
                <Table.Th>All</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row) => (
                <Table.Tr key={row.key} data-testid={`${id}-row`}>
                  <Table.Td>{row.label}</Table.Td>
                  <Table.Td>{row.notClosed}</Table.Td>
                  <Table.Td>{row.overdue}</Table.Td>
                  <Table.Td>{row.total}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
