import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  runSandboxedQuery,
  SandboxError,
  type SandboxRequest,
  type SandboxResult,
  SandboxTimeoutError,
} from '../../src/modules/runs/engine/sandbox.ts';
import {
  type ChildSandboxRequest,
  runSandboxedQueryInChild,
} from '../../src/modules/runs/engine/sandbox-process.ts';
import { childProcesses, hasExited } from '../support/child-processes.ts';

const SANDBOX_PROCESS_MODULE = fileURLToPath(
  new URL('../../src/modules/runs/engine/sandbox-process.ts', import.meta.url),
);
const RUNAWAY_SQL = 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b';
const MiB = 1024 * 1024;

let root: string;
let inputDir: string;
let tempDir: string;
let vendorsPath: string;
let paymentsPath: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'peytonix-sandbox-process-'));
  inputDir = path.join(root, 'inputs');
  tempDir = path.join(root, 'tmp');
  mkdirSync(inputDir);
  mkdirSync(tempDir);
  vendorsPath = path.join(inputDir, 'vendors.parquet');
  paymentsPath = path.join(inputDir, 'payments.parquet');

  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT * FROM (VALUES
         (1, 'Acme Ltd', true),
         (2, 'Shell Co', false),
         (3, 'Night Supplies', false)
       ) v(vendor_id, name, approved)) TO '${vendorsPath}' (FORMAT parquet)`,
    );
    await connection.run(
      `COPY (SELECT payment_id::BIGINT AS payment_id, vendor_id::INTEGER AS vendor_id,
              amount::DECIMAL(18,2) AS amount, paid_on::DATE AS paid_on, memo
       FROM (VALUES
         (101, 1, '1200.00', '2024-01-05', 'invoice 1'),
         (102, 2, '9800.50', '2024-01-06', 'invoice 2'),
         (103, 3, '450.25', '2024-02-29', 'invoice 3'),
         (104, 2, '15000.00', '2024-03-01', 'invoice 4'),
         (105, 9, '10.00', '2024-03-02', 'unknown vendor')
       ) p(payment_id, vendor_id, amount, paid_on, memo)) TO '${paymentsPath}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  // Every run removes its private directory, and with it the DuckDB spill directory.
  expect(readdirSync(tempDir)).toEqual([]);
});

function request(sql: string, overrides: Partial<ChildSandboxRequest> = {}): ChildSandboxRequest {
  return {
    sql,
    inputs: [
      { name: 'vendors', parquetPath: vendorsPath },
      { name: 'payments', parquetPath: paymentsPath },
    ],
    parameters: [],
    limits: { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 1_000 },
    inputRoot: inputDir,
    tempDir,
    ...overrides,
  };
}

async function captureError(run: Promise<unknown>): Promise<SandboxError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof SandboxError) return error;
    throw error;
  }
  throw new Error('expected the sandbox to reject');
}

function withoutDuration(result: SandboxResult): Omit<SandboxResult, 'durationMs'> {
  const { durationMs: _durationMs, ...rest } = result;
  return rest;
}

