import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { APP_ROLE } from '../config/config.ts';
import {
  bootstrapEmbeddedDatabase,
  EMBEDDED_DATABASE,
  EMBEDDED_OWNER_ROLE,
  embeddedUrl,
} from './embedded/bootstrap.ts';
import { readCredentials, readOrCreateCredentials } from './embedded/credentials.ts';
import {
  acquireDataDirLock,
  isProcessAlive,
  type LockRecord,
  readLockRecord,
} from './embedded/data-dir-lock.ts';
import { startEmbeddedCluster } from './embedded/embedded-cluster.ts';

/** The two connections a process uses, and how to let go of them. */
export interface DatabaseTarget {
  ownerUrl: string;
  appUrl: string;
  /** Origin of the connections, for logs and `--json` output. */
  source: 'external' | 'embedded-started' | 'embedded-shared';
  /** Stop the embedded cluster and release the lock, if this process started it. */
  release(): Promise<void>;
}

/** Raised when another live process has locked the data directory. */
export class DataDirInUseError extends Error {
  readonly holder: LockRecord;

  constructor(dataDir: string, holder: LockRecord) {
    super(
      `The data directory ${dataDir} is in use by "peytonix ${holder.command}" (pid ${holder.pid}, started ${holder.startedAt}). Stop that process, or pass another --data-dir.`,
    );
    this.name = 'DataDirInUseError';
    this.holder = holder;
  }
}

const PORT_WAIT_MS = 60_000;

async function waitForPublishedPort(dataDir: string, holder: LockRecord): Promise<LockRecord> {
  const deadline = Date.now() + PORT_WAIT_MS;
  let current: LockRecord | undefined = holder;
  while (current && current.port === null && isProcessAlive(current.pid)) {
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
    current = readLockRecord(dataDir);
  }
  if (!current || current.port === null) {
    throw new Error(
      `The process holding ${dataDir} (pid ${holder.pid}) did not publish its database port. Retry when it has started.`,
    );
  }
  return current;
}

/**
 * Resolve the database for this process. With DATABASE_URL set, that is the
 * configured server. Otherwise it is the embedded cluster in the data
 * directory. This process starts it when no other process has locked the
 * directory, and shares the other process's cluster when one has, unless
 * `exclusive` requests sole ownership (as `start` does).
 */
export async function openDatabaseTarget(
  config: Config,
  logger: Logger,
  options: { command: string; exclusive: boolean },
): Promise<DatabaseTarget> {
  if (config.database.kind === 'external') {
    return {
      ownerUrl: config.database.ownerUrl,
      appUrl: config.database.appUrl,
      source: 'external',
      release: async () => {},
    };
  }

  const { dataDir } = config;
  const result = acquireDataDirLock(dataDir, options.command);
  if (!result.acquired) {
    if (options.exclusive) {
      throw new DataDirInUseError(dataDir, result.holder);
    }
    const holder = await waitForPublishedPort(dataDir, result.holder);
    const credentials = readCredentials(dataDir);
    const port = holder.port ?? 0;
    logger.debug(
      { port, holderPid: holder.pid },
      'using the embedded PostgreSQL of a running process',
    );
    return {
      ownerUrl: embeddedUrl(
        port,
        EMBEDDED_OWNER_ROLE,
        credentials.ownerPassword,
        EMBEDDED_DATABASE,
      ),
      appUrl: embeddedUrl(port, APP_ROLE, credentials.appPassword, EMBEDDED_DATABASE),
      source: 'embedded-shared',
      release: async () => {},
    };
  }

  const { lock } = result;
  try {
    const credentials = readOrCreateCredentials(dataDir);
    const cluster = await startEmbeddedCluster({
      dataDir,
      superuserPassword: credentials.superuserPassword,
      logger,
    });
    try {
      await bootstrapEmbeddedDatabase(cluster.port, credentials);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    lock.publishPort(cluster.port);

    return {
      ownerUrl: embeddedUrl(
        cluster.port,
        EMBEDDED_OWNER_ROLE,
        credentials.ownerPassword,
        EMBEDDED_DATABASE,
      ),
      appUrl: embeddedUrl(cluster.port, APP_ROLE, credentials.appPassword, EMBEDDED_DATABASE),
      source: 'embedded-started',
      release: async () => {
        // TODO: stop only when no other command still uses this cluster.
        // A CLI command that started it stops it at exit, so concurrent CLI
        // commands that joined it as embedded-shared lose their connections.
        // A running server is not affected.
        await cluster.stop();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
