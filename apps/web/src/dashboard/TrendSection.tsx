import { Anchor, Group, Loader, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import type { ExceptionTrend } from '@peytonix/contracts';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import type { TestInScope } from '../runs/runs-api.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { trendChartOption } from './chart-options.ts';
import { useExceptionTrend } from './dashboard-api.ts';
import { LazyEChart } from './LazyEChart.tsx';

const RUN_COUNTS = ['10', '25', '50', '100'];

function describeTrend(trend: ExceptionTrend): string {
  const runs = trend.runs.map(
    (run) =>
      `run ${run.runNumber}: ${run.new} new, ${run.recurring} recurring, ${run.reopened} reopened, ${run.closed} closed`,
  );
  return `Bar chart of the latest ${trend.runs.length} succeeded runs of ${trend.test.key}: ${runs.join('; ')}.`;
}

function TrendChart({
  entityCode,
  testKey,
  runs,
}: {
  entityCode: string;
  testKey: string;
  runs: number;
}) {
  const trend = useExceptionTrend(entityCode, testKey, runs);
  const option = useMemo(
    () => (trend.data === undefined ? undefined : trendChartOption(trend.data)),
    [trend.data],
  );
  if (trend.isPending) return <Loader aria-label="Loading the runs of the test" />;
  if (trend.isError) return <ErrorAlert error={trend.error} title="The runs could not be loaded" />;
  if (trend.data.runs.length === 0 || option === undefined) {
    return <Text size="sm">This test has no succeeded run yet.</Text>;
  }
  return (
    <Stack gap="xs">
      <LazyEChart option={option} label={describeTrend(trend.data)} />
      <Table.ScrollContainer minWidth={560}>
        <Table striped withTableBorder aria-label={`Runs of ${testKey}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Run</Table.Th>
              <Table.Th>Finished</Table.Th>
              <Table.Th>New</Table.Th>
              <Table.Th>Recurring</Table.Th>
              <Table.Th>Reopened</Table.Th>
              <Table.Th>Closed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {trend.data.runs.map((run) => (
              <Table.Tr key={run.id} data-testid="trend-row">
                <Table.Td>
                  <Anchor component={Link} to={`/runs/${run.id}`}>
                    Run {run.runNumber}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  {run.finishedAt === null ? '—' : formatDateTime(run.finishedAt)}
                </Table.Td>
                <Table.Td>{run.new}</Table.Td>
                <Table.Td>{run.recurring}</Table.Td>
                <Table.Td>{run.reopened}</Table.Td>
                <Table.Td>{run.closed}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/**
 * Shows a chart of what each recent run of one test flagged and closed. The
 * choice lists the tests of the chosen entity's subtree that have run.
 */
export function TrendSection({ tests }: { tests: readonly TestInScope[] }) {
  const [chosen, setChosen] = useState('');
  const [runs, setRuns] = useState(RUN_COUNTS[0] ?? '10');
  const options = tests.map((test) => ({
    value: `${test.entityCode}/${test.key}`,
    label: `${test.name ?? test.key} (${test.key}, ${test.entityCode})`,
  }));
  const selected = tests.find((test) => `${test.entityCode}/${test.key}` === chosen) ?? tests[0];

  return (
    <Stack gap="xs" component="section" aria-labelledby="trend-heading">
      <Title order={2} size="h3" id="trend-heading">
        Runs of a test
      </Title>
      <Text size="sm" c="dimmed">
        For each succeeded run, oldest first: the exceptions it flagged as new, recurring or
        reopened, and those it closed because their key was no longer in the data.
      </Text>
      {selected === undefined ? (
        <Text size="sm">No test of this entity has run yet.</Text>
      ) : (
        <>
          <Group align="flex-end">
            <NativeSelect
              label="Test"
              data={options}
              value={`${selected.entityCode}/${selected.key}`}
              onChange={(event) => setChosen(event.currentTarget.value)}
            />
            <NativeSelect
              label="Runs shown"
              data={RUN_COUNTS}
              value={runs}
              onChange={(event) => setRuns(event.currentTarget.value)}
            />
          </Group>
          <TrendChart entityCode={selected.entityCode} testKey={selected.key} runs={Number(runs)} />
        </>
      )}
    </Stack>
  );
}
