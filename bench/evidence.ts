// Benchmark: evidence confirm throughput against raw clamd, in one run.
//
// The files are --files PDF-like buffers of --file-mb MB (10^6 bytes) each:
// `%PDF-1.7\n`, then pseudo-random bytes from a seeded generator (see
// evidence/corpus.ts), kept in memory. A private clamd (Debian's
// /usr/sbin/clamd with the tests' signature database, started by
// apps/server/test/support/clamd.ts) listens on a free loopback port.
//
// Each round measures, in alternating order:
// 1. clamd from memory (the baseline): each file straight into INSTREAM
//    with createClamdScanner(...).scan(), as the server configures it.
// 2. clamd from storage: the same, reading each file from the local object
//    storage's get(), which decrypts it and checks its SHA-256.
// 3. confirm: services.evidence.confirm for each declared and uploaded
//    version (head, get, SHA-256, magic bytes, the clamd scan of the same
//    bytes, and the database transactions). Every one must end available.
// 4. and 5. clamd from memory and confirm with --parallel files in flight,
//    as a server confirms uploads from many users at once.
// Then, outside the ratios: reading every object from storage without a
// scan, and SHA-256 of every file in memory, which price decryption and
// hashing on their own.
//
// Declaring and uploading are setup and not timed. The upload goes through
// the storage the services use, after verifying the signed upload URL, as
// the local PUT route does without HTTP. clamd skips files whose hash it
// found clean before, so each phase marks the files with its own 16 bytes
// and sends clamd content it has not seen (see markFiles). The script
// fails when a scan is not clean or a confirm does not end available.
//
// Prints each phase's median MB/s, the CPU time this process and clamd
// used, the ratio confirm / clamd from memory against its target, where a
// sequential confirm spends its time, and peak memory per phase. Removes
// clamd, the throwaway database and the temporary data directory at the
// end, also after a failure or Ctrl-C.
//
// Run: npm run evidence -w @peytonix/bench -- [--files=100] [--file-mb=10] [--rounds=3] [--parallel=2] [--seed=1]
// BENCH_FILES, BENCH_FILE_MB, BENCH_ROUNDS, BENCH_PARALLEL and BENCH_SEED
// set the same values when the flags are absent. --parallel=1 skips
// phases 4 and 5.
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
// The app connects as peytonix_app with no password, so PostgreSQL must
// trust that role on loopback.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Actor } from '../apps/server/src/modules/identity/actor.ts';
import { loadConfig } from '../apps/server/src/platform/config/load-config.ts';
import { clamdInstalled, startTestClamd } from '../apps/server/test/support/clamd.ts';
import { type Corpus, generateCorpus, markFiles } from './evidence/corpus.ts';
import { createCpuSampler, findClamdChild } from './evidence/cpu.ts';
import {
  confirmAll,
  hashInMemory,
  type PhaseContext,
  type PhaseResult,
  readFromStorage,
  scanFromMemory,
  scanFromStorage,
} from './evidence/phases.ts';
import {
  adminUrl,
  createPreparer,
  declareAndUpload,
  type Platform,
  startPlatform,
  withThrowawayDatabase,
} from './evidence/platform.ts';
import { measurePhase } from './test-engine/memory.ts';

/** Smallest confirm / raw clamd throughput ratio, with one file in flight. */
const TARGET_RATIO = 0.8;
/** clamd's MaxThreads in startTestClamd, so at most this many scans run at once. */
const CLAMD_MAX_THREADS = 4;
/** The largest file the default PEYTONIX_EVIDENCE_MAX_BYTES (100 MiB) accepts, in MB. */
const MAX_FILE_MB = 100;
const CLAMD = '/usr/sbin/clamd';

interface BenchOptions {
  files: number;
  fileBytes: number;
  rounds: number;
  parallel: number;
  seed: number;
}

type PhaseKey =
  | 'raw'
  | 'rawStorage'
  | 'confirm'
  | 'rawParallel'
  | 'confirmParallel'
  | 'decrypt'
  | 'sha256';

