/**
 * A process that shuts down the way `peytonix start` and `peytonix worker`
 * do, for tests of the signal handling with a real import child. It starts
 * an import of a FIFO that no process writes, so the child runs until it is
 * killed, and prints `child <pid>` once the child runs.
 *
 * Usage: node shutdown-harness.ts <work directory> <graceful|stuck> <grace ms>
 * `graceful` closes by waiting for the import, as a server waits for an
 * in-flight request; `stuck` never finishes closing.
 */
import path from 'node:path';
import { installShutdownSignals } from '../../src/cli/shutdown-signals.ts';
import { importDatasetInChild } from '../../src/modules/datasets/import/import-process.ts';
import { supervisedChildPids } from '../../src/platform/child-process/supervise-child.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { createFifo } from './import-fixtures.ts';

const [workDir = '', mode = 'graceful', graceMs = '500'] = process.argv.slice(2);
const logger = createLogger('info');
const fifo = path.join(workDir, 'stalled.csv');
createFifo(fifo);

const running = importDatasetInChild({
  sourcePath: fifo,
  fileName: 'stalled.csv',
  workDir,
  logger,
}).then(
  () => logger.info('import finished'),
  (error: unknown) => logger.info({ err: error }, 'import ended'),
);

installShutdownSignals({
  logger,
  graceMs: Number(graceMs),
  close: mode === 'stuck' ? () => new Promise<void>(() => {}) : () => running,
  done: (code) => {
    process.exitCode = code;
  },
  forceExit: (code) => process.exit(code),
});

while (supervisedChildPids().length === 0) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
process.stdout.write(`child ${supervisedChildPids()[0]}\n`);