function rowsDigest(rows: unknown[][]): string {
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

/** Pids of the running sandbox children of process `parentPid`. */
function sandboxChildren(parentPid: number): number[] {
  return childProcesses(parentPid, 'sandbox-child.ts');
}

async function waitFor<T>(description: string, probe: () => T | undefined): Promise<T> {
  const giveUp = Date.now() + 15_000;
  while (Date.now() < giveUp) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${description}`);
}

function waitForSandboxChild(parentPid: number): Promise<number> {
  return waitFor('the sandbox child process', () => sandboxChildren(parentPid)[0]);
}

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('runSandboxedQueryInChild', () => {
  it('returns the same result as in-process', async () => {
    const sql = `
      SELECT p.payment_id, v.name, p.amount, p.paid_on
      FROM payments p JOIN vendors v USING (vendor_id)
      WHERE NOT v.approved AND p.amount > $min_amount AND p.vendor_id <> $excluded_vendor
      ORDER BY p.payment_id`;
    const parameters: SandboxRequest['parameters'] = [
      { name: 'min_amount', type: 'decimal', value: '450.24' },
      { name: 'excluded_vendor', type: 'integer', value: 99n },
    ];

    const inChild = await runSandboxedQueryInChild(request(sql, { parameters }));
    const inProcess = await runSandboxedQuery(request(sql, { parameters }));

    expect(withoutDuration(inChild)).toEqual(withoutDuration(inProcess));
    expect(inChild.rows).toEqual([
      ['102', 'Shell Co', '9800.50', '2024-01-06'],
      ['103', 'Night Supplies', '450.25', '2024-02-29'],
      ['104', 'Shell Co', '15000.00', '2024-03-01'],
    ]);
    expect(inChild.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('marks truncation', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 20_000, maxResultRows: 2 };
    const result = await runSandboxedQueryInChild(
      request('SELECT payment_id FROM payments ORDER BY payment_id', { limits }),
    );

    expect(result.rows).toEqual([['101'], ['102']]);
    expect(result.rowCount).toBe(2);
    expect(result.truncated).toBe(true);
  });

  it('returns a large result intact', async () => {
    const sql = `
      SELECT range AS id, 'row ' || range AS label, (range * 1.25)::DECIMAL(18,2) AS amount,
             DATE '2024-01-01' + (range % 366)::INTEGER AS booked_on
      FROM range(300000) ORDER BY id`;
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 60_000, maxResultRows: 300_000 };

    const inChild = await runSandboxedQueryInChild(request(sql, { limits }));
    const inProcess = await runSandboxedQuery(request(sql, { limits }));

    expect(inChild.rowCount).toBe(300_000);
    expect(inChild.rows).toHaveLength(300_000);
    expect(inChild.truncated).toBe(false);
    expect(inChild.rows[0]).toEqual(['0', 'row 0', '0.00', '2024-01-01']);
    expect(inChild.rows.at(-1)).toEqual(['299999', 'row 299999', '374998.75', '2024-09-02']);
    expect(rowsDigest(inChild.rows)).toBe(rowsDigest(inProcess.rows));
  });
});

describe('runSandboxedQueryInChild errors', () => {
  it('returns typed errors with their codes', async () => {
    const cases = [
      { sandboxRequest: request('SELECT 1; SELECT 2'), code: 'SQL_NOT_SINGLE_SELECT' },
      {
        sandboxRequest: request("SELECT * FROM read_csv('/etc/passwd')"),
        code: 'SQL_NOT_ALLOWED',
      },
      {
        sandboxRequest: request('SELECT 1', {
          inputs: [{ name: 'Vendors', parquetPath: vendorsPath }],
        }),
        code: 'INPUT_INVALID',
      },
      { sandboxRequest: request('SELECT missing_column FROM vendors'), code: 'SQL_INVALID' },
    ];
    for (const { sandboxRequest, code } of cases) {
      const inChild = await captureError(runSandboxedQueryInChild(sandboxRequest));
      const inProcess = await captureError(runSandboxedQuery(sandboxRequest));

      expect(inChild, sandboxRequest.sql).toBeInstanceOf(SandboxError);
      expect(inChild.code, sandboxRequest.sql).toBe(code);
      expect(inChild.message, sandboxRequest.sql).toBe(inProcess.message);
      expect(inChild.position, sandboxRequest.sql).toBe(inProcess.position);
    }
  });

  it('keeps the position of a binder error', async () => {
    const error = await captureError(
      runSandboxedQueryInChild(request('SELECT missing_column FROM vendors')),
    );

    expect(error.position).toBe(7);
  });

  it('rejects invalid limits with the in-process message', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 0, maxResultRows: 10 };
    const inChild = await captureError(runSandboxedQueryInChild(request('SELECT 1', { limits })));
    const inProcess = await captureError(runSandboxedQuery(request('SELECT 1', { limits })));

    expect(inChild.code).toBe('INPUT_INVALID');
    expect(inChild.message).toBe(inProcess.message);
  });

  it('rejects an invalid processMemoryMb', async () => {
    for (const processMemoryMb of [0, -1, 1.5, Number.NaN]) {
      const error = await captureError(
        runSandboxedQueryInChild(request('SELECT 1', { processMemoryMb })),
      );
      expect(error.code, String(processMemoryMb)).toBe('INPUT_INVALID');
    }
  });

  it('rejects a relative tempDir', async () => {
    const error = await captureError(
      runSandboxedQueryInChild(request('SELECT 1', { tempDir: 'tmp' })),
    );

    expect(error.code).toBe('INPUT_INVALID');
  });
});

describe('runSandboxedQueryInChild limits', () => {
  it('kills a child over the memory limit', async () => {
    const { logger, lines } = captureLogger();
    const limits = { memoryMb: 64, threads: 1, timeoutMs: 60_000, maxResultRows: 10 };
    const parentRssBefore = process.memoryUsage().rss;

    const run = runSandboxedQueryInChild(
      request("SELECT length(repeat('x', 500000000)) AS size", {
        limits,
        processMemoryMb: 300,
        logger,
      }),
    );
    const pid = await waitForSandboxChild(process.pid);
    const error = await captureError(run);

    expect(error.code).toBe('SANDBOX_LIMIT');
    expect(error.message).toContain('300 MiB');
    expect(hasExited(pid)).toBe(true);
    const warning = lines.find((line) => line.msg?.toString().includes('memory limit'));
    expect(warning?.processMemoryMb).toBe(300);
    // In-process, the same query grows the process by about 1 GB.
    expect(process.memoryUsage().rss - parentRssBefore).toBeLessThan(200 * MiB);

    const after = await runSandboxedQueryInChild(request('SELECT count(*) FROM payments'));
    expect(after.rows).toEqual([['5']]);
  });

  it('lets the same query pass under a larger limit', async () => {
    const limits = { memoryMb: 64, threads: 1, timeoutMs: 60_000, maxResultRows: 10 };
    const result = await runSandboxedQueryInChild(
      request("SELECT length(repeat('x', 500000000)) AS size", { limits, processMemoryMb: 4096 }),
    );

    expect(result.rows).toEqual([['500000000']]);
  });

  it('times out a runaway query', async () => {
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 500, maxResultRows: 10 };
    const error = await captureError(runSandboxedQueryInChild(request(RUNAWAY_SQL, { limits })));

    expect(error).toBeInstanceOf(SandboxTimeoutError);
    expect(error.code).toBe('SANDBOX_TIMEOUT');
    expect((error as SandboxTimeoutError).interrupted).toBe(true);
    expect((error as SandboxTimeoutError).timeoutMs).toBe(500);
  });

  it('reports a child killed by a signal', async () => {
    const run = runSandboxedQueryInChild(request(RUNAWAY_SQL));
    const pid = await waitForSandboxChild(process.pid);
    process.kill(pid, 'SIGKILL');
    const error = await captureError(run);

    expect(error.code).toBe('SANDBOX_FAILED');
    expect(error.message).toContain('SIGKILL');
    expect(hasExited(pid)).toBe(true);
  });

  it('kills the child when the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const run = runSandboxedQueryInChild(request(RUNAWAY_SQL, { signal: controller.signal }));
    const pid = await waitForSandboxChild(process.pid);

    controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    expect(hasExited(pid)).toBe(true);
  });

  it('starts no child for an aborted signal', async () => {
    const reason = new Error('cancelled before the start');
    const before = sandboxChildren(process.pid);

    const run = runSandboxedQueryInChild(
      request(RUNAWAY_SQL, { signal: AbortSignal.abort(reason) }),
    );

    await expect(run).rejects.toBe(reason);
    expect(sandboxChildren(process.pid)).toEqual(before);
  });
});

describe('runSandboxedQueryInChild process', () => {
  const parentVariables: Record<string, string> = {
    PEYTONIX_TEST_SECRET: 'peytonix-test-secret-value',
    DATABASE_URL: 'postgres://user:database-url-secret@127.0.0.1/peytonix',
    AWS_SECRET_ACCESS_KEY: 'aws-secret-value',
    NODE_OPTIONS: '--max-old-space-size=100000',
  };
  const saved = new Map<string, string | undefined>();

  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    saved.clear();
  });

  it('passes only PATH, HOME and TMPDIR to the child', async () => {
    for (const [name, value] of Object.entries(parentVariables)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
    const limits = { memoryMb: 256, threads: 2, timeoutMs: 3_000, maxResultRows: 10 };

    const run = runSandboxedQueryInChild(request(RUNAWAY_SQL, { limits }));
    const pid = await waitForSandboxChild(process.pid);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const error = await captureError(run);

    const variables = new Map(
      environ
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
    // fork adds NODE_CHANNEL_FD and NODE_CHANNEL_SERIALIZATION_MODE for the IPC channel.
    expect([...variables.keys()].sort()).toEqual([
      'HOME',
      'NODE_CHANNEL_FD',
      'NODE_CHANNEL_SERIALIZATION_MODE',
      'PATH',
      'TMPDIR',
    ]);
    for (const value of Object.values(parentVariables)) expect(environ).not.toContain(value);
    expect(variables.get('PATH')).toBe(process.env.PATH);
    expect(path.dirname(variables.get('HOME') ?? '')).toBe(tempDir);
    expect(error.code).toBe('SANDBOX_TIMEOUT');
  });

  it('leaves no child behind after a run', async () => {
    const run = runSandboxedQueryInChild(request('SELECT count(*) FROM payments'));
    const pid = await waitForSandboxChild(process.pid);
    await run;

    expect(hasExited(pid)).toBe(true);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('stops the child when its parent dies', async () => {
    const script = `
      import { runSandboxedQueryInChild } from ${JSON.stringify(SANDBOX_PROCESS_MODULE)};
      await runSandboxedQueryInChild(${JSON.stringify(request(RUNAWAY_SQL))});
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '--eval', script], {
      stdio: 'ignore',
    });
    const parentPid = parent.pid;
    if (parentPid === undefined) throw new Error('starting the parent process failed');
    const exited = new Promise((resolve) => parent.once('exit', resolve));

    const pid = await waitForSandboxChild(parentPid);
    parent.kill('SIGKILL');
    await exited;

    await waitFor('the orphaned child to exit', () => (hasExited(pid) ? true : undefined));
    expect(hasExited(pid)).toBe(true);
    // The killed parent could not remove the child's directory.
    for (const entry of readdirSync(tempDir)) {
      rmSync(path.join(tempDir, entry), { recursive: true, force: true });
    }
  });
});