function parseInteger(value: string, name: string, minimum: number, maximum: number): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < minimum || number > maximum) {
    throw new RangeError(
      `${name} must be a whole number from ${minimum} to ${maximum}, got ${JSON.stringify(value)}`,
    );
  }
  return number;
}

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: process.env.BENCH_FILES ?? '100' },
      'file-mb': { type: 'string', default: process.env.BENCH_FILE_MB ?? '10' },
      rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
      parallel: { type: 'string', default: process.env.BENCH_PARALLEL ?? '2' },
      seed: { type: 'string', default: process.env.BENCH_SEED ?? '1' },
    },
  });
  const fileMegabytes = parseInteger(
    values['file-mb'],
    '--file-mb or BENCH_FILE_MB',
    1,
    MAX_FILE_MB,
  );
  return {
    files: parseInteger(values.files, '--files or BENCH_FILES', 1, 10_000),
    fileBytes: fileMegabytes * 1_000_000,
    rounds: parseInteger(values.rounds, '--rounds or BENCH_ROUNDS', 1, 100),
    parallel: parseInteger(values.parallel, '--parallel or BENCH_PARALLEL', 1, CLAMD_MAX_THREADS),
    seed: parseInteger(values.seed, '--seed or BENCH_SEED', 0, 2 ** 31),
  };
}

/** clamd's StreamMaxLength: the file size rounded up to whole MiB plus one, and at least 32M. */
function streamMaxLength(fileBytes: number): string {
  return `${Math.max(32, Math.ceil(fileBytes / 2 ** 20) + 1)}M`;
}

// ---------------------------------------------------------------------------
// Rounds

interface Measurements {
  results: Map<PhaseKey, PhaseResult[]>;
  /** Largest VmHWM of this process per phase, in bytes, or null where it cannot be reset. */
  peakBytes: Map<PhaseKey, number | null>;
  /** Largest VmHWM of clamd seen in any phase, in bytes. */
  clamdPeakBytes: number;
}

interface RoundContext {
  platform: Platform;
  preparer: Actor;
  corpus: Corpus;
  options: BenchOptions;
  phase: PhaseContext;
  measurements: Measurements;
}

async function record(
  context: RoundContext,
  key: PhaseKey,
  run: () => Promise<PhaseResult>,
): Promise<PhaseResult> {
  const { value, memory } = await measurePhase(run);
  const { measurements } = context;
  measurements.results.set(key, [...(measurements.results.get(key) ?? []), value]);
  const previous = measurements.peakBytes.get(key);
  measurements.peakBytes.set(
    key,
    memory.highWaterMarkBytes === null || previous === null
      ? null
      : Math.max(previous ?? 0, memory.highWaterMarkBytes),
  );
  for (const child of memory.children) {
    if (child.name === 'clamd') {
      measurements.clamdPeakBytes = Math.max(measurements.clamdPeakBytes, child.peakBytes);
    }
  }
  return value;
}

/** Store every file under its own key, outside the evidence module, for the storage baseline. */
async function storeBaselineObjects(context: RoundContext, label: string): Promise<string[]> {
  const keys: string[] = [];
  for (const [index, file] of context.corpus.files.entries()) {
    context.phase.signal.throwIfAborted();
    const key = `bench/${label}/file-${index}`;
    await context.platform.storage.put(key, file, { contentType: 'application/pdf' });
    keys.push(key);
  }
  return keys;
}

/** Declare and upload every file as a new evidence item; returns the ids and object keys. */
async function declareAll(
  context: RoundContext,
  label: string,
): Promise<{ evidenceIds: string[]; objectKeys: string[] }> {
  const evidenceIds: string[] = [];
  const objectKeys: string[] = [];
  for (const [index, file] of context.corpus.files.entries()) {
    context.phase.signal.throwIfAborted();
    const declared = await declareAndUpload(
      context.platform,
      context.preparer,
      file,
      `${label}-${index}.pdf`,
    );
    evidenceIds.push(declared.evidenceId);
    objectKeys.push(declared.objectKey);
  }
  return { evidenceIds, objectKeys };
}

