import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, ROUTE_MODULES, type RouteModule } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { readMigrationFiles } from '../../src/platform/db/migrations.ts';
import {
  databaseCheck,
  jobsCheck,
  migrationsCheck,
} from '../../src/platform/health/platform-checks.ts';
import { JobQueue } from '../../src/platform/jobs/job-queue.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import { createServices, type Services } from '../../src/services.ts';

export interface TestApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  services: Services;
  jobs: JobQueue;
  /** Every log line the app wrote, parsed. */
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Create a logger that parses its JSON lines into `lines`, so tests can inspect them. */
export function captureLogger(lines: Record<string, unknown>[], level = 'debug') {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return createLogger(level, stream);
}

/** Build the real app in-process against a test database, migrated unless `migrate` is false. */
export async function startTestApp(
  urls: { ownerUrl: string; appUrl: string },
  options: {
    env?: Record<string, string>;
    migrate?: boolean;
    routeModules?: readonly RouteModule[];
  } = {},
): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: urls.ownerUrl,
    PEYTONIX_APP_DATABASE_URL: urls.appUrl,
    ...options.env,
  });
  const logLines: Record<string, unknown>[] = [];
  const logger = captureLogger(logLines);

  if (options.migrate !== false) {
    await migrateDatabase(urls.ownerUrl, logger);
  }
  const database = openDatabase({
    url: urls.appUrl,
    poolMax: 4,
    statementTimeoutMs: 10_000,
    applicationName: 'peytonix-test',
    logger,
  });
  const jobs = new JobQueue(urls.appUrl, logger);
  if (options.migrate !== false) {
    await jobs.start([], false);
  }
  const migrationFiles = readMigrationFiles();
  const services = createServices({ db: database.db });
  const app = await buildApp(config, {
    logger,
    db: database.db,
    services,
    migrationFiles,
    readinessChecks: [
      databaseCheck(database.db),
      migrationsCheck(database.db, migrationFiles),
      jobsCheck(jobs),
    ],
    routeModules: [...ROUTE_MODULES, ...(options.routeModules ?? [])],
  });

  return {
    app,
    database,
    services,
    jobs,
    logLines,
    async close() {
      await app.close();
      await jobs.stop(1_000);
      await database.close();
    },
  };
}
