import { Badge, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { formatDateTime } from '../shared/format.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { actionLabel, dispositionLabel, statusLabel } from './exception-labels.ts';
import type { ExceptionDetail, ExceptionEvent } from './exceptions-api.ts';

function EventDetails({ event }: { event: ExceptionEvent }) {
  const lines: string[] = [];
  if (event.assignee !== null) lines.push(`Assignee: ${event.assignee}`);
  if (event.disposition !== null) lines.push(`Disposition: ${dispositionLabel(event.disposition)}`);
  if (event.rationale !== null) lines.push(`Rationale: ${event.rationale}`);
  if (event.comment !== null && event.comment !== '') lines.push(`Comment: ${event.comment}`);
  if (event.runId !== null) lines.push(`Run: ${event.runId}`);
  if (lines.length === 0) return <Text c="dimmed">none</Text>;
  return (
    <Stack gap={2}>
      {lines.map((line) => (
        <Text key={line} size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
          <UntrustedText text={line} multiline />
        </Text>
      ))}
    </Stack>
  );
}

/** Show every workflow step on the exception, oldest first, and its retests. */
export function ExceptionHistory({ exception }: { exception: ExceptionDetail }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="exception-history-heading">
      <Title order={2} size="h4" id="exception-history-heading" mb="sm">
        History
      </Title>
      {exception.history.length === 0 ? (
        <Text size="sm">No step yet: the exception is as the run flagged it.</Text>
      ) : (
        <Table.ScrollContainer minWidth={700}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Step</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>By</Table.Th>
                <Table.Th>Details</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {exception.history.map((event, index) => (
                // History rows have no id of their own and never change or move.
                // biome-ignore lint/suspicious/noArrayIndexKey: see above
                <Table.Tr key={index} data-testid="history-row">
                  <Table.Td>{formatDateTime(event.at)}</Table.Td>
                  <Table.Td>{actionLabel(event.action)}</Table.Td>
                  <Table.Td>
                    {statusLabel(event.fromStatus)} → {statusLabel(event.toStatus)}
                  </Table.Td>
                  <Table.Td>{event.actor ?? <Text c="dimmed">system</Text>}</Table.Td>
                  <Table.Td>
                    <EventDetails event={event} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}

      <Title order={3} size="h5" mt="md" mb="xs">
        Retests
      </Title>
      {exception.retests.length === 0 ? (
        <Text size="sm">No retest was requested.</Text>
      ) : (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Requested</Table.Th>
              <Table.Th>Run</Table.Th>
              <Table.Th>Run status</Table.Th>
              <Table.Th>Result</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {exception.retests.map((retest) => (
              <Table.Tr key={retest.runId}>
                <Table.Td>
                  {formatDateTime(retest.requestedAt)} by {retest.requestedBy}
                </Table.Td>
                <Table.Td>{retest.runId}</Table.Td>
                <Table.Td>{retest.runStatus}</Table.Td>
                <Table.Td>
                  <Badge
                    variant="light"
                    color={
                      retest.result === 'absent'
                        ? 'green'
                        : retest.result === 'present'
                          ? 'red'
                          : 'gray'
                    }
                  >
                    {retest.result === 'absent'
                      ? 'Not flagged again'
                      : retest.result === 'present'
                        ? 'Flagged again'
                        : 'Pending'}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