/**
 * Run one round. Its objects and declarations are set up untimed. The
 * measured phases run in reverse order in odd rounds, so drift in machine
 * load falls on all of them. Then decryption and hashing are timed alone,
 * and the round's objects are deleted.
 */
async function runRound(context: RoundContext, round: number): Promise<void> {
  const { platform, corpus, options } = context;
  const sequential: PhaseContext = { ...context.phase, parallel: 1 };
  const parallel: PhaseContext = { ...context.phase, parallel: options.parallel };
  const label = `round-${round}`;

  markFiles(corpus, `${label}/storage`);
  const storageKeys = await storeBaselineObjects(context, label);
  markFiles(corpus, `${label}/confirm`);
  const confirmSet = await declareAll(context, `${label}-confirm`);
  let parallelSet: Awaited<ReturnType<typeof declareAll>> | null = null;
  if (options.parallel > 1) {
    markFiles(corpus, `${label}/confirm-parallel`);
    parallelSet = await declareAll(context, `${label}-parallel`);
  }

  const phases: [PhaseKey, () => Promise<PhaseResult>][] = [
    [
      'raw',
      () => {
        markFiles(corpus, `${label}/raw`);
        return scanFromMemory(platform.scanner, corpus.files, corpus.fileBytes, sequential);
      },
    ],
    [
      'rawStorage',
      () =>
        scanFromStorage(
          platform.scanner,
          platform.storage,
          storageKeys,
          corpus.fileBytes,
          sequential,
        ),
    ],
    [
      'confirm',
      () =>
        confirmAll(
          platform,
          context.preparer,
          confirmSet.evidenceIds,
          corpus.fileBytes,
          sequential,
        ),
    ],
  ];
  if (parallelSet !== null) {
    phases.push(
      [
        'rawParallel',
        () => {
          markFiles(corpus, `${label}/raw-parallel`);
          return scanFromMemory(platform.scanner, corpus.files, corpus.fileBytes, parallel);
        },
      ],
      [
        'confirmParallel',
        () =>
          confirmAll(
            platform,
            context.preparer,
            parallelSet.evidenceIds,
            corpus.fileBytes,
            parallel,
          ),
      ],
    );
  }
  if (round % 2 === 1) phases.reverse();

  const line: string[] = [];
  for (const [key, run] of phases) {
    const result = await record(context, key, run);
    line.push(`${PHASE_LABELS[key]} ${formatRate(result)}`);
  }
  await record(context, 'decrypt', () =>
    readFromStorage(platform.storage, storageKeys, corpus.fileBytes, sequential),
  );
  await record(context, 'sha256', () => hashInMemory(corpus.files, corpus.fileBytes, sequential));
  console.log(`  round ${round + 1}: ${line.join(', ')}`);

  const keys = [...storageKeys, ...confirmSet.objectKeys, ...(parallelSet?.objectKeys ?? [])];
  for (const key of keys) await platform.storage.delete(key);
}

/**
 * Scan, store and confirm a few files before the first round, so that
 * clamd's threads, the database pool and the JIT are warm. Not measured.
 */
async function warmUp(context: RoundContext): Promise<void> {
  const { platform, corpus } = context;
  const files = corpus.files.slice(0, 3);
  markFiles(corpus, 'warm-up');
  for (const [index, file] of files.entries()) {
    const verdict = await platform.scanner.scan(Readable.from([file]));
    if (verdict.kind !== 'clean') {
      throw new Error(
        `clamd returned ${JSON.stringify(verdict)} for a warm-up file, expected clean`,
      );
    }
    const declared = await declareAndUpload(
      platform,
      context.preparer,
      file,
      `warm-up-${index}.pdf`,
    );
    await platform.services.evidence.confirm(context.preparer, declared.evidenceId, undefined);
    await platform.storage.delete(declared.objectKey);
  }
}

// ---------------------------------------------------------------------------
// Output

