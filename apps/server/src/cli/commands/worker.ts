import { JOB_QUEUES } from '../../jobs.ts';
import { startAuditSealer } from '../../modules/audit-trail/sealing/audit-sealer.ts';
import { removeLeftoverImportDirectories } from '../../modules/datasets/import-work-directories.ts';
import { removeLeftoverRunDirectories } from '../../modules/runs/run-work-directories.ts';
import { openRuntime, startJobQueue } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { installShutdownSignals } from '../shutdown-signals.ts';

/** Run workers without the HTTP server, for scaling job processing out. */
export async function runWorker(io: CliIo, options: { dataDir?: string }): Promise<number> {
  const { config, logger } = prepareCommand(io, options, true);
  const runtime = await openRuntime(config, logger, {
    command: 'worker',
    exclusive: false,
    migrate: false,
  });
  await removeLeftoverImportDirectories(runtime.workRoot, logger);
  await removeLeftoverRunDirectories(runtime.workRoot, logger);
  const jobs = await startJobQueue(runtime, logger, true);
  if (!jobs.status().ready) {
    await runtime.close();
    return 1;
  }
  const sealer = startAuditSealer(runtime.database.db, logger);
  logger.info({ queues: JOB_QUEUES.length, database: runtime.target.source }, 'worker running');

  return await new Promise<number>((resolve) => {
    installShutdownSignals({
      logger,
      label: 'worker',
      graceMs: config.http.shutdownTimeoutMs,
      close: async () => {
        await jobs.stop(config.http.shutdownTimeoutMs);
        await sealer.stop();
        await runtime.close();
      },
      done: resolve,
      forceExit: (code) => process.exit(code),
    });
  });
}
