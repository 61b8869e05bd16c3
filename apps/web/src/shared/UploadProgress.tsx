import { Group, Loader, Progress, Stack, Text } from '@mantine/core';
import { formatBytes } from './format.ts';

/** A stage of a browser upload: bytes sent while uploading, or a named step before or after. */
export type UploadProgressStage =
  | { step: 'uploading'; loaded: number; total: number }
  | { step: 'hashing' | 'declaring' | 'confirming' };

const STEP_TEXT = {
  hashing: 'Computing the file’s SHA-256 in the browser…',
  declaring: 'Declaring the file to the server…',
  confirming: 'Verifying and scanning the uploaded file…',
} as const;

/** Show an upload's stage: a progress bar while bytes go to storage, else the step in words. */
export function UploadProgress({ stage }: { stage: UploadProgressStage }) {
  if (stage.step === 'uploading') {
    const percent = stage.total === 0 ? 100 : Math.round((stage.loaded / stage.total) * 100);
    return (
      <Stack gap={4}>
        <Text size="sm" role="status">
          Uploading: {formatBytes(stage.loaded)} of {formatBytes(stage.total)} ({percent}%)
        </Text>
        <Progress value={percent} aria-label="Upload progress" />
      </Stack>
    );
  }

  return (
    <Group gap="xs" role="status">
      <Loader size="xs" aria-hidden />
      <Text size="sm">{STEP_TEXT[stage.step]}</Text>
    </Group>
  );
}
