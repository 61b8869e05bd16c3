/**
 * Entry script of the sandbox child process that runSandboxedQueryInChild
 * forks. It sends `ready`, runs the one request it receives with
 * runSandboxedQuery, sends the result rows in chunks followed by the rest of
 * the result (or the serialized error), and exits. The message order is
 * described in sandbox-child-protocol.ts.
 */
import pino from 'pino';
import { runSandboxedQuery } from './sandbox.ts';
import {
  type ChildMessage,
  type ParentMessage,
  ROWS_PER_MESSAGE,
  serializeError,
} from './sandbox-child-protocol.ts';

/** Exit code when the script runs without an IPC channel or gets an unknown message. */
const EXIT_USAGE = 2;
/** Exit code when the parent closed the IPC channel, which happens when it died. */
const EXIT_PARENT_GONE = 3;

/** Send one message and resolve once it is written to the channel, so the rows apply backpressure. */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('The sandbox child has no IPC channel.'));
      return;
    }
    process.send(message, undefined, undefined, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Logger whose lines go to the parent, which passes them on to the request's logger. */
const logger = pino(
  {
    level: 'trace',
    base: null,
    timestamp: false,
    formatters: { level: (label) => ({ level: label }) },
  },
  {
    write(line: string) {
      send({ type: 'log', line }).catch(() => {
        // The parent is gone or the channel closed; the disconnect handler exits.
      });
    },
  },
);

async function run(message: ParentMessage): Promise<void> {
  let final: ChildMessage;
  try {
    const { rows, ...rest } = await runSandboxedQuery({ ...message.request, logger });
    for (let start = 0; start < rows.length; start += ROWS_PER_MESSAGE) {
      await send({ type: 'rows', rows: rows.slice(start, start + ROWS_PER_MESSAGE) });
    }
    final = { type: 'result', result: rest };
  } catch (error) {
    final = { type: 'error', error: serializeError(error) };
  }
  await send(final);
  // Exit at once: after a timeout that DuckDB ignored, its query still runs
  // and would keep the process alive.
  process.exit(0);
}

if (process.send === undefined) {
  process.stderr.write('sandbox-child.ts must be started by runSandboxedQueryInChild.\n');
  process.exit(EXIT_USAGE);
}

// Without the parent no process reads the result, so an orphaned child exits.
process.on('disconnect', () => process.exit(EXIT_PARENT_GONE));

process.once('message', (message: ParentMessage) => {
  if (message?.type !== 'run') {
    process.stderr.write(`sandbox child: expected a run message, got ${String(message?.type)}.\n`);
    process.exit(EXIT_USAGE);
  }
  run(message).catch((error: unknown) => {
    process.stderr.write(`sandbox child: sending the outcome failed: ${String(error)}\n`);
    process.exit(1);
  });
});

await send({ type: 'ready' });