const PHASE_LABELS: Record<PhaseKey, string> = {
  raw: 'clamd from memory',
  rawStorage: 'clamd from storage',
  confirm: 'confirm',
  rawParallel: 'clamd from memory, parallel',
  confirmParallel: 'confirm, parallel',
  decrypt: 'storage read, no scan',
  sha256: 'SHA-256 in memory',
};

function megabytesPerSecond(result: PhaseResult): number {
  return result.bytes / 1e6 / (result.ms / 1000);
}

function formatRate(result: PhaseResult): string {
  return `${megabytesPerSecond(result).toFixed(1)} MB/s`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  if (sorted.length === 0) throw new Error('no measurement to report');
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

/** Format the 1-, 5- and 15-minute load averages, which show other work competing for the cores. */
function formatLoad(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths?.[column] ?? 0) : cell.padStart(widths?.[column] ?? 0),
        )
        .join('  '),
    )
    .join('\n');
}

async function printEnvironment(options: BenchOptions, clamdSettings: string): Promise<void> {
  const cpus = os.cpus();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const server = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.end();
  const clamdVersion = execFileSync(CLAMD, ['--version'], { encoding: 'utf8' }).trim();

  console.log(`CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}; Node ${process.version}`);
  console.log(`Load average before the run: ${formatLoad()}`);
  console.log(
    `PostgreSQL ${server.rows[0]?.server_version ?? 'unknown'} at ${new URL(adminUrl).host}; ${clamdVersion} (${CLAMD}), ${clamdSettings}`,
  );
  console.log(
    `Files: ${options.files} x ${options.fileBytes / 1e6} MB, ${options.rounds} rounds, ${options.parallel} in flight in the parallel phases, seed ${options.seed}`,
  );
}

function perFile(ms: number, files: number): string {
  return (ms / files).toFixed(1);
}

