import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, ROUTE_MODULES, type RouteModule } from '../../src/app.ts';
import type { ThrottlePolicy } from '../../src/modules/identity/login/login-throttle.ts';
import type { RunsConfig } from '../../src/platform/config/config.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { readMigrationFiles } from '../../src/platform/db/migrations.ts';
import {
  databaseCheck,
  jobsCheck,
  migrationsCheck,
} from '../../src/platform/health/platform-checks.ts';
import type { Authenticator } from '../../src/platform/http/authentication.ts';
import { JobQueue } from '../../src/platform/jobs/job-queue.ts';
import {
  CHECKPOINT_KEY_FILE,
  memoizeKey,
  openCheckpointKey,
  openDataKeyProvider,
} from '../../src/platform/keys/key-provider.ts';
import { openLocalSigningKey } from '../../src/platform/keys/local-signing-key.ts';
import type { SigningKey } from '../../src/platform/keys/signing-key.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { createClamdScanner } from '../../src/platform/scanning/clamd-client.ts';
import { requireLimitReporting } from '../../src/platform/scanning/limit-canary.ts';
import { openObjectStorage } from '../../src/platform/storage/open-object-storage.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import { createServices, type Services } from '../../src/services.ts';

export interface TestApp {
  app: FastifyInstance;
  /** The owner (superuser) connection string, for fixtures that bypass the product. */
  ownerUrl: string;
  database: DatabaseHandle;
  services: Services;
  jobs: JobQueue;
  /** The key the app signs checkpoints with. */
  checkpointKey(): Promise<SigningKey>;
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
    /** Authenticate requests by the x-test-user header; see testUserAuthenticator. */
    testUserHeader?: boolean;
    /** Sign-in throttle to use instead of the default, so tests need not wait minutes. */
    throttlePolicy?: ThrottlePolicy;
    /** Run limits in place of the configured ones, such as a preview time limit below one second. */
    runs?: Partial<RunsConfig>;
  } = {},
): Promise<TestApp> {
  const config = loadConfig({
    DATABASE_URL: urls.ownerUrl,
    PEYTONIX_APP_DATABASE_URL: urls.appUrl,
    PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-app-')),
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
  const checkpointKey = () => openCheckpointKey(config, { create: true });
  const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
  const services = createServices({
    db: database.db,
    logger,
    checkpointKey,
    identity: config.identity,
    dataKeys,
    storage: memoizeKey(() => openObjectStorage(config, dataKeys)),
    workRoot: path.join(config.dataDir, 'work'),
    runs: { ...config.runs, ...options.runs },
    datasetImports: config.datasetImports,
    scanner: requireLimitReporting(createClamdScanner(config.scanner)),
    evidence: config.evidence,
    ...(options.throttlePolicy ? { throttlePolicy: options.throttlePolicy } : {}),
  });
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
    // Extra modules first, so a recording hook among them sees every route.
    routeModules: [...(options.routeModules ?? []), ...ROUTE_MODULES],
    ...(options.testUserHeader === true ? { authenticate: testUserAuthenticator(services) } : {}),
  });

  return {
    app,
    ownerUrl: urls.ownerUrl,
    database,
    services,
    jobs,
    logLines,
    checkpointKey,
    async close() {
      await app.close();
      await jobs.stop(1_000);
      await services.close();
      await database.close();
    },
  };
}

/** Services over `db` with a checkpoint key in a fresh temporary data directory. */
export function createTestServices(
  db: DatabaseHandle['db'],
  logger = createLogger('silent'),
): Services {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-keys-'));
  const config = loadConfig({ PEYTONIX_DATA_DIR: dataDir });
  const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
  return createServices({
    db,
    logger,
    checkpointKey: () => openLocalSigningKey(dataDir, CHECKPOINT_KEY_FILE, { create: true }),
    identity: config.identity,
    dataKeys,
    storage: memoizeKey(() => openObjectStorage(config, dataKeys)),
    workRoot: path.join(dataDir, 'work'),
  });
}

/**
 * Test-only authenticator: the x-test-user header names the acting user's
 * email. Tests of other modules use it in place of signing in, so the
 * routes' own authorization runs against real grants without sessions.
 */
export function testUserAuthenticator(services: Services): Authenticator {
  return async (request) => {
    const email = request.headers['x-test-user'];
    if (typeof email !== 'string') return null;
    const actor = await services.identity.resolveCliActor(email);
    return { ...actor, channel: 'api' };
  };
}
