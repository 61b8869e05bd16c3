/**
 * The child's side of superviseChild's protocol. The child sends `ready`,
 * receives one `{ type: 'run', request }`, may send log lines and messages of
 * its own, sends its last message and exits.
 */
import pino, { type Logger } from 'pino';

/** Exit code when the script runs without an IPC channel or gets an unknown message. */
const EXIT_USAGE = 2;
/** Exit code when the parent closed the IPC channel, which happens when it died. */
const EXIT_PARENT_GONE = 3;

/** Send one message and resolve once it is written to the channel, so large messages apply backpressure. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('The child process has no IPC channel.'));
      return;
    }
    process.send(message, undefined, undefined, (error: Error | null) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Create a logger whose lines go to the parent, which passes them on to its own logger. */
export function createParentLogger(): Logger {
  return pino(
    {
      level: 'trace',
      base: null,
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
    },
    {
      write(line: string) {
        sendToParent({ type: 'log', line }).catch(() => {
          // The parent is gone or the channel closed; the disconnect handler exits.
        });
      },
    },
  );
}

export interface ServeOneRequestOptions<TRequest, TFinal> {
  /** File name of the entry script, for the message when it is started without a parent. */
  script: string;
  /** Function that forks the script, for the same message. */
  starter: string;
  /** Prefix of the other messages on standard error, such as "sandbox child". */
  name: string;
  /**
   * Run the request and return the last message to send. It catches its own
   * errors and returns them in that message.
   */
  run(request: TRequest): Promise<TFinal>;
}

/**
 * Serve the one request of this child process: send `ready`, wait for the
 * run message, run it, send the last message and exit. The child exits with
 * EXIT_PARENT_GONE when the parent closes the channel, because then no
 * process would read the outcome.
 */
export async function serveOneRequest<TRequest, TFinal>(
  options: ServeOneRequestOptions<TRequest, TFinal>,
): Promise<void> {
  const { script, starter, name } = options;
  if (process.send === undefined) {
    process.stderr.write(`${script} must be started by ${starter}.\n`);
    process.exit(EXIT_USAGE);
  }

  process.on('disconnect', () => process.exit(EXIT_PARENT_GONE));

  process.once('message', (message: { type?: unknown; request: TRequest }) => {
    if (message?.type !== 'run') {
      process.stderr.write(`${name}: expected a run message, got ${String(message?.type)}.\n`);
      process.exit(EXIT_USAGE);
    }
    respond(options, message.request).catch((error: unknown) => {
      process.stderr.write(`${name}: sending the outcome failed: ${String(error)}\n`);
      process.exit(1);
    });
  });

  await sendToParent({ type: 'ready' });
}

async function respond<TRequest, TFinal>(
  options: ServeOneRequestOptions<TRequest, TFinal>,
  request: TRequest,
): Promise<void> {
  const final = await options.run(request);
  await sendToParent(final);
  // Exit at once: work that is still running, such as a DuckDB query that
  // ignored its interrupt, would keep the process alive.
  process.exit(0);
}
