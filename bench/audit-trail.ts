// Benchmark: the cost of the audit hash chain, in two parts, each against a
// baseline measured in the same run.
//
// 1. Append throughput at 1, 4 and 16 concurrent writers, one transaction per
//    event, through appendAuditEvent. The baseline is a plain INSERT of the
//    same values into a table with the columns, constraints and indexes of
//    audit_events but no triggers and a bigserial key, with the same
//    concurrency and pool size.
// 2. Offline verification of an export with verifyExport. The baseline reads
//    the same file with the same line reader and computes one SHA-256 per
//    event line, with no parsing, comparison or Merkle work.
//
// Prints each ratio beside the target it is judged against.
// Run: npm run audit-trail -w @peytonix/bench -- [appendsPerLevel=20000] [exportEvents=200000]
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
import { execFile } from 'node:child_process';
import { createHash, hash, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { toAuditFields } from '../apps/server/src/modules/audit-trail/audit-event-input.ts';
import {
  type AuditEventInput,
  appendAuditEvent,
} from '../apps/server/src/modules/audit-trail/audit-trail.service.ts';
import { createCheckpoint } from '../apps/server/src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { readLines } from '../apps/server/src/modules/audit-trail/export/read-lines.ts';
import { verifyExport } from '../apps/server/src/modules/audit-trail/export/verify-export.ts';
import { writeExport } from '../apps/server/src/modules/audit-trail/export/write-export.ts';
import { startAuditSealer } from '../apps/server/src/modules/audit-trail/sealing/audit-sealer.ts';
import { type Db, openDatabase } from '../apps/server/src/platform/db/database.ts';
import { canonicalize } from '../apps/server/src/platform/json/jcs.ts';
import { openLocalSigningKey } from '../apps/server/src/platform/keys/local-signing-key.ts';
import { readEd25519PublicKey } from '../apps/server/src/platform/keys/signing-key.ts';
import { migrateDatabase } from '../apps/server/src/runtime.ts';

const WRITER_COUNTS = [1, 4, 16] as const;
const WARMUP_EVENTS = 500;
const APPEND_ROUNDS = 4;
const LOAD_BATCH_SIZE = 1000;
const CHECKPOINT_INTERVAL = 10_000;
const READER_ROUNDS = 3;
const APPEND_TARGET = { writers: 16, ratio: 0.5 };
const VERIFY_TARGET_RATIO = 0.7;

// The parent runs each file reader in a child process started with this
// flag, so that each peak RSS figure belongs to one reader.
const READER_FLAG = '--measure-reader';
const READER_MODES = ['verify-export', 'per-line-sha256', 'whole-file-sha256'] as const;
type ReaderMode = (typeof READER_MODES)[number];

const logger = pino({ level: 'silent' });
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// Fifty users, twenty entities and a new target for every event, so the
// actor, entity and target indexes see a spread of keys.
const USER_IDS = Array.from({ length: 50 }, () => randomUUID());
const ENTITY_IDS = Array.from({ length: 20 }, () => randomUUID());
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

function parseCount(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const count = Number(value);
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(
      `${name} must be a positive integer such as 20000, got ${JSON.stringify(value)}`,
    );
  }
  return count;
}

