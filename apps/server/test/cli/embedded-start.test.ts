import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/platform/db/embedded/embedded-cluster.ts';
import { BIN, childEnv, runBin } from '../support/cli.ts';

async function waitForReady(port: number, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server on port ${port} was not ready within ${timeoutMs} ms`);
}

/** Create an import work directory under `<dataDir>/work`, last modified `ageHours` ago. */
function importWorkDirectory(dataDir: string, name: string, ageHours: number): string {
  const directory = path.join(dataDir, 'work', name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'upload.csv'), 'vendor,amount\nV1,10.00\n');
  const time = new Date(Date.now() - ageHours * 3_600_000);
  utimesSync(path.join(directory, 'upload.csv'), time, time);
  utimesSync(directory, time, time);
  return directory;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('peytonix start on the embedded database', () => {
  let dataDir: string;
  let port: number;
  let server: ChildProcess;
  let serverOutput = '';
  let env: NodeJS.ProcessEnv;
  let leftoverImport: string;
  let activeImport: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'peytonix-e2e-'));
    port = await findFreePort();
    env = childEnv({ PEYTONIX_DATA_DIR: dataDir, PEYTONIX_PORT: String(port) });
    leftoverImport = importWorkDirectory(dataDir, 'import-left-by-a-crash', 7);
    activeImport = importWorkDirectory(dataDir, 'import-in-progress', 0);

    const startedAt = performance.now();
    server = spawn(process.execPath, [BIN, 'start'], { env });
    server.stdout?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    server.stderr?.on('data', (chunk: Buffer) => {
      serverOutput += chunk.toString();
    });
    await waitForReady(port, server);
    process.stdout.write(
      `cold start to ready on an empty data directory: ${Math.round(performance.now() - startedAt)} ms\n`,
    );
  });

  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL');
      await waitForExit(server);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up ready with a lock file only its user can read', async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);

    const lockPath = path.join(dataDir, 'peytonix.lock');
    expect(statSync(lockPath).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dataDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect(lock).toMatchObject({ pid: server.pid, command: 'start' });
    expect(lock.port).toBeGreaterThan(0);
  });

  it('removes old import work directories at start', () => {
    expect(existsSync(leftoverImport)).toBe(false);
    expect(existsSync(activeImport)).toBe(true);
    expect(serverOutput).toContain(
      '"removed":1,"skippedRecent":1,"msg":"removed leftover import work directories"',
    );
    expect(serverOutput).not.toContain('V1,10.00');
  });

  it('refuses a second start on the same directory', async () => {
    const second = await runBin(['start', '--port', String(await findFreePort())], env);

    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is in use by "peytonix start" (pid ${server.pid}`);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
  });

  it('lets admin create use the running server database', async () => {
    const result = await runBin(['admin', 'create', '--email', 'Ana@Example.com', '--json'], env);
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created.setupSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const lock = JSON.parse(readFileSync(path.join(dataDir, 'peytonix.lock'), 'utf8'));
    const credentials = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'));
    const client = new pg.Client({
      host: '127.0.0.1',
      port: lock.port,
      user: 'peytonix_owner',
      password: credentials.ownerPassword,
      database: 'peytonix',
    });
    await client.connect();
    try {
      const stored = await client.query('SELECT secret_sha256 FROM user_setup_secrets');
      expect(stored.rows[0].secret_sha256).toEqual(
        createHash('sha256').update(created.setupSecret).digest(),
      );
      const dump = await client.query(
        "SELECT (SELECT string_agg(u::text, ' ') FROM users u) || (SELECT string_agg(s::text, ' ') FROM user_setup_secrets s) AS text",
      );
      expect(dump.rows[0].text).not.toContain(created.setupSecret);
      const audit = await client.query(
        'SELECT action, channel, details::text FROM audit_events ORDER BY seq',
      );
      expect(audit.rows.map((row) => row.action)).toEqual([
        'entity.created',
        'user.created',
        'access.grant_created',
        'identity.setup_secret_issued',
      ]);
      expect(JSON.stringify(audit.rows)).not.toContain(created.setupSecret);
      expect(audit.rows.every((row) => row.channel === 'cli')).toBe(true);
    } finally {
      await client.end();
    }

    const status = await fetch(`http://127.0.0.1:${port}/api/v1/setup/status`);
    expect(await status.json()).toEqual({ initialized: true });

    const again = await runBin(['admin', 'create', '--email', 'bo@example.com'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('An active administrator already exists');
  });

  it('acts as the --as user, audited on the cli channel', async () => {
    const created = await runBin(
      [
        'entities',
        'create',
        '--parent',
        'ORG',
        '--type',
        'engagement',
        '--code',
        'FY26-SOX',
        '--name',
        'FY26 SOX',
        '--as',
        'ana@example.com',
        '--json',
      ],
      env,
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).entity).toMatchObject({
      code: 'FY26-SOX',
      type: 'engagement',
    });

    const listed = await runBin(['entities', 'list', '--json'], {
      ...env,
      PEYTONIX_AS: 'ana@example.com',
    });
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.stdout).entities.map((entity: { code: string }) => entity.code),
    ).toEqual(['ORG', 'FY26-SOX']);

    const stranger = await runBin(
      ['entities', 'list', '--as', 'nobody@example.com', '--json'],
      env,
    );
    expect(stranger.code).toBe(1);
    expect(JSON.parse(stranger.stdout).error.code).toBe('UNAUTHENTICATED');
  });

  it('runs a separate worker on the same database', async () => {
    const leftoverByWorker = importWorkDirectory(dataDir, 'import-left-for-the-worker', 7);
    const worker = spawn(process.execPath, [BIN, 'worker'], { env });
    let output = '';
    worker.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 30_000;
    while (
      !output.includes('worker running') &&
      worker.exitCode === null &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output).toContain('"database":"embedded-shared"');
    expect(existsSync(leftoverByWorker)).toBe(false);
    expect(existsSync(activeImport)).toBe(true);

    worker.kill('SIGTERM');
    expect(await waitForExit(worker)).toBe(0);
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
  });

  it('stops cleanly on SIGTERM and releases the directory', async () => {
    const lock = JSON.parse(readFileSync(path.join(dataDir, 'peytonix.lock'), 'utf8'));
    server.kill('SIGTERM');
    expect(await waitForExit(server)).toBe(0);
    expect(existsSync(path.join(dataDir, 'peytonix.lock'))).toBe(false);
    expect(serverOutput).toContain('embedded PostgreSQL stopped');

    const client = new pg.Client({
      host: '127.0.0.1',
      port: lock.port,
      connectionTimeoutMillis: 1_000,
    });
    await expect(client.connect()).rejects.toThrow();

    const check = await runBin(['migrate', '--check', '--json'], env);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ current: true, pending: [] });
  });
});

describe('peytonix usage errors', () => {
  const env = childEnv({});

  it('exit 2 for an unknown command', async () => {
    expect((await runBin(['frobnicate'], env)).code).toBe(2);
  });

  it('exit 2 for a missing required option', async () => {
    const result = await runBin(['entities', 'create', '--parent', 'ORG'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('required option');
  });

  it('exit 2 for an invalid entity code', async () => {
    const result = await runBin(
      [
        'entities',
        'create',
        '--parent',
        'ORG',
        '--type',
        'engagement',
        '--code',
        'bad code!',
        '--name',
        'X',
        '--as',
        'a@b.c',
      ],
      env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid --code');
  });

  it('prints the version as JSON', async () => {
    const result = await runBin(['version', '--json'], env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ version: expect.any(String) });
  });
});
