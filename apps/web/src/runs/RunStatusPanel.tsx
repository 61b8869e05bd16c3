import { Alert, Badge, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { formatDuration, RUN_STATUS_COLORS, RUN_STATUS_LABELS } from './run-format.ts';
import { cancelRun, FINAL_STATUSES, type RunDetail, runKeys } from './runs-api.ts';

/** Returns the current time, updated every second while `ticking`. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!ticking) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

/**
 * Shows what a run that has not ended is doing. The server reports no fraction
 * done, so the progress is the status and the time spent in it.
 */
function RunProgress({ run }: { run: RunDetail }) {
  const now = useNow(true);
  const message =
    run.status === 'queued'
      ? `Queued ${formatDuration(now - Date.parse(run.requestedAt))} ago, waiting for a worker to take it.`
      : `Running for ${formatDuration(now - Date.parse(run.startedAt ?? run.requestedAt))}: copying the inputs, checking their fingerprints and running the SQL.`;
  return (
    <Group gap="sm" wrap="nowrap">
      <Loader size="sm" aria-hidden />
      <Text size="sm" role="status" aria-live="polite">
        {message} This page updates by itself.
      </Text>
    </Group>
  );
}

function CancelRunButton({ run }: { run: RunDetail }) {
  const queryClient = useQueryClient();
  const [opened, dialog] = useDisclosure(false);
  const cancel = useMutation({
    mutationFn: () => cancelRun(run.runId),
    onSuccess: (cancelled) => {
      queryClient.setQueryData(runKeys.run(run.runId), cancelled);
      dialog.close();
    },
  });
  return (
    <>
      <Button color="red" variant="outline" onClick={dialog.open}>
        Cancel run
      </Button>
      <Modal opened={opened} onClose={dialog.close} title="Cancel this run?">
        <Stack>
          <Text size="sm">
            The run stops within about a second and records no result and no exceptions. Anyone may
            request it again afterwards.
          </Text>
          {cancel.isError && <ErrorAlert error={cancel.error} title="The run was not cancelled" />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dialog.close}>
              Keep running
            </Button>
            <Button color="red" onClick={() => cancel.mutate()} loading={cancel.isPending}>
              Cancel run
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/** Shows the run's status, its progress while it has not ended, its error, and the cancel button. */
export function RunStatusPanel({ run, canExecute }: { run: RunDetail; canExecute: boolean }) {
  const ended = FINAL_STATUSES.has(run.status);
  return (
    <Stack gap="sm">
      <Group gap="sm">
        <Text fw={600}>Status</Text>
        <Badge
          size="lg"
          variant="dot"
          color={RUN_STATUS_COLORS[run.status]}
          data-testid="run-status"
        >
          {RUN_STATUS_LABELS[run.status]}
        </Badge>
        {run.preview && (
          <Badge size="lg" variant="outline" color="dark">
            {run.reperformsRunId === null ? 'Preview' : 'Re-performance'}
          </Badge>
        )}
      </Group>
      {!ended && (
        <Group justify="space-between">
          <RunProgress run={run} />
          {canExecute && <CancelRunButton run={run} />}
        </Group>
      )}
      {run.errorCode !== null && (
        <Alert color="red" title={`The run ${RUN_STATUS_LABELS[run.status].toLowerCase()}`}>
          <Text size="sm">{run.errorMessage ?? 'The server recorded no message.'}</Text>
          <Text size="sm" mt="xs">
            Error code: <code>{run.errorCode}</code>
          </Text>
        </Alert>
      )}
      {run.status === 'cancelled' && (
        <Text size="sm">
          Cancelled
          {run.cancelledBy === null ? '' : ` by ${run.cancelledBy}`}
          {run.finishedAt === null ? '' : ` at ${formatDateTime(run.finishedAt)}`}. The run recorded
          no result and no exceptions.
        </Text>
      )}
    </Stack>
  );
}
