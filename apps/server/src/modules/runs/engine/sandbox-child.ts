/**
 * Entry script of the sandbox child process that runSandboxedQueryInChild
 * forks. It sends `ready`, runs the one request it receives with
 * runSandboxedQuery, sends the result rows in chunks followed by the rest of
 * the result (or the serialized error), and exits. The message order is
 * described in sandbox-child-protocol.ts.
 */
import {
  createParentLogger,
  sendToParent,
  serveOneRequest,
} from '../../../platform/child-process/parent-channel.ts';
import { runSandboxedQuery } from './sandbox.ts';
import {
  type ChildMessage,
  type ChildRequest,
  ROWS_PER_MESSAGE,
  serializeError,
} from './sandbox-child-protocol.ts';

/** Logger whose lines go to the parent, which passes them on to the request's logger. */
const logger = createParentLogger();

await serveOneRequest<ChildRequest, ChildMessage>({
  script: 'sandbox-child.ts',
  starter: 'runSandboxedQueryInChild',
  name: 'sandbox child',
  async run(request) {
    try {
      const { rows, ...rest } = await runSandboxedQuery({ ...request, logger });
      for (let start = 0; start < rows.length; start += ROWS_PER_MESSAGE) {
        // Each send resolves once the message is written, so the rows apply backpressure.
        const message: ChildMessage = {
          type: 'rows',
          rows: rows.slice(start, start + ROWS_PER_MESSAGE),
        };
        await sendToParent(message);
      }
      return { type: 'result', result: rest };
    } catch (error) {
      return { type: 'error', error: serializeError(error) };
    }
  },
});
