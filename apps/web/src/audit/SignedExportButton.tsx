import { Button, Code, Group, Progress, Stack, Text } from '@mantine/core';
import { useRef, useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { downloadSignedExport } from './audit-api.ts';

type SignedExportState =
  | { phase: 'idle' }
  | { phase: 'running'; loaded: number }
  | { phase: 'done'; fileName: string }
  | { phase: 'failed'; error: unknown };

/**
 * Offers the signed export of the whole trail to callers whose audit read
 * grant covers the organization root, and explains the scoped download to
 * everyone else, because the server rejects them with 403.
 */
export function SignedExportButton({ allowed }: { allowed: boolean }) {
  const [state, setState] = useState<SignedExportState>({ phase: 'idle' });
  const abort = useRef<AbortController | null>(null);

  if (!allowed) {
    return (
      <Text size="sm" data-testid="signed-export-unavailable">
        A signed export contains the whole audit trail, so it needs the administrator or management
        role on the organization root. Use "Download matching events" under Search for the events
        you may read; that file has no checkpoints, so it proves each event's hash but not its place
        in the signed trail.
      </Text>
    );
  }

  const run = async () => {
    const controller = new AbortController();
    abort.current = controller;
    setState({ phase: 'running', loaded: 0 });
    try {
      const fileName = await downloadSignedExport(
        ({ loaded }) => setState({ phase: 'running', loaded }),
        controller.signal,
      );
      setState({ phase: 'done', fileName });
    } catch (error) {
      setState(controller.signal.aborted ? { phase: 'idle' } : { phase: 'failed', error });
    } finally {
      abort.current = null;
    }
  };

  return (
    <Stack gap="xs">
      <Group>
        <Button onClick={run} loading={state.phase === 'running'}>
          Download signed export
        </Button>
        {state.phase === 'running' && (
          <Button variant="default" onClick={() => abort.current?.abort()}>
            Cancel signed export
          </Button>
        )}
      </Group>
      {state.phase === 'running' && (
        <Stack gap={4} role="status">
          <Text size="sm">Received {Math.round(state.loaded / 1024)} KiB…</Text>
          <Progress value={100} animated aria-label="Downloading the signed export" />
        </Stack>
      )}
      {state.phase === 'done' && (
        <Text size="sm" role="status">
          Saved {state.fileName}.
        </Text>
      )}
      {state.phase === 'failed' && (
        <ErrorAlert error={state.error} title="The signed export failed" />
      )}
      <Text size="xs" c="dimmed">
        Every event up to the newest signed checkpoint, then the checkpoints, as JSON Lines. The
        server signs a checkpoint over any unsigned events first. Verify it with{' '}
        <Code>peytonix audit verify --export FILE --public-key KEY</Code>, using a public key you
        obtained outside this app.
      </Text>
    </Stack>
  );
}
