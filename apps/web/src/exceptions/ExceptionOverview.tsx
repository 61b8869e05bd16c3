import { Anchor, Code, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../shared/format.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { dispositionLabel } from './exception-labels.ts';
import type { ExceptionDetail } from './exceptions-api.ts';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500} component="dt">
        {label}
      </Text>
      <Text size="sm" component="dd" m={0}>
        {children}
      </Text>
    </div>
  );
}

const none = (
  <Text span c="dimmed" size="sm">
    none
  </Text>
);

function byAt(who: string | null, at: string | null): ReactNode {
  if (who === null) return none;
  return at === null ? who : `${who}, ${formatDateTime(at)}`;
}

function payloadText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Show the exception's workflow fields and the payload of the flagged row. */
export function ExceptionOverview({ exception }: { exception: ExceptionDetail }) {
  const runLink = (runId: string) => (
    <Anchor
      component={Link}
      to={`/exceptions?entity=${encodeURIComponent(exception.entityCode)}&run=${runId}`}
    >
      {runId}
    </Anchor>
  );

  return (
    <Stack gap="md">
      <Paper withBorder p="md" component="section" aria-labelledby="exception-state-heading">
        <Title order={2} size="h4" id="exception-state-heading" mb="sm">
          State
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} component="dl" m={0}>
          <Field label="Test">
            {exception.testKey} in {exception.entityCode}
          </Field>
          <Field label="Due">
            {exception.dueOn ?? none}
            {exception.overdue ? ' (overdue)' : ''}
          </Field>
          <Field label="Age">{exception.ageDays} days</Field>
          <Field label="Assignee">{exception.assignee ?? none}</Field>
          <Field label="Disposition">
            {exception.disposition === null ? none : dispositionLabel(exception.disposition)}
          </Field>
          <Field label="Duplicate of">
            {exception.duplicateOf === null ? (
              none
            ) : (
              <Anchor component={Link} to={`/exceptions/${exception.duplicateOf}`}>
                {exception.duplicateOf}
              </Anchor>
            )}
          </Field>
          <Field label="Proposed by">{byAt(exception.proposedBy, exception.proposedAt)}</Field>
          <Field label="Reviewed by">{byAt(exception.reviewedBy, exception.reviewedAt)}</Field>
          <Field label="Risk accepted by">
            {byAt(exception.riskAcceptedBy, exception.riskAcceptedAt)}
          </Field>
          <Field label="Closed">
            {exception.closedAt === null
              ? none
              : `${formatDateTime(exception.closedAt)}${exception.closedReason === null ? '' : `: ${exception.closedReason}`}`}
          </Field>
          <Field label="First flagged by run">{runLink(exception.firstRunId)}</Field>
          <Field label="Last flagged by run">{runLink(exception.lastRunId)}</Field>
          {exception.reopenedRunId !== null && (
            <Field label="Reopened by run">{runLink(exception.reopenedRunId)}</Field>
          )}
          <Field label="Revision">{exception.revision}</Field>
          <Field label="Exception id">
            <Code>{exception.id}</Code>
          </Field>
        </SimpleGrid>
        <Stack gap={4} mt="md">
          <Text size="xs" c="dimmed" fw={500}>
            Rationale
          </Text>
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="exception-rationale">
            {exception.rationale === null ? (
              none
            ) : (
              <UntrustedText text={exception.rationale} multiline />
            )}
          </Text>
        </Stack>
      </Paper>

      <Paper withBorder p="md" component="section" aria-labelledby="exception-payload-heading">
        <Title order={2} size="h4" id="exception-payload-heading" mb="sm">
          Flagged row
        </Title>
        <Table.ScrollContainer minWidth={400}>
          <Table>
            <Table.Caption>The row as the last run that flagged it saw it.</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Value</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {Object.entries(exception.payload).map(([field, value]) => (
                <Table.Tr key={field}>
                  <Table.Td>
                    <Code>{field}</Code>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>
                    <UntrustedText text={payloadText(value)} multiline />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Paper>
    </Stack>
  );
}
