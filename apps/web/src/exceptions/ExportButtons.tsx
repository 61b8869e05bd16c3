import { Button, Group, Loader, Paper, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatBytes } from '../shared/format.ts';
import type { TransferProgress } from '../shared/save-file.ts';
import { type ExportFormat, type ExportTarget, exportExceptions } from './exceptions-api.ts';

function describeTarget(target: ExportTarget): string {
  return target.kind === 'run'
    ? `the exceptions that run ${target.runId} flagged`
    : `every exception of test ${target.testKey} in ${target.entityCode}`;
}

/**
 * Offer CSV and XLSX downloads of a test's or a run's exceptions, which the
 * server streams as an attachment. Without a test or run filter there is
 * nothing to export, and the text beside the disabled buttons explains that.
 */
export function ExportButtons({ target }: { target: ExportTarget | undefined }) {
  const [progress, setProgress] = useState<TransferProgress | null>(null);
  const download = useMutation({
    mutationFn: ({
      format,
      exportTarget,
    }: {
      format: ExportFormat;
      exportTarget: ExportTarget;
    }) => {
      setProgress({ loaded: 0, total: undefined });
      return exportExceptions(exportTarget, format, setProgress);
    },
    onSettled: () => setProgress(null),
  });

  return (
    <Paper withBorder p="sm" component="section" aria-label="Export">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text size="sm">
            {target === undefined
              ? 'Filter by a test or a run to export its exceptions.'
              : `Export ${describeTarget(target)}, open or closed.`}
          </Text>
          <Group gap="sm">
            {(['csv', 'xlsx'] as const).map((format) => (
              <Button
                key={format}
                size="sm"
                variant="default"
                disabled={target === undefined || download.isPending}
                loading={download.isPending && download.variables?.format === format}
                onClick={() => {
                  if (target !== undefined) download.mutate({ format, exportTarget: target });
                }}
              >
                Export {format.toUpperCase()}
              </Button>
            ))}
          </Group>
        </Group>
        {progress !== null && (
          <Group gap="xs" role="status">
            <Loader size="xs" aria-hidden />
            <Text size="sm">
              Downloading the export: {formatBytes(progress.loaded)}
              {progress.total === undefined ? '' : ` of ${formatBytes(progress.total)}`}
            </Text>
          </Group>
        )}
        {download.isSuccess && (
          <Text size="sm" role="status">
            Saved {download.data}.
          </Text>
        )}
        {download.isError && <ErrorAlert error={download.error} title="Export failed" />}
      </Stack>
    </Paper>
  );
}
