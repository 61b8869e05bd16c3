import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { buildApp } from '../../app.ts';
import {
  type CheckpointScheduler,
  startCheckpointScheduler,
} from '../../modules/audit-trail/checkpoints/checkpoint-scheduler.ts';
import { checkpointsCheck } from '../../modules/audit-trail/checkpoints/checkpoints-check.ts';
import { assertCheckpointKey } from '../../modules/audit-trail/checkpoints/create-checkpoint.ts';
import {
  type AuditSealer,
  sealerCheck,
  startAuditSealer,
} from '../../modules/audit-trail/sealing/audit-sealer.ts';
import { removeLeftoverImportDirectories } from '../../modules/datasets/import-work-directories.ts';
import { startIdentityHousekeeping } from '../../modules/identity/housekeeping.ts';
import { removeLeftoverRunDirectories } from '../../modules/runs/run-work-directories.ts';
import type { Config } from '../../platform/config/config.ts';
import {
  databaseCheck,
  jobsCheck,
  migrationsCheck,
} from '../../platform/health/platform-checks.ts';
import type { JobQueue } from '../../platform/jobs/job-queue.ts';
import { openCheckpointKey } from '../../platform/keys/key-provider.ts';
import { createClamdScanner } from '../../platform/scanning/clamd-client.ts';
import { checkLimitReporting } from '../../platform/scanning/limit-canary.ts';
import type { PeriodicTask } from '../../platform/scheduling/periodic-task.ts';
import { openRuntime, type Runtime, startJobQueue } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import type { CliIo } from '../cli-io.ts';
import { installShutdownSignals } from '../shutdown-signals.ts';

export const WEB_ROOT = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

interface StartOptions {
  port?: string;
  host?: string;
  dataDir?: string;
}

export async function runStart(io: CliIo, options: StartOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, true);
  const startedAt = performance.now();

  const runtime: Runtime = await openRuntime(config, logger, {
    command: 'start',
    exclusive: true,
    migrate: config.migrateOnStart,
  });
  let jobs: JobQueue | undefined;
  let checkpoints: CheckpointScheduler | undefined;
  let sealer: AuditSealer | undefined;
  let housekeeping: PeriodicTask | undefined;
  try {
    await removeLeftoverImportDirectories(runtime.workRoot, logger);
    await removeLeftoverRunDirectories(runtime.workRoot, logger);
    const checkpointKey = await openCheckpointKey(config, {
      create: true,
      db: runtime.database.db,
    });
    await assertCheckpointKey(runtime.database.db, checkpointKey);
    // Open the access-token signing key now, creating the first one, so a
    // missing or unreadable master key stops the start instead of failing
    // every sign-in later.
    const sessionKey = await runtime.services.auth.keyRing.signingKey();
    logger.info({ kid: sessionKey.kid }, 'access-token signing key ready');
    sealer = startAuditSealer(runtime.database.db, logger);
    housekeeping = startIdentityHousekeeping(runtime.database.db, logger);
    checkpoints = startCheckpointScheduler(
      runtime.database.db,
      checkpointKey,
      {
        everyEvents: config.audit.checkpointEvents,
        everyMs: config.audit.checkpointIntervalMs,
        verifyEveryMs: config.audit.verifyIntervalMs,
      },
      logger,
    );
    jobs = await startJobQueue(runtime, logger, config.workers.enabled);
    const app = await buildApp(config, {
      logger,
      db: runtime.database.db,
      services: runtime.services,
      migrationFiles: runtime.migrationFiles,
      readinessChecks: [
        databaseCheck(runtime.database.db),
        migrationsCheck(runtime.database.db, runtime.migrationFiles),
        jobsCheck(jobs),
        sealerCheck(sealer),
        checkpointsCheck(checkpoints),
      ],
      webRoot: WEB_ROOT,
    });
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    logger.info(
      {
        address,
        database: runtime.target.source,
        workers: config.workers.enabled,
        startupMs: Math.round(performance.now() - startedAt),
      },
      'peytonix started',
    );
    await reportScanner(config, logger);

    const startedJobs = jobs;
    const startedCheckpoints = checkpoints;
    const startedSealer = sealer;
    const startedHousekeeping = housekeeping;
    return await new Promise<number>((resolve) => {
      // Stop in dependency order: stop taking requests and let in-flight ones
      // finish, stop the workers, close the pool, then stop the embedded database.
      installShutdownSignals({
        logger,
        graceMs: config.http.shutdownTimeoutMs,
        close: async () => {
          await app.close();
          await startedJobs.stop(config.http.shutdownTimeoutMs);
          await startedCheckpoints.stop();
          await startedSealer.stop();
          await startedHousekeeping.stop();
          await runtime.close();
        },
        done: resolve,
        forceExit: (code) => process.exit(code),
      });
    });
  } catch (error) {
    await jobs?.stop(0);
    await checkpoints?.stop();
    await sealer?.stop();
    await housekeeping?.stop();
    await runtime.close();
    throw error;
  }
}

/**
 * Log whether clamd replies to PING. The server starts either way, because only
 * evidence depends on it, and evidence stays undownloadable (scan_pending)
 * until clamd replies and the retry job scans it.
 */
async function reportScanner(config: Config, logger: Logger): Promise<void> {
  const scanner = createClamdScanner({ ...config.scanner, timeoutMs: 2_000 });
  const address =
    'socketPath' in config.scanner.address
      ? `unix:${config.scanner.address.socketPath}`
      : `${config.scanner.address.host}:${config.scanner.address.port}`;
  if (await scanner.ping()) {
    const reporting = await checkLimitReporting(scanner);
    if (reporting === 'silent') {
      logger.error(
        { clamd: address },
        'malware scanner passes content beyond its limits as clean; set AlertExceedsMax yes in clamd.conf, or evidence stays in scan_pending',
      );
      return;
    }
    logger.info({ clamd: address, limitReporting: reporting }, 'malware scanner replied');
    return;
  }
  logger.warn(
    { clamd: address },
    'malware scanner did not answer; uploaded evidence stays in scan_pending and undownloadable until clamd answers at PEYTONIX_CLAMD_ADDRESS',
  );
}