function databaseUrl(database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Create a migrated database, run `work` against its owner URL, then drop it. */
async function withThrowawayDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  try {
    const url = databaseUrl(name);
    await migrateDatabase(url, logger);
    return await work(url);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

function openPool(url: string, size: number) {
  return openDatabase({
    url,
    poolMax: size,
    statementTimeoutMs: 60_000,
    applicationName: 'peytonix-bench',
    logger,
  });
}

function benchEvent(index: number): AuditEventInput {
  return {
    actor: {
      type: 'user',
      userId: USER_IDS[index % USER_IDS.length] ?? randomUUID(),
      email: 'preparer@example.com',
      channel: 'api',
    },
    action: 'exception.disposition_proposed',
    outcome: 'success',
    target: { type: 'exception', id: randomUUID() },
    entityId: ENTITY_IDS[index % ENTITY_IDS.length] ?? randomUUID(),
    context: { requestId: `req-${index}`, ipAddress: '127.0.0.1', userAgent: USER_AGENT },
    details: {
      disposition: 'false_positive',
      rationale: 'The vendor was onboarded through the emergency procedure and approved later.',
    },
  };
}

// ---------------------------------------------------------------------------
// Part 1: append throughput

type AppendOne = (db: Db, index: number) => Promise<void>;

const appendChained: AppendOne = async (db, index) => {
  await db.transaction().execute((tx) => appendAuditEvent(tx, benchEvent(index)));
};

const insertPlain: AppendOne = async (db, index) => {
  const fields = toAuditFields(benchEvent(index));
  await db.transaction().execute(async (tx) => {
    await sql`
      INSERT INTO bench_plain_events (
        occurred_at, actor_type, actor_id, on_behalf_of, channel, action, outcome,
        reason_code, target_type, target_id, entity_id, request_id, correlation_id,
        ip_address, user_agent, details, details_jcs, prev_hash, hash
      ) VALUES (
        clock_timestamp(), ${fields.actorType}, ${fields.actorId}, ${fields.onBehalfOf},
        ${fields.channel}, ${fields.action}, ${fields.outcome}, ${fields.reasonCode},
        ${fields.targetType}, ${fields.targetId}, ${fields.entityId}, ${fields.requestId},
        ${fields.correlationId}, ${fields.ipAddress}, ${fields.userAgent},
        ${JSON.stringify(fields.details)}::jsonb, ${canonicalize(fields.details)},
        ${randomBytes(32)}, ${randomBytes(32)}
      )`.execute(tx);
  });
};

/**
 * Create the baseline table: LIKE ... INCLUDING ALL copies the columns,
 * CHECK constraints and indexes of audit_events but not its triggers, and
 * seq gets a sequence default, which is what bigserial expands to.
 */
async function createPlainTable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE bench_plain_events (LIKE audit_events INCLUDING ALL)');
    await client.query('CREATE SEQUENCE bench_plain_events_seq OWNED BY bench_plain_events.seq');
    await client.query(
      "ALTER TABLE bench_plain_events ALTER COLUMN seq SET DEFAULT nextval('bench_plain_events_seq')",
    );
  } finally {
    await client.end();
  }
}

/**
 * Write `count` events with `writers` concurrent loops, each event in its
 * own transaction. Returns the elapsed milliseconds.
 */
async function runWriters(
  db: Db,
  writers: number,
  count: number,
  appendOne: AppendOne,
): Promise<number> {
  let next = 0;
  const writer = async () => {
    for (let index = next++; index < count; index = next++) await appendOne(db, index);
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, writer));
  return performance.now() - started;
}

/**
 * Chained appends, timed until every event is sealed into the chain: a
 * sealer runs beside the writers on its own connection, as the server's
 * does, and the clock stops after the last pending event is sealed.
 */
async function runChainedWriters(
  db: Db,
  sealerDb: Db,
  writers: number,
  count: number,
): Promise<number> {
  const started = performance.now();
  const sealer = startAuditSealer(sealerDb, logger);
  await runWriters(db, writers, count, appendChained);
  await sealer.stop();
  if (sealer.lastError() !== null) throw sealer.lastError();
  return performance.now() - started;
}

interface AppendResult {
  writers: number;
  chainedPerSecond: number;
  plainPerSecond: number;
}

/**
 * Measure both variants at one writer count, `total` events each. The
 * events are split into APPEND_ROUNDS rounds that alternate between the
 * variants, so other load on the machine and PostgreSQL's own checkpoints
 * fall on both.
 */
async function measureLevel(url: string, writers: number, total: number): Promise<AppendResult> {
  const chained = openPool(url, writers);
  const sealerPool = openPool(url, 1);
  const plain = openPool(url, writers);
  try {
    const warmup = Math.min(WARMUP_EVENTS, total);
    await runChainedWriters(chained.db, sealerPool.db, writers, warmup);
    await runWriters(plain.db, writers, warmup, insertPlain);

    let chainedMs = 0;
    let plainMs = 0;
    const rounds = Math.min(APPEND_ROUNDS, total);
    for (let round = 0; round < rounds; round += 1) {
      const count = Math.floor(total / rounds) + (round === rounds - 1 ? total % rounds : 0);
      if (round % 2 === 0) {
        chainedMs += await runChainedWriters(chained.db, sealerPool.db, writers, count);
        plainMs += await runWriters(plain.db, writers, count, insertPlain);
      } else {
        plainMs += await runWriters(plain.db, writers, count, insertPlain);
        chainedMs += await runChainedWriters(chained.db, sealerPool.db, writers, count);
      }
    }
    return {
      writers,
      chainedPerSecond: total / (chainedMs / 1000),
      plainPerSecond: total / (plainMs / 1000),
    };
  } finally {
    await chained.close();
    await sealerPool.close();
    await plain.close();
  }
}

async function measureAppends(url: string, total: number): Promise<AppendResult[]> {
  await createPlainTable(url);
  const results: AppendResult[] = [];
  for (const writers of WRITER_COUNTS) results.push(await measureLevel(url, writers, total));
  return results;
}

// ---------------------------------------------------------------------------
// Part 2: offline verification of an export

interface ExportedFile {
  file: string;
  publicKeyPem: string;
  events: number;
  checkpoints: number;
  bytes: number;
  loadMs: number;
  exportMs: number;
}

