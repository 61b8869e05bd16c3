import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExceptionExportService } from '../../src/modules/exceptions/export/exceptions-export.service.ts';
import type { ExportFilter } from '../../src/modules/exceptions/export/export-target.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { OutputStalledError } from '../../src/platform/streams/output-flow.ts';
import { seedBusinessUnit } from '../support/entity-fixtures.ts';
import { insertManyExceptions, insertRun, insertTest } from '../support/export-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { captureLogger, startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const ADMIN = 'ada@example.com';
const EXCEPTIONS = 200_000;
const MIB = 1024 * 1024;

/**
 * Maximum growth of the live JavaScript heap plus Buffer memory during one
 * export. Streaming keeps one batch of 2,000 rows with their cells and
 * about 1 MiB of buffered output. Holding all 200,000 rows instead grew it
 * by 183 MiB when measured.
 */
const MAX_GROWTH_BYTES = 32 * MIB;

/** Stall timeout of the services these tests create, in milliseconds. */
const STALL_MS = 2_000;

/** A test with a few exceptions, for exports that must finish quickly. */
const SMALL_ROWS = 3;
const SMALL_TEST: ExportFilter = { kind: 'test', entityCode: 'AP', testKey: 'few-payments' };
const SMALL_TEST_PATH = '/api/v1/exceptions/export?format=csv&entity=AP&test=few-payments';

/** The zero-length chunk that ends a complete chunked HTTP body. */
const LAST_CHUNK = '0\r\n\r\n';

/** application_name of the pool with a short idle-in-transaction timeout. */
const IDLE_TEST_APPLICATION = 'peytonix-export-idle-test';

/** Live heap and Buffer memory, right after a full garbage collection. */
function liveMemory(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * A sink that takes `bytesPerSecond` at most, so that a producer faster
 * than it must wait for 'drain' instead of buffering.
 */
function throttledSink(bytesPerSecond: number) {
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      setTimeout(callback, (chunk.length / bytesPerSecond) * 1000);
    },
  });
  return { stream, bytes: () => bytes };
}

/**
 * Send a GET over a socket that reads nothing until readToEnd is called,
 * like a client that stopped reading. The server's socket buffer and the
 * kernel's TCP buffers take some megabytes before the server's writes wait.
 */
function pausedDownload(port: number, path: string) {
  const socket = net.connect(port, '127.0.0.1');
  socket.pause();
  // The server breaks such a download off, which may reset the connection.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-test-user: ${ADMIN}\r\nConnection: close\r\n\r\n`,
  );

  return {
    socket,
    /** Read what the server sends until it closes the connection, as Latin-1 text. */
    async readToEnd(): Promise<string> {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.resume();
      await closed;
      return Buffer.concat(chunks).toString('latin1');
    },
  };
}

