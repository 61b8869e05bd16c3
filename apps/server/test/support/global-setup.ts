import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { embeddedUrl } from '../../src/platform/db/embedded/bootstrap.ts';
import { startEmbeddedCluster } from '../../src/platform/db/embedded/embedded-cluster.ts';

/** Password the tests give peytonix_app; trust authentication ignores it. */
export const TEST_APP_PASSWORD = 'peytonix-app-test';

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function ensureAppRole(adminUrl: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_roles WHERE rolname = 'peytonix_app'");
    const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
    await client.query(`${verb} ROLE peytonix_app LOGIN PASSWORD '${TEST_APP_PASSWORD}'`);
  } finally {
    await client.end();
  }
}

/**
 * Pick the PostgreSQL server for the whole run: the machine's server on
 * 127.0.0.1:5432 when it accepts connections (or TEST_DATABASE_URL), else one embedded
 * cluster in a temporary directory. Each test file then creates its own
 * database on it.
 */
export default async function setup(project: TestProject) {
  let adminUrl = process.env.TEST_DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;

  if (!adminUrl && (await answers('127.0.0.1', 5432))) {
    adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
  }
  if (!adminUrl) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'peytonix-test-pg-'));
    const password = 'peytonix-test-superuser';
    const cluster = await startEmbeddedCluster({
      dataDir,
      superuserPassword: password,
      logger: pino({ level: 'warn' }),
    });
    adminUrl = embeddedUrl(cluster.port, 'postgres', password, 'postgres');
    stop = async () => {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
    process.stdout.write(`tests use an embedded PostgreSQL on port ${cluster.port}\n`);
  } else {
    process.stdout.write(`tests use PostgreSQL at ${new URL(adminUrl).host}\n`);
  }

  await ensureAppRole(adminUrl);
  project.provide('adminDatabaseUrl', adminUrl);
  return async () => {
    await stop?.();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
  }
}
