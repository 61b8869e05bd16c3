import type { Writable } from 'node:stream';
import { OutputStalledError, untilFinished } from '../../../platform/streams/output-flow.ts';
import { watchForStall } from '../../../platform/streams/stall-watchdog.ts';
import type { ExportFile } from './export-file.ts';
import { createExportSink, type ExportSink } from './export-sink.ts';
import type { ExportFormat, ExportTarget } from './export-target.ts';

/** The streams that an export writes its file into and hands it on through. */
export interface ExportOutput {
  /** The stream the export writes the file into. The export ends it, or destroys it when the export fails. */
  stream: Writable;
  /**
   * The stream that hands the file to its reader when `stream` is piped
   * into it, such as the HTTP response or the file on disk. The export
   * counts as delivered once it emits 'finish', and the stall timeout
   * watches its buffer. Defaults to `stream`.
   */
  destination?: Writable;
}

/** An export whose output is open: what it has written so far, and what failed first. */
export interface StartedExport {
  format: ExportFormat;
  target: ExportTarget;
  file: ExportFile;
  sink: ExportSink;
  stream: Writable;
  destination: Writable;
  rows: number;
  /** The first error the output emitted, such as a failed file write or OutputStalledError. */
  outputError?: Error;
  /**
   * The first error raised in the export's transaction. On a lost
   * connection the ROLLBACK fails too, and Kysely 0.29 throws that error
   * instead, so this keeps the cause.
   */
  firstError?: unknown;
  /** True once the destination has taken the file's last byte. */
  delivered: boolean;
  stopWatching(): void;
}

/**
 * Open the sink over `output` and start the stall watchdog, which aborts
 * the export with OutputStalledError when the destination accepts no
 * bytes for `stallTimeoutMs`.
 */
export function startExport(
  format: ExportFormat,
  target: ExportTarget,
  file: ExportFile,
  output: ExportOutput,
  stallTimeoutMs: number,
): StartedExport {
  const destination = output.destination ?? output.stream;
  const sink = createExportSink(format, output.stream);
  const started: StartedExport = {
    format,
    target,
    file,
    sink,
    stream: output.stream,
    destination,
    rows: 0,
    delivered: false,
    stopWatching: () => undefined,
  };

  // Without a listener, an 'error' event would crash the process.
  output.stream.on('error', (error) => {
    started.outputError ??= error;
  });
  started.stopWatching = watchForStall(destination, stallTimeoutMs, () =>
    sink.abort(new OutputStalledError(stallTimeoutMs)),
  );
  return started;
}

/** Complete the file, and wait until its destination has taken the last byte. */
export async function deliverExport(started: StartedExport): Promise<void> {
  await started.sink.finish();
  if (started.destination !== started.stream) await untilFinished(started.destination);
  started.delivered = true;
}