describe('exceptions export of 200,000 rows', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let admin: Actor;
  let runId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();

    const test = await insertTest(owner, {
      entityCode: 'AP',
      testKey: 'bulk-payments',
      ownerEmail: ADMIN,
    });
    runId = await insertRun(owner, test, 1);
    await insertManyExceptions(owner, test, runId, EXCEPTIONS);
    const small = await insertTest(owner, {
      entityCode: 'AP',
      testKey: 'few-payments',
      ownerEmail: ADMIN,
    });
    await insertManyExceptions(owner, small, await insertRun(owner, small, 1), SMALL_ROWS);
    await owner.query('ANALYZE exceptions, run_exceptions');
  }, 180_000);

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  const listeningPort = async (): Promise<number> => {
    if (!testApp.app.server.listening) await testApp.app.listen({ host: '127.0.0.1', port: 0 });
    return (testApp.app.server.address() as AddressInfo).port;
  };

  const newEvents = async (previousCount: number) =>
    (await auditEvents(testApp, owner, 'exceptions.exported')).slice(previousCount);

  /** Count the backends of `applicationName` that are inside a transaction. */
  const openTransactions = async (applicationName: string): Promise<number> => {
    const result = await owner.query<{ open: number }>(
      `SELECT count(*)::integer AS open FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = $1 AND xact_start IS NOT NULL`,
      [applicationName],
    );
    return result.rows[0]?.open ?? 0;
  };

  /** Export through a throttled sink, sampling live memory every 250 ms. */
  const measureExport = async (format: 'csv' | 'xlsx', filter: ExportFilter, rate: number) => {
    const sink = throttledSink(rate);
    const baseline = liveMemory();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, liveMemory());
    }, 250);

    try {
      const result = await testApp.services.exceptionExports.exportExceptions(
        admin,
        { format, filter },
        () => ({ stream: sink.stream }),
      );
      peak = Math.max(peak, liveMemory());
      return { rows: result.rows, bytes: sink.bytes(), growth: peak - baseline };
    } finally {
      clearInterval(sampler);
    }
  };

  it('streams a test as CSV in bounded memory', async () => {
    const filter: ExportFilter = { kind: 'test', entityCode: 'AP', testKey: 'bulk-payments' };

    const measured = await measureExport('csv', filter, 20 * MIB);

    process.stdout.write(
      `csv: ${measured.rows} rows, ${(measured.bytes / MIB).toFixed(1)} MiB, live memory grew ${(measured.growth / MIB).toFixed(1)} MiB\n`,
    );
    expect(measured.rows).toBe(EXCEPTIONS);
    expect(measured.bytes).toBeGreaterThan(EXCEPTIONS * 200);
    expect(measured.growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 180_000);

  it('streams a run as XLSX in bounded memory', async () => {
    const measured = await measureExport('xlsx', { kind: 'run', runId }, 2 * MIB);

    process.stdout.write(
      `xlsx: ${measured.rows} rows, ${(measured.bytes / MIB).toFixed(1)} MiB, live memory grew ${(measured.growth / MIB).toFixed(1)} MiB\n`,
    );
    expect(measured.rows).toBe(EXCEPTIONS);
    expect(measured.growth).toBeLessThan(MAX_GROWTH_BYTES);
  }, 180_000);

  it('audits a download the client broke off', async () => {
    const before = await auditEvents(testApp, owner, 'exceptions.exported');
    const port = await listeningPort();

    const firstBytes = await new Promise<number>((resolve, reject) => {
      const request = http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/api/v1/exceptions/export?format=csv&entity=AP&test=bulk-payments',
          headers: { 'x-test-user': ADMIN },
        },
        (response) => {
          response.once('data', (chunk: Buffer) => {
            request.destroy();
            resolve(chunk.length);
          });
        },
      );
      request.on('error', (error) => {
        if (!request.destroyed) reject(error);
      });
    });
    expect(firstBytes).toBeGreaterThan(0);

    const newEvents = async () =>
      (await auditEvents(testApp, owner, 'exceptions.exported')).slice(before.length);
    await waitFor(async () => (await newEvents()).length > 0, 30_000);

    const events = await newEvents();
    expect(events).toHaveLength(1);
    expect(events[0]?.outcome).toBe('failure');
    expect(events[0]?.reason_code).toBe('OUTPUT_CLOSED');
    expect(events[0]?.details.rows).toBeLessThan(EXCEPTIONS);
  }, 120_000);

  it('frees the slots of paused xlsx exports', async () => {
    const exports = createExceptionExportService({
      db: testApp.database.db,
      logger: createLogger('silent'),
      access: testApp.services.access,
      maxConcurrentExports: 2,
      stallTimeoutMs: STALL_MS,
    });
    const before = await auditEvents(testApp, owner, 'exceptions.exported');
    const baseline = liveMemory();
    // Outputs that never finish a write, like clients that stopped reading.
    const outputs = [0, 1].map(() => ({
      stream: new Writable({ write: () => undefined }),
      openedAt: 0,
    }));

    const paused = outputs.map((output) =>
      exports
        .exportExceptions(admin, { format: 'xlsx', filter: { kind: 'run', runId } }, () => {
          output.openedAt = performance.now();
          return { stream: output.stream };
        })
        .then(
          () => ({ error: undefined, waitedMs: performance.now() - output.openedAt }),
          (error: unknown) => ({ error, waitedMs: performance.now() - output.openedAt }),
        ),
    );
    await waitFor(() => outputs.every((output) => output.stream.writableLength > 0), 60_000);
    // The third export finds both slots taken while the two are paused.
    await expect(
      exports.exportExceptions(admin, { format: 'csv', filter: SMALL_TEST }, () => ({
        stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      })),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    // Sampled once the paused exports have filled what they may buffer, before the timeout.
    await new Promise((resolve) => setTimeout(resolve, STALL_MS / 2));
    const growth = liveMemory() - baseline;
    const settled = await Promise.all(paused);

    process.stdout.write(
      `2 paused xlsx exports: live memory grew ${(growth / MIB).toFixed(1)} MiB, aborted after ${settled.map((result) => Math.round(result.waitedMs)).join(' and ')} ms\n`,
    );
    expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
    for (const result of settled) {
      expect(result.error).toBeInstanceOf(OutputStalledError);
      expect(result.waitedMs).toBeGreaterThanOrEqual(STALL_MS);
      expect(result.waitedMs).toBeLessThan(STALL_MS + 2_000);
    }
    for (const output of outputs) expect(output.stream.destroyed).toBe(true);

    const events = (await auditEvents(testApp, owner, 'exceptions.exported')).slice(before.length);
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event.outcome).toBe('failure');
      expect(event.reason_code).toBe('OUTPUT_STALLED');
      expect(event.details.rows).toBeLessThan(EXCEPTIONS);
    }

    // A third export now gets a slot.
    const third = await exports.exportExceptions(
      admin,
      { format: 'csv', filter: SMALL_TEST },
      () => ({ stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }) }),
    );
    expect(third.rows).toBe(SMALL_ROWS);
  }, 120_000);

  it('times out a paused xlsx download', async () => {
    const exports = createExceptionExportService({
      db: testApp.database.db,
      logger: createLogger('silent'),
      access: testApp.services.access,
      maxConcurrentExports: 1,
      stallTimeoutMs: STALL_MS,
    });
    const route = vi
      .spyOn(testApp.services.exceptionExports, 'exportExceptions')
      .mockImplementation(exports.exportExceptions);
    const before = await auditEvents(testApp, owner, 'exceptions.exported');
    const port = await listeningPort();
    const download = pausedDownload(port, `/api/v1/exceptions/export?format=xlsx&run=${runId}`);

    try {
      await waitFor(async () => (await newEvents(before.length)).length > 0, 120_000);
      const events = await newEvents(before.length);
      expect(events).toHaveLength(1);
      expect(events[0]?.outcome).toBe('failure');
      expect(events[0]?.reason_code).toBe('OUTPUT_STALLED');
      expect(events[0]?.details.rows).toBeLessThan(EXCEPTIONS);

      const received = await download.readToEnd();
      expect(received.startsWith('HTTP/1.1 200')).toBe(true);
      expect(received.endsWith(LAST_CHUNK)).toBe(false);
      // The only slot is free again, and the server still responds.
      const next = await fetch(`http://127.0.0.1:${port}${SMALL_TEST_PATH}`, {
        headers: { 'x-test-user': ADMIN },
      });
      expect(next.status).toBe(200);
      expect((await next.text()).split('\r\n')).toHaveLength(SMALL_ROWS + 2);
    } finally {
      download.socket.destroy();
      route.mockRestore();
    }
  }, 180_000);

  it('survives the idle-in-transaction timeout', async () => {
    // The pool sets idle_in_transaction_session_timeout to twice the statement
    // timeout. So PostgreSQL ends a transaction that stays idle for 10 s, long
    // before the 30 s stall timeout. A shorter statement timeout let a batch
    // query time out first on a loaded machine.
    const lines: Record<string, unknown>[] = [];
    const shortIdle = openDatabase({
      url: database.appUrl,
      poolMax: 2,
      statementTimeoutMs: 5_000,
      applicationName: IDLE_TEST_APPLICATION,
      logger: captureLogger(lines),
    });
    const exports = createExceptionExportService({
      db: shortIdle.db,
      logger: captureLogger(lines),
      access: testApp.services.access,
    });
    const route = vi
      .spyOn(testApp.services.exceptionExports, 'exportExceptions')
      .mockImplementation(exports.exportExceptions);
    const before = await auditEvents(testApp, owner, 'exceptions.exported');
    const port = await listeningPort();
    const download = pausedDownload(
      port,
      '/api/v1/exceptions/export?format=csv&entity=AP&test=bulk-payments',
    );

    try {
      // The export's backend is inside a transaction until PostgreSQL ends it.
      let sawTransaction = false;
      await waitFor(async () => {
        const open = await openTransactions(IDLE_TEST_APPLICATION);
        if (open > 0) sawTransaction = true;
        return sawTransaction && open === 0;
      }, 120_000);
      expect(await newEvents(before.length)).toHaveLength(0);

      // The client reads again, and the export finds its connection gone at its next query.
      const received = await download.readToEnd();
      expect(received.startsWith('HTTP/1.1 200')).toBe(true);
      expect(received.endsWith(LAST_CHUNK)).toBe(false);
      await waitFor(async () => (await newEvents(before.length)).length > 0, 30_000);
      const events = await newEvents(before.length);
      expect(events).toHaveLength(1);
      expect(events[0]?.outcome).toBe('failure');
      expect(events[0]?.reason_code).toBe('DATABASE_UNAVAILABLE');
      expect(events[0]?.details.rows).toBeGreaterThan(0);
      expect(events[0]?.details.rows).toBeLessThan(EXCEPTIONS);
      expect(await openTransactions(IDLE_TEST_APPLICATION)).toBe(0);
      // Every client went back to the pool, and the terminated one left it.
      const { pool } = shortIdle;
      await waitFor(() => pool.idleCount === pool.totalCount, 5_000);

      // The server still responds, and the same service exports again.
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect(live.status).toBe(200);
      const next = await fetch(`http://127.0.0.1:${port}${SMALL_TEST_PATH}`, {
        headers: { 'x-test-user': ADMIN },
      });
      expect(next.status).toBe(200);
      expect((await next.text()).split('\r\n')).toHaveLength(SMALL_ROWS + 2);
    } finally {
      download.socket.destroy();
      route.mockRestore();
      await shortIdle.close();
    }
  }, 180_000);
});