function printSummary(measurements: Measurements, options: BenchOptions): void {
  const summary = new Map<PhaseKey, { rate: number; median: PhaseResult }>();
  for (const [key, results] of measurements.results) {
    const rate = median(results.map(megabytesPerSecond));
    // The round whose rate is the median (the lower one of an even count), for its CPU and step figures.
    const sorted = [...results].sort(
      (left, right) => megabytesPerSecond(left) - megabytesPerSecond(right),
    );
    summary.set(key, { rate, median: sorted[Math.floor((sorted.length - 1) / 2)] as PhaseResult });
  }

  console.log(
    `Median of ${options.rounds} rounds (CPU and steps from the round with the median rate, in ms per file):`,
  );
  const rows = [['phase', 'MB/s', 'ms/file', 'Node CPU', 'clamd CPU', 'rounds, MB/s']];
  for (const key of Object.keys(PHASE_LABELS) as PhaseKey[]) {
    const entry = summary.get(key);
    const results = measurements.results.get(key);
    if (entry === undefined || results === undefined) continue;
    const { median: result } = entry;
    rows.push([
      PHASE_LABELS[key],
      entry.rate.toFixed(1),
      perFile(result.ms, result.files),
      perFile(result.nodeCpuMs, result.files),
      result.clamdCpuMs === null ? 'n/a' : perFile(result.clamdCpuMs, result.files),
      results.map((item) => megabytesPerSecond(item).toFixed(1)).join(', '),
    ]);
  }
  console.log(formatTable(rows).replace(/^/gm, '  '));

  const rate = (key: PhaseKey) => summary.get(key)?.rate ?? Number.NaN;
  const ratio = rate('confirm') / rate('raw');
  console.log(
    `Ratio confirm / clamd from memory: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  console.log(
    `Ratio confirm / clamd from storage: ${(rate('confirm') / rate('rawStorage')).toFixed(2)}; clamd from storage / from memory: ${(rate('rawStorage') / rate('raw')).toFixed(2)}`,
  );
  if (summary.has('confirmParallel')) {
    console.log(
      `Ratio with ${options.parallel} in flight, confirm / clamd from memory: ${(rate('confirmParallel') / rate('rawParallel')).toFixed(2)}; confirm with ${options.parallel} in flight / confirm with 1: ${(rate('confirmParallel') / rate('confirm')).toFixed(2)}`,
    );
  }

  console.log('Steps per file with one in flight, ms (round with the median rate):');
  const stepRows = [
    ['phase', 'head', 'read and send', 'clamd verdict', 'database', 'other', 'total'],
  ];
  for (const key of ['raw', 'rawStorage', 'confirm'] as const) {
    const result = summary.get(key)?.median;
    if (result?.steps == null) continue;
    const { steps, files } = result;
    stepRows.push([
      PHASE_LABELS[key],
      perFile(steps.headMs, files),
      perFile(steps.sendMs, files),
      perFile(steps.verdictMs, files),
      perFile(steps.databaseMs, files),
      perFile(result.ms - steps.headMs - steps.sendMs - steps.verdictMs - steps.databaseMs, files),
      perFile(result.ms, files),
    ]);
  }
  console.log(formatTable(stepRows).replace(/^/gm, '  '));

  console.log('Peak memory (VmHWM, reset at the start of each phase), MiB:');
  const peaks = [...measurements.peakBytes];
  const known = peaks.flatMap(([, bytes]) => (bytes === null ? [] : [bytes]));
  const memoryParts = peaks.map(
    ([key, bytes]) => `${PHASE_LABELS[key]} ${bytes === null ? 'n/a' : mebibytes(bytes)}`,
  );
  console.log(
    `  this process: largest ${known.length === 0 ? 'n/a' : mebibytes(Math.max(...known))}; ${memoryParts.join(', ')}`,
  );
  console.log(
    `  clamd: ${measurements.clamdPeakBytes === 0 ? 'not seen' : mebibytes(measurements.clamdPeakBytes)}`,
  );
  console.log(
    `  The ${mebibytes(options.files * options.fileBytes)} MiB of files stay in this process's memory for the whole run.`,
  );
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  if (!clamdInstalled) {
    throw new Error(
      `${CLAMD} is missing; install Debian's clamav-daemon package to run this benchmark`,
    );
  }
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal} received: stopping after the current file and cleaning up`);
    abort.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const clamdStreamMaxLength = streamMaxLength(options.fileBytes);
  await printEnvironment(
    options,
    `private instance with the tests' signatures, StreamMaxLength ${clamdStreamMaxLength}, MaxThreads ${CLAMD_MAX_THREADS}`,
  );

  const generationStarted = performance.now();
  const corpus = generateCorpus(options.files, options.fileBytes, options.seed);
  console.log(
    `Generated ${(corpus.totalBytes / 1e6).toFixed(0)} MB in ${((performance.now() - generationStarted) / 1000).toFixed(1)} s`,
  );

  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'peytonix-bench-evidence-'));
  const clamd = await startTestClamd({ streamMaxLength: clamdStreamMaxLength });
  try {
    const clamdPid = findClamdChild();
    await withThrowawayDatabase(async ({ ownerUrl, appUrl }) => {
      const config = loadConfig({
        DATABASE_URL: ownerUrl,
        PEYTONIX_APP_DATABASE_URL: appUrl,
        PEYTONIX_DATA_DIR: dataDir,
        PEYTONIX_CLAMD_ADDRESS: `${clamd.address.host}:${clamd.address.port}`,
      });
      const platform = await startPlatform(config, appUrl);
      try {
        const context: RoundContext = {
          platform,
          preparer: await createPreparer(platform.services, ownerUrl),
          corpus,
          options,
          phase: { parallel: 1, signal: abort.signal, sampleCpu: createCpuSampler(clamdPid) },
          measurements: { results: new Map(), peakBytes: new Map(), clamdPeakBytes: 0 },
        };
        await warmUp(context);
        for (let round = 0; round < options.rounds; round += 1) {
          abort.signal.throwIfAborted();
          await runRound(context, round);
        }
        printSummary(context.measurements, options);
        console.log(`Load average after the run: ${formatLoad()}`);
      } finally {
        await platform.close();
      }
    });
  } finally {
    await clamd.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
