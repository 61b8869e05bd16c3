import { Alert, Anchor, Loader, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { runName } from './run-format.ts';
import { type RunDetail, useRun } from './runs-api.ts';

function HashCell({ hash }: { hash: string | null }) {
  return hash === null ? (
    <Text size="sm">none</Text>
  ) : (
    <code style={{ wordBreak: 'break-all' }}>{hash}</code>
  );
}

/**
 * Compares the result hash of a re-performance with that of the run it
 * repeats. The hash covers every result row and value, so equal hashes
 * mean the same SQL on the same dataset versions gave the same result.
 */
export function ReperformComparison({ run, originalId }: { run: RunDetail; originalId: string }) {
  const original = useRun(originalId);
  if (original.isPending) return <Loader aria-label="Loading the original run" />;
  if (original.isError) {
    return <ErrorAlert error={original.error} title="The original run could not be loaded" />;
  }

  const ended = run.status === 'succeeded' && run.resultHash !== null;
  const identical = ended && run.resultHash === original.data.resultHash;
  return (
    <Stack gap="sm">
      <Text size="sm">
        This run re-performs{' '}
        <Anchor component={Link} to={`/runs/${original.data.runId}`} underline="always">
          {runName(original.data)}
        </Anchor>{' '}
        with the same SQL, parameters and dataset versions.
      </Text>
      <Table withTableBorder variant="vertical" aria-label="Result hashes">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={220}>Original result hash</Table.Th>
            <Table.Td data-testid="original-result-hash">
              <HashCell hash={original.data.resultHash} />
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Re-performed result hash</Table.Th>
            <Table.Td data-testid="reperformed-result-hash">
              <HashCell hash={run.resultHash} />
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {!ended ? (
        <Text size="sm" role="status">
          The hashes can be compared once the re-performance has succeeded.
        </Text>
      ) : identical ? (
        <Alert
          color="green"
          title="The hashes match"
          data-testid="hash-comparison"
          // Green 9 on the pale green background is below 4.5:1, so the title uses the text color.
          styles={{ title: { color: 'var(--mantine-color-text)' } }}
        >
          The re-performance reproduced the original result exactly.
        </Alert>
      ) : (
        <Alert color="red" title="The hashes differ" data-testid="hash-comparison">
          The re-performance did not reproduce the original result. Compare the flagged rows of both
          runs, and check that the original run succeeded.
        </Alert>
      )}
    </Stack>
  );
}