/**
 * Append `count` events, LOAD_BATCH_SIZE per transaction, and sign a
 * checkpoint every CHECKPOINT_INTERVAL events and after the last one.
 * Then export the trail to `<directory>/export.jsonl`.
 */
async function loadAndExport(url: string, directory: string, count: number): Promise<ExportedFile> {
  const key = await openLocalSigningKey(directory, 'bench.pem', { create: true });
  const handle = openPool(url, 1);
  try {
    const loadStarted = performance.now();
    let sinceCheckpoint = 0;
    for (let first = 0; first < count; first += LOAD_BATCH_SIZE) {
      const last = Math.min(first + LOAD_BATCH_SIZE, count);
      await handle.db.transaction().execute(async (tx) => {
        for (let index = first; index < last; index += 1) {
          await appendAuditEvent(tx, benchEvent(index));
        }
      });
      sinceCheckpoint += last - first;
      if (sinceCheckpoint >= CHECKPOINT_INTERVAL || last === count) {
        await createCheckpoint(handle.db, key);
        sinceCheckpoint = 0;
      }
    }
    const loadMs = performance.now() - loadStarted;

    const file = path.join(directory, 'export.jsonl');
    const exportStarted = performance.now();
    const out = createWriteStream(file);
    const written = await writeExport(handle.db, out);
    out.end();
    await finished(out);
    const exportMs = performance.now() - exportStarted;

    return {
      file,
      publicKeyPem: key.publicKeyPem,
      events: written.events,
      checkpoints: written.checkpoints,
      bytes: (await stat(file)).size,
      loadMs,
      exportMs,
    };
  } finally {
    await handle.close();
  }
}

/**
 * Compute one SHA-256 over each of the first `events` lines, which are the
 * event lines, and read the checkpoint lines after them without hashing.
 */
async function hashEventLines(file: string, events: number): Promise<void> {
  let remaining = events;
  for await (const line of readLines(file)) {
    if (remaining === 0) continue;
    hash('sha256', line, 'buffer');
    remaining -= 1;
  }
}

async function hashWholeFile(file: string): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    digest.update(chunk as Buffer);
  }
  return digest.digest('hex');
}

interface ReaderMeasurement {
  ms: number;
  /** RSS after the child loaded its modules, before the first pass. */
  startRssBytes: number;
  /** The child's peak RSS over its whole life (getrusage ru_maxrss). */
  peakRssBytes: number;
  intact: boolean | null;
}

/**
 * Read the export once in the given mode. For verify-export, returns
 * whether it reported `events` intact events. Returns null for the others.
 */
async function readExportOnce(
  mode: ReaderMode,
  file: string,
  events: number,
  publicKey: KeyObject,
): Promise<boolean | null> {
  if (mode === 'verify-export') {
    const report = await verifyExport(file, publicKey);
    return report.intact && report.events === events;
  }
  if (mode === 'per-line-sha256') await hashEventLines(file, events);
  else await hashWholeFile(file);
  return null;
}

/**
 * Time one reader in this child process and print a ReaderMeasurement as
 * JSON. An untimed pass first compiles the code and puts the file in the
 * page cache. The child loads every module this file imports, the database
 * stack included, so its RSS before reading is higher than a verifier that
 * loads only the export modules would need.
 */
async function runReaderChild(args: string[]): Promise<void> {
  const [mode, file, eventsText, publicKeyPem] = args;
  if (!READER_MODES.includes(mode as ReaderMode) || file === undefined) {
    throw new Error(
      `invalid reader arguments ${JSON.stringify(args)}: expected ${READER_FLAG} <${READER_MODES.join('|')}> FILE EVENTS PEM`,
    );
  }
  const readerMode = mode as ReaderMode;
  const events = parseCount(eventsText, 0, 'EVENTS');
  const publicKey = readEd25519PublicKey(publicKeyPem ?? '');

  const startRssBytes = process.memoryUsage.rss();
  await readExportOnce(readerMode, file, events, publicKey);
  const started = performance.now();
  const intact = await readExportOnce(readerMode, file, events, publicKey);
  const ms = performance.now() - started;

  // The kernel keeps the high-water mark, so no sampling timer runs during
  // the timed pass. maxRSS is in KiB.
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const measurement: ReaderMeasurement = { ms, startRssBytes, peakRssBytes, intact };
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

async function measureReaderOnce(
  mode: ReaderMode,
  exported: ExportedFile,
): Promise<ReaderMeasurement> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    import.meta.filename,
    READER_FLAG,
    mode,
    exported.file,
    String(exported.events),
    exported.publicKeyPem,
  ]);
  return JSON.parse(stdout) as ReaderMeasurement;
}

