import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** Raised when the output closed before the file was complete, as when a client disconnects. */
export class OutputClosedError extends Error {
  constructor() {
    super('The export output closed before the file was complete.');
    this.name = 'OutputClosedError';
  }
}

/** Raised when the output accepted no bytes for the export's stall timeout, as when a client stops reading. */
export class OutputStalledError extends Error {
  constructor(timeoutMs: number) {
    super(
      `The export output accepted no bytes for ${timeoutMs} ms, so the export timed out. The client stopped reading, or its connection stalled.`,
    );
    this.name = 'OutputStalledError';
  }
}

/** Throw OutputClosedError when the output can take no more writes. */
export function assertOutputOpen(output: Writable): void {
  if (output.destroyed || output.writableEnded) throw new OutputClosedError();
}

/**
 * Wait until `output` emits 'drain', or until `timeoutMs` passes when one
 * is given. Rejects with OutputClosedError when the output closes first, or
 * with the output's own error.
 */
export function waitForDrain(output: Writable, timeoutMs?: number): Promise<void> {
  assertOutputOpen(output);

  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      output.off('drain', onDrain);
      output.off('close', onClose);
      output.off('error', onError);
      if (timer !== undefined) clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onDrain = () => settle();
    const onClose = () => settle(new OutputClosedError());
    const onError = (error: Error) => settle(error);
    const timer = timeoutMs === undefined ? undefined : setTimeout(onDrain, timeoutMs);

    output.on('drain', onDrain);
    output.on('close', onClose);
    output.on('error', onError);
  });
}

/** Write `chunk`, then wait for 'drain' when the output's buffer is over its high-water mark. */
export async function writeWithBackpressure(output: Writable, chunk: string): Promise<void> {
  assertOutputOpen(output);
  if (!output.write(chunk)) await waitForDrain(output);
}

/**
 * Wait until `output` has handed on every byte written to it ('finish').
 * Rejects with OutputClosedError when it closes before that.
 */
export async function untilFinished(output: Writable): Promise<void> {
  try {
    await finished(output, { readable: false });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_STREAM_PREMATURE_CLOSE') throw new OutputClosedError();
    throw error;
  }
}

/** End `output` and wait until it has handed on every byte. */
export async function endOutput(output: Writable): Promise<void> {
  assertOutputOpen(output);
  output.end();
  await untilFinished(output);
}
