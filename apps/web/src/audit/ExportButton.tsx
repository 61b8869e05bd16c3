import { Button, Group, Progress, Stack, Text } from '@mantine/core';
import { useRef, useState } from 'react';
import { canonicalJson } from '../shared/canonical-json.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { saveBlob } from '../shared/save-file.ts';
import { type AuditFilters, searchAuditEvents } from './audit-api.ts';
import { hashedEvent } from './audit-verification.ts';

/** Maximum number of events the server returns per page. */
const EXPORT_PAGE_SIZE = 200;
/**
 * Maximum number of events one download collects, because the browser
 * keeps the whole file in memory. NOTE: a larger range needs `peytonix audit export`.
 */
const MAX_EXPORT_EVENTS = 100_000;

type ExportState =
  | { phase: 'idle' }
  | { phase: 'running'; events: number }
  | { phase: 'done'; events: number; truncated: boolean }
  | { phase: 'failed'; error: unknown };

/**
 * Downloads every event that matches the filters as JSON Lines, one
 * `{"hash", "event"}` line per event in the export's event-line format,
 * newest first. It pages through the search, so progress counts events.
 * This is not a signed export: it has no checkpoints, and it holds only the
 * events the user may read.
 */
export function ExportButton({ filters }: { filters: AuditFilters }) {
  const [state, setState] = useState<ExportState>({ phase: 'idle' });
  const abort = useRef<AbortController | null>(null);

  const run = async () => {
    const controller = new AbortController();
    abort.current = controller;
    const lines: string[] = [];
    let cursor: string | undefined;
    setState({ phase: 'running', events: 0 });
    try {
      do {
        const page = await searchAuditEvents(filters, cursor, EXPORT_PAGE_SIZE, controller.signal);
        for (const event of page.events) {
          lines.push(
            `{"hash":${JSON.stringify(event.hash)},"event":${canonicalJson(hashedEvent(event))}}\n`,
          );
        }
        cursor = page.nextCursor ?? undefined;
        setState({ phase: 'running', events: lines.length });
      } while (cursor !== undefined && lines.length < MAX_EXPORT_EVENTS);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      saveBlob(new Blob(lines, { type: 'application/x-ndjson' }), `audit-events-${stamp}.jsonl`);
      setState({ phase: 'done', events: lines.length, truncated: cursor !== undefined });
    } catch (error) {
      setState(controller.signal.aborted ? { phase: 'idle' } : { phase: 'failed', error });
    } finally {
      abort.current = null;
    }
  };

  return (
    <Stack gap="xs">
      <Group>
        <Button variant="light" onClick={run} loading={state.phase === 'running'}>
          Download matching events
        </Button>
        {state.phase === 'running' && (
          <Button variant="default" onClick={() => abort.current?.abort()}>
            Cancel download
          </Button>
        )}
      </Group>
      {state.phase === 'running' && (
        <Stack gap={4} role="status">
          <Text size="sm">Collected {state.events} events…</Text>
          <Progress value={100} animated aria-label="Collecting events" />
        </Stack>
      )}
      {state.phase === 'done' && (
        <Text size="sm" role="status">
          Downloaded {state.events} events as JSON Lines.
          {state.truncated &&
            ` The download stopped at ${MAX_EXPORT_EVENTS} events; narrow the filters or use peytonix audit export.`}
        </Text>
      )}
      {state.phase === 'failed' && <ErrorAlert error={state.error} title="The download failed" />}
      <Text size="xs" c="dimmed">
        The events that match the filters and that you may read, without checkpoints. For a file
        that outside auditors can verify against signed checkpoints, use the signed export above.
      </Text>
    </Stack>
  );
}
