import { Anchor, Button, Code, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { Access } from '../entities/entity-access.ts';
import { WithAccess } from '../entities/WithAccess.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { Page } from '../shared/Page.tsx';
import { SignOffPanel } from '../sign-offs/SignOffPanel.tsx';
import { ReperformComparison } from './ReperformComparison.tsx';
import { RunInputs, RunParameters } from './RunInputs.tsx';
import { RunRowsSection } from './RunRowsSection.tsx';
import { RunStatusPanel } from './RunStatusPanel.tsx';
import { formatDuration, runDuration, runName } from './run-format.ts';
import { type RunDetail, reperformRun, useRun } from './runs-api.ts';

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <Stack component="section" aria-labelledby={id} gap="sm">
      <Title order={2} id={id}>
        {title}
      </Title>
      {children}
    </Stack>
  );
}

function Field({
  label,
  children,
  testId,
}: {
  label: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <Table.Tr>
      <Table.Th w={200}>{label}</Table.Th>
      <Table.Td data-testid={testId}>{children}</Table.Td>
    </Table.Tr>
  );
}

function RunFacts({ run }: { run: RunDetail }) {
  const duration = runDuration(run);
  return (
    <Table variant="vertical" withTableBorder aria-label="Run">
      <Table.Tbody>
        <Field label="Test">
          <code>{run.testKey}</code>, version {run.testVersion}
        </Field>
        <Field label="Entity">{run.entityCode}</Field>
        <Field label="Run number">
          {run.runNumber ?? 'none: kept apart like a preview, so it moves no exceptions'}
        </Field>
        <Field label="Requested">
          {formatDateTime(run.requestedAt)} by {run.requestedBy}
        </Field>
        <Field label="Started">
          {run.startedAt === null ? '—' : formatDateTime(run.startedAt)}
        </Field>
        <Field label="Finished">
          {run.finishedAt === null ? '—' : formatDateTime(run.finishedAt)}
        </Field>
        <Field label="Duration" testId="run-duration">
          {duration === undefined ? '—' : formatDuration(duration)}
        </Field>
        <Field label={run.preview ? 'Result rows' : 'Exceptions'} testId="exception-count">
          {run.exceptionCount ?? '—'}
        </Field>
        <Field label="Result hash (SHA-256)" testId="result-hash">
          {run.resultHash === null ? (
            '—'
          ) : (
            <code style={{ wordBreak: 'break-all' }}>{run.resultHash}</code>
          )}
        </Field>
        <Field label="Key columns">{run.keyColumns.join(', ')}</Field>
        <Field label="DuckDB version">{run.duckdbVersion ?? '—'}</Field>
      </Table.Tbody>
    </Table>
  );
}

/** Queues a re-performance of a succeeded run, then opens it, where the hashes are compared once it ends. */
function ReperformSection({ run }: { run: RunDetail }) {
  const navigate = useNavigate();
  const reperform = useMutation({
    mutationFn: () => reperformRun(run.runId),
    onSuccess: ({ runId }) => navigate(`/runs/${runId}`),
  });
  return (
    <Section id="reperform-heading" title="Re-perform">
      <Text size="sm">
        A re-performance runs the same SQL with the same parameters on the same dataset versions,
        kept apart like a preview so it moves no exceptions. Its page follows it until it ends and
        then compares its result hash with this run's.
      </Text>
      <Group>
        <Button variant="default" onClick={() => reperform.mutate()} loading={reperform.isPending}>
          Re-perform this run
        </Button>
      </Group>
      {reperform.isError && (
        <ErrorAlert error={reperform.error} title="The re-performance was not queued" />
      )}
    </Section>
  );
}

function RunDetails({ run, access }: { run: RunDetail; access: Access }) {
  const entity = access.entityByCode(run.entityCode);
  const canExecute = entity !== undefined && access.can('runs.execute', entity.id);
  const may = (permission: string) => entity !== undefined && access.can(permission, entity.id);
  // The server signs off only a succeeded run that is not a preview or a re-performance.
  const signable = run.status === 'succeeded' && !run.preview;
  return (
    <Stack gap="xl">
      <RunStatusPanel run={run} canExecute={canExecute} />
      <RunFacts run={run} />
      {signable && (
        <SignOffPanel
          target={{ targetType: 'run', target: run.runId }}
          permissions={{
            investigate: may('exceptions.investigate'),
            review: may('exceptions.review'),
          }}
        />
      )}
      {run.reperformsRunId !== null && (
        <Section id="comparison-heading" title="Comparison with the original run">
          <ReperformComparison run={run} originalId={run.reperformsRunId} />
        </Section>
      )}
      {canExecute && run.status === 'succeeded' && run.reperformsRunId === null && (
        <ReperformSection run={run} />
      )}
      <Section id="inputs-heading" title="Inputs">
        <RunInputs run={run} />
      </Section>
      <Section id="parameters-heading" title="Parameters">
        <RunParameters parameters={run.parameters} />
      </Section>
      <Section id="sql-heading" title="Executed SQL">
        <Code block data-testid="executed-sql">
          {run.sql}
        </Code>
        {run.summarySql !== null && (
          <>
            <Title order={3} size="h4">
              Summary SQL
            </Title>
            <Code block>{run.summarySql}</Code>
          </>
        )}
        {run.summary !== null && run.summary !== undefined && (
          <>
            <Title order={3} size="h4">
              Summary
            </Title>
            <Code block>{JSON.stringify(run.summary, null, 2)}</Code>
          </>
        )}
      </Section>
      {run.status === 'succeeded' && <RunRowsSection runId={run.runId} preview={run.preview} />}
    </Stack>
  );
}

/** Shows what a run executed on which data, its progress until it ends, and its result. */
export function RunPage() {
  const { id = '' } = useParams();
  const run = useRun(id);
  return (
    <Page title={run.data === undefined ? 'Run' : runName(run.data)}>
      <Anchor component={Link} to="/runs" size="sm">
        All runs
      </Anchor>
      {run.isPending && <Loader aria-label="Loading the run" />}
      {run.isError && <ErrorAlert error={run.error} title="The run could not be loaded" />}
      {run.data !== undefined && (
        <WithAccess>{(access) => <RunDetails run={run.data} access={access} />}</WithAccess>
      )}
    </Page>
  );
}
