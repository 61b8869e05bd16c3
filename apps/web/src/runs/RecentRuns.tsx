import { Anchor, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useExceptionTrend } from '../dashboard/dashboard-api.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';

/** Number of runs that the list of a test's recent runs shows. */
const RECENT_RUNS = 25;

/**
 * Lists the latest succeeded real runs of one test, newest first, with what each
 * flagged and closed. NOTE: the API lists no runs of other statuses, so
 * failed, cancelled and preview runs are missing here.
 */
export function RecentRuns({ entityCode, testKey }: { entityCode: string; testKey: string }) {
  const trend = useExceptionTrend(entityCode, testKey, RECENT_RUNS);
  const headingId = `recent-runs-${entityCode}-${testKey}`;
  return (
    <Stack gap="xs" component="section" aria-labelledby={headingId}>
      <Title order={2} size="h3" id={headingId}>
        Succeeded runs of {testKey} in {entityCode}
      </Title>
      {trend.isPending && <Loader size="sm" aria-label="Loading the runs" />}
      {trend.isError && <ErrorAlert error={trend.error} title="The runs could not be loaded" />}
      {trend.isSuccess &&
        (trend.data.runs.length === 0 ? (
          <Text size="sm">The test has no succeeded run yet.</Text>
        ) : (
          <Table striped withTableBorder aria-labelledby={headingId}>
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
              {trend.data.runs.toReversed().map((run) => (
                <Table.Tr key={run.id}>
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
        ))}
    </Stack>
  );
}