/**
 * Run every reader READER_ROUNDS times, cycling through the modes so that
 * other load on the machine falls on all of them. Keeps the best time and
 * the largest RSS figures per mode.
 */
async function measureReaders(
  exported: ExportedFile,
): Promise<Record<ReaderMode, ReaderMeasurement>> {
  const best = new Map<ReaderMode, ReaderMeasurement>();
  for (let round = 0; round < READER_ROUNDS; round += 1) {
    for (const mode of READER_MODES) {
      const measured = await measureReaderOnce(mode, exported);
      if (mode === 'verify-export' && measured.intact !== true) {
        throw new Error(
          `verifyExport did not report ${exported.events} intact events in ${exported.file}, so its timing would not measure a full verification`,
        );
      }
      const previous = best.get(mode) ?? measured;
      best.set(mode, {
        ms: Math.min(previous.ms, measured.ms),
        startRssBytes: Math.max(previous.startRssBytes, measured.startRssBytes),
        peakRssBytes: Math.max(previous.peakRssBytes, measured.peakRssBytes),
        intact: measured.intact,
      });
    }
  }

  const result = {} as Record<ReaderMode, ReaderMeasurement>;
  for (const mode of READER_MODES) {
    const measured = best.get(mode);
    if (measured === undefined) throw new Error(`no measurement for ${mode}`);
    result[mode] = measured;
  }
  return result;
}

// ---------------------------------------------------------------------------
// Output

function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function verdict(ratio: number, target: number): string {
  return ratio >= target ? 'met' : 'NOT met';
}

function printAppends(results: AppendResult[], total: number): void {
  console.log(`Append throughput, ${total} events per variant and level, one transaction each:`);
  for (const result of results) {
    const ratio = result.chainedPerSecond / result.plainPerSecond;
    console.log(
      `  ${String(result.writers).padStart(2)} writers: chained ${formatRate(result.chainedPerSecond)} events/s, plain INSERT (baseline) ${formatRate(result.plainPerSecond)} events/s, ratio ${ratio.toFixed(2)}`,
    );
  }

  const atTarget = results.find((result) => result.writers === APPEND_TARGET.writers);
  if (atTarget !== undefined) {
    const ratio = atTarget.chainedPerSecond / atTarget.plainPerSecond;
    console.log(
      `  target at ${APPEND_TARGET.writers} writers: ratio >= ${APPEND_TARGET.ratio}, measured ${ratio.toFixed(2)}: ${verdict(ratio, APPEND_TARGET.ratio)}`,
    );
  }
}

function printVerification(
  exported: ExportedFile,
  readers: Record<ReaderMode, ReaderMeasurement>,
): void {
  const megabytes = exported.bytes / 1e6;
  console.log(
    `Export: ${exported.events} events and ${exported.checkpoints} checkpoints, ${megabytes.toFixed(1)} MB; load ${(exported.loadMs / 1000).toFixed(1)} s, export ${(exported.exportMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `Reading the export, best of ${READER_ROUNDS} timed passes, each in its own process after one untimed pass:`,
  );

  const labels: Record<ReaderMode, string> = {
    'verify-export': 'verifyExport',
    'per-line-sha256': 'per-line SHA-256 (baseline)',
    'whole-file-sha256': 'whole-file SHA-256 (reference)',
  };
  for (const mode of READER_MODES) {
    const measured = readers[mode];
    const seconds = measured.ms / 1000;
    console.log(
      `  ${labels[mode]}: ${measured.ms.toFixed(0)} ms, ${(megabytes / seconds).toFixed(0)} MB/s, ${formatRate(exported.events / seconds)} events/s, peak RSS ${mebibytes(measured.peakRssBytes)} MiB (${mebibytes(measured.startRssBytes)} MiB before reading)`,
    );
  }

  const ratio = readers['per-line-sha256'].ms / readers['verify-export'].ms;
  console.log(
    `  ratio verifyExport / per-line SHA-256 (by throughput): ${ratio.toFixed(2)}; target >= ${VERIFY_TARGET_RATIO}: ${verdict(ratio, VERIFY_TARGET_RATIO)}`,
  );
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const appendsPerLevel = parseCount(process.argv[2], 20_000, 'appendsPerLevel');
  const exportEvents = parseCount(process.argv[3], 200_000, 'exportEvents');

  const appends = await withThrowawayDatabase((url) => measureAppends(url, appendsPerLevel));
  printAppends(appends, appendsPerLevel);

  const directory = await mkdtemp(path.join(tmpdir(), 'peytonix-bench-'));
  try {
    const exported = await withThrowawayDatabase((url) =>
      loadAndExport(url, directory, exportEvents),
    );
    printVerification(exported, await measureReaders(exported));
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

if (process.argv[2] === READER_FLAG) {
  await runReaderChild(process.argv.slice(3));
} else {
  await main();
}
