import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, ROUTE_MODULES } from '../../../server/src/app.ts';
import { loadConfig } from '../../../server/src/platform/config/load-config.ts';
import { openDatabase } from '../../../server/src/platform/db/database.ts';
import { readMigrationFiles } from '../../../server/src/platform/db/migrations.ts';
import {
  databaseCheck,
  jobsCheck,
  migrationsCheck,
} from '../../../server/src/platform/health/platform-checks.ts';
import { JobQueue } from '../../../server/src/platform/jobs/job-queue.ts';
import {
  memoizeKey,
  openCheckpointKey,
  openDataKeyProvider,
} from '../../../server/src/platform/keys/key-provider.ts';
import { createClamdScanner } from '../../../server/src/platform/scanning/clamd-client.ts';
import { openObjectStorage } from '../../../server/src/platform/storage/open-object-storage.ts';
import { migrateDatabase } from '../../../server/src/runtime.ts';
import { createServices } from '../../../server/src/services.ts';
import { captureLogger, type TestApp } from '../../../server/test/support/test-app.ts';
import {
  createTestDatabase,
  type TestDatabase,
} from '../../../server/test/support/test-database.ts';
import { builtWebRoot } from './web-build.ts';

/**
 * The host name that the browser uses. Chromium treats http://localhost as
 * a secure context, so it keeps the server's Secure, __Host- and __Secure-
 * cookies, and WebAuthn accepts "localhost" as the relying party id, which
 * it never accepts for an IP address such as 127.0.0.1.
 */
const BROWSER_HOST = 'localhost';
const LISTEN_HOST = '127.0.0.1';

/** A running Peytonix server with the built web app, on a fresh test database. */
export interface E2eServer extends TestApp {
  /** The origin the browser opens, which is also PEYTONIX_PUBLIC_URL. */
  origin: string;
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LISTEN_HOST, () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('the port probe has no TCP address'));
      });
    });
  });
}

async function startOnPort(
  database: TestDatabase,
  port: number,
  env: Record<string, string>,
): Promise<E2eServer> {
  const origin = `http://${BROWSER_HOST}:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-e2e-'));
  const config = loadConfig({
    DATABASE_URL: database.ownerUrl,
    PEYTONIX_APP_DATABASE_URL: database.appUrl,
    PEYTONIX_DATA_DIR: dataDir,
    PEYTONIX_HOST: LISTEN_HOST,
    PEYTONIX_PORT: String(port),
    PEYTONIX_PUBLIC_URL: origin,
    ...env,
  });
  const logLines: Record<string, unknown>[] = [];
  const logger = captureLogger(logLines);

  const handle = openDatabase({
    url: database.appUrl,
    poolMax: 4,
    statementTimeoutMs: 10_000,
    applicationName: 'peytonix-e2e',
    logger,
  });
  const jobs = new JobQueue(database.appUrl, logger);
  await jobs.start([], false);
  const migrationFiles = readMigrationFiles();
  const checkpointKey = () => openCheckpointKey(config, { create: true });
  const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
  const services = createServices({
    db: handle.db,
    logger,
    checkpointKey,
    identity: config.identity,
    dataKeys,
    storage: memoizeKey(() => openObjectStorage(config, dataKeys)),
    workRoot: path.join(config.dataDir, 'work'),
    runs: config.runs,
    scanner: createClamdScanner(config.scanner),
    evidence: config.evidence,
  });
  const app = await buildApp(config, {
    logger,
    db: handle.db,
    services,
    migrationFiles,
    readinessChecks: [
      databaseCheck(handle.db),
      migrationsCheck(handle.db, migrationFiles),
      jobsCheck(jobs),
    ],
    routeModules: ROUTE_MODULES,
    webRoot: builtWebRoot(),
  });

  const close = async () => {
    await app.close();
    await jobs.stop(1_000);
    await services.close();
    await handle.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await app.listen({ host: LISTEN_HOST, port });
  } catch (error) {
    await close();
    throw error;
  }

  return {
    app,
    origin,
    ownerUrl: database.ownerUrl,
    database: handle,
    services,
    jobs,
    logLines,
    checkpointKey,
    close,
  };
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
}

/**
 * Start the real server, as `peytonix start` builds it, with the built web
 * app, on a fresh migrated test database and a free loopback port.
 * PEYTONIX_PUBLIC_URL is the origin the browser uses; `env` adds or
 * overrides configuration. `close` stops the server and drops the database.
 */
export async function startE2eServer(options: { env?: Record<string, string> } = {}) {
  const database = await createTestDatabase();
  try {
    await migrateDatabase(database.ownerUrl, captureLogger([], 'warn'));
    // Another process can take the probed port before the server listens on it.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const server = await startOnPort(database, await findFreePort(), options.env ?? {});
        return {
          ...server,
          async close() {
            await server.close();
            await database.drop();
          },
        } satisfies E2eServer;
      } catch (error) {
        if (!isAddressInUse(error) || attempt === 3) throw error;
      }
    }
  } catch (error) {
    await database.drop();
    throw error;
  }
}
