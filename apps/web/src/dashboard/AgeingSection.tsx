import { Stack, Table, Text, Title } from '@mantine/core';
import type { ExceptionAgeing } from '@peytonix/contracts';
import { useMemo } from 'react';
import { formatDateTime } from '../shared/format.ts';
import { ageingChartOption, SEVERITIES } from './chart-options.ts';
import { LazyEChart } from './LazyEChart.tsx';

function describeAgeing(ageing: ExceptionAgeing): string {
  const parts = ageing.buckets.map((bucket) => `${bucket.count} aged ${bucket.label} days`);
  return `Bar chart of the ${ageing.total} exceptions not closed by age: ${parts.join(', ')}. The table below has the numbers by severity.`;
}

/** Exceptions not closed by age bucket and severity, as a chart and a table. */
export function AgeingSection({ ageing }: { ageing: ExceptionAgeing }) {
  const option = useMemo(() => ageingChartOption(ageing), [ageing]);
  return (
    <Stack gap="xs" component="section" aria-labelledby="ageing-heading">
      <Title order={2} size="h3" id="ageing-heading">
        Ageing of exceptions not closed
      </Title>
      <Text size="sm" c="dimmed">
        Whole days since each exception was first flagged, as of {formatDateTime(ageing.asOf)}. Each
        bucket includes both of its edges.
      </Text>
      {ageing.total === 0 ? (
        <Text size="sm">No exception is open.</Text>
      ) : (
        <LazyEChart option={option} label={describeAgeing(ageing)} height={280} />
      )}
      <Table.ScrollContainer minWidth={480}>
        <Table withTableBorder aria-labelledby="ageing-heading">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Age in days</Table.Th>
              {SEVERITIES.map((severity) => (
                <Table.Th key={severity}>{severity}</Table.Th>
              ))}
              <Table.Th>Total</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {ageing.buckets.map((bucket) => (
              <Table.Tr key={bucket.label} data-testid="ageing-row">
                <Table.Td>{bucket.label}</Table.Td>
                {SEVERITIES.map((severity) => (
                  <Table.Td key={severity}>{bucket.bySeverity[severity]}</Table.Td>
                ))}
                <Table.Td>{bucket.count}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
