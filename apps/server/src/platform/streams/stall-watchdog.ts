import type { Writable } from 'node:stream';

/** Maximum time between two checks of a watched stream, in milliseconds. */
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * Call `onStall` once when `destination` makes no progress for `timeoutMs`,
 * and return a function that stops watching.
 *
 * Progress is a 'drain' event, a buffer that shrank since the last check,
 * or an empty buffer while the stream is open for writes or has finished,
 * because then nothing waits for the reader. A stream that contains
 * buffered bytes, or that was ended and has not finished, makes no
 * progress until its reader takes some. Checks run every quarter of
 * `timeoutMs` and at least once a second, so a stall is noticed up to one
 * interval late.
 *
 * NOTE: any progress restarts the timeout, and no minimum rate applies. A
 * client that reads a few bytes every few seconds keeps its export running.
 */
export function watchForStall(
  destination: Writable,
  timeoutMs: number,
  onStall: () => void,
): () => void {
  const checkIntervalMs = Math.max(1, Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(timeoutMs / 4)));
  let lastProgressAt = performance.now();
  let lastLength = destination.writableLength;
  let drained = false;

  const onDrain = () => {
    drained = true;
  };
  const check = () => {
    const length = destination.writableLength;
    const waitsForNothing =
      length === 0 && (!destination.writableEnded || destination.writableFinished);
    if (drained || waitsForNothing || length < lastLength) lastProgressAt = performance.now();
    drained = false;
    lastLength = length;

    if (performance.now() - lastProgressAt >= timeoutMs) {
      stop();
      onStall();
    }
  };

  const timer = setInterval(check, checkIntervalMs);
  // A watchdog alone should not keep a CLI process alive.
  timer.unref();
  destination.on('drain', onDrain);

  const stop = () => {
    clearInterval(timer);
    destination.off('drain', onDrain);
  };
  return stop;
}
