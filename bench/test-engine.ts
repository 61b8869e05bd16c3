// Benchmark: the test engine on a large payment ledger, each part against a
// baseline measured in the same run.
//
// 1. Import: datasets.importFile (type inference, typed Parquet, SHA-256 and
//    encrypted storage of both files) against DuckDB's own
//    COPY (SELECT * FROM read_csv(...)) TO '...parquet' in a fresh instance.
// 2. Test runs: duplicate-payments-exact and benford-first-digit end to end,
//    from runs.request through a real pg-boss worker in this process and the
//    sandbox child process until the run row is succeeded. The baseline runs
//    the template's SQL on the same Parquet file through @duckdb/node-api in
//    this process, once with DuckDB's default settings and once with the
//    sandbox's memory and thread limits.
// 3. pandas: the exact-duplicate test in a Python child process, file read
//    included.
// 4. Peak memory of this process and its child processes in each phase.
//
// The import runs once. Every test variant runs --rounds times, odd rounds
// in reverse order, and the best time counts. The script fails when two
// variants of a test return different row counts, or when the exact
// duplicates found differ from the pairs planted in the ledger.
//
// The ledger is a deterministic CSV (see test-engine/ledger.ts) in a
// temporary directory, removed at the end with the throwaway database.
//
// Run: npm run test-engine -w @peytonix/bench -- [--rows=10000000] [--rounds=3] [--seed=1] [--python=PATH]
// BENCH_ROWS, BENCH_ROUNDS, BENCH_SEED and BENCH_PYTHON set the same values
// when the flags are absent. Without --python, the first of python3 and
// /usr/bin/python3 that imports pandas runs the pandas baseline, and without
// one the pandas figures are reported as unavailable.
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
// The app connects as peytonix_app with no password, so PostgreSQL must
// trust that role on loopback.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import type { Actor } from '../apps/server/src/modules/identity/actor.ts';
import { DEFAULT_RUN_LIMITS } from '../apps/server/src/modules/runs/run-executor.ts';
import {
  type DeclaredParameter,
  resolveParameters,
} from '../apps/server/src/modules/runs/run-plan.ts';
import { findTemplate } from '../apps/server/src/modules/tests/library/library.ts';
import { loadConfig } from '../apps/server/src/platform/config/load-config.ts';
import { createLogger } from '../apps/server/src/platform/logging/logger.ts';
import { migrateDatabase } from '../apps/server/src/runtime.ts';
import {
  copyCsvToParquet,
  findPandas,
  type PandasResult,
  type PandasRuntime,
  runDuckDBQueries,
  runPandasDuplicates,
} from './test-engine/baselines.ts';
import { type Ledger, writeLedger } from './test-engine/ledger.ts';
import { measurePhase, type PhaseMemory } from './test-engine/memory.ts';
import {
  createAuditor,
  extractParquet,
  type Platform,
  type PlatformRun,
  runPlatformTest,
  startPlatform,
} from './test-engine/platform.ts';

/** Largest platform / raw DuckDB time ratio for duplicate-payments-exact. */
const DUPLICATES_TARGET_RATIO = 1.3;
/** Smallest pandas / platform time ratio for the exact-duplicate test. */
const PANDAS_TARGET_SPEEDUP = 5;
const ENTITY_CODE = 'AP';
const DATASET_NAME = 'Payment ledger';
const PYTHON_CANDIDATES = ['python3', '/usr/bin/python3'];

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface BenchOptions {
  rows: number;
  rounds: number;
  seed: number;
  python: string | undefined;
}

/** A library test as the benchmark runs it. */
interface BenchTest {
  key: string;
  inputName: string;
  /** The template's SQL, then its summary SQL when it has one, as the executor runs them. */
  statements: string[];
  /** The template's parameters at their defaults, as a run without --param binds them. */
  parameters: ReturnType<typeof resolveParameters>;
}

interface TestTimings {
  platform: PlatformRun[];
  duckdbDefault: number[];
  duckdbLimited: number[];
  pandas: PandasResult[];
  /** Result rows of the first variant measured. Every other variant must return as many. */
  exceptionCount: number | null;
}

function parsePositiveInteger(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: process.env.BENCH_ROWS ?? '10000000' },
      rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
      seed: { type: 'string', default: process.env.BENCH_SEED ?? '1' },
      python: { type: 'string', default: process.env.BENCH_PYTHON },
    },
  });
  return {
    rows: parsePositiveInteger(values.rows, '--rows or BENCH_ROWS'),
    rounds: parsePositiveInteger(values.rounds, '--rounds or BENCH_ROUNDS'),
    seed: parsePositiveInteger(values.seed, '--seed or BENCH_SEED'),
    python: values.python,
  };
}

function loadTest(key: string, inputName: string): BenchTest {
  const template = findTemplate(key);
  if (template === undefined) throw new Error(`the library has no template ${key}`);
  return {
    key,
    inputName,
    statements:
      template.summarySql === undefined ? [template.sql] : [template.sql, template.summarySql],
    parameters: resolveParameters(template.parameters as DeclaredParameter[], {}),
  };
}

function databaseUrl(database: string, user?: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user !== undefined) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

/** Create a migrated database with the application role, run `work` against it, then drop it. */
async function withThrowawayDatabase<T>(
  work: (urls: { ownerUrl: string; appUrl: string }) => Promise<T>,
): Promise<T> {
  const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const role = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'peytonix_app'");
  if (role.rowCount === 0) await admin.query('CREATE ROLE peytonix_app LOGIN');
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  try {
    const ownerUrl = databaseUrl(name);
    await migrateDatabase(ownerUrl, createLogger('silent'));
    return await work({ ownerUrl, appUrl: databaseUrl(name, 'peytonix_app') });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

// ---------------------------------------------------------------------------
// Phases

/** Peak memory per phase name, the largest figures over the rounds. */
const memoryByPhase = new Map<string, PhaseMemory>();

async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const { value, memory } = await measurePhase(work);
  const previous = memoryByPhase.get(name);
  if (previous === undefined) {
    memoryByPhase.set(name, memory);
  } else {
    memoryByPhase.set(name, {
      startRssBytes: Math.max(previous.startRssBytes, memory.startRssBytes),
      sampledPeakRssBytes: Math.max(previous.sampledPeakRssBytes, memory.sampledPeakRssBytes),
      highWaterMarkBytes:
        previous.highWaterMarkBytes === null || memory.highWaterMarkBytes === null
          ? null
          : Math.max(previous.highWaterMarkBytes, memory.highWaterMarkBytes),
      children: [...previous.children, ...memory.children],
    });
  }
  return value;
}

interface ImportFigures {
  platformMs: number;
  duckdbMs: number;
  extractMs: number;
  parquetBytes: number;
  columns: string;
}

async function measureImport(
  platform: Platform,
  actor: Actor,
  ledger: Ledger,
  directory: string,
): Promise<ImportFigures & { parquetPath: string }> {
  const copied = await phase('import: DuckDB COPY', () =>
    copyCsvToParquet(ledger.path, path.join(directory, 'duckdb-copy.parquet')),
  );
  if (copied.rows !== ledger.rows) {
    throw new Error(`DuckDB's COPY wrote ${copied.rows} rows, expected ${ledger.rows}`);
  }
  await rm(path.join(directory, 'duckdb-copy.parquet'));

  const imported = await phase('import: platform importFile', async () => {
    const started = performance.now();
    const version = await platform.services.datasets.importFile(actor, {
      entityCode: ENTITY_CODE,
      datasetName: DATASET_NAME,
      filePath: ledger.path,
      fileName: path.basename(ledger.path),
    });
    return { version, ms: performance.now() - started };
  });
  if (imported.version.rowCount !== ledger.rows) {
    throw new Error(
      `importFile recorded ${imported.version.rowCount} rows, expected ${ledger.rows}`,
    );
  }

  const parquetPath = path.join(directory, 'platform.parquet');
  const extracted = await phase('Parquet copied out of storage', () =>
    extractParquet(platform, actor, imported.version.versionId, parquetPath),
  );
  return {
    platformMs: imported.ms,
    duckdbMs: copied.ms,
    extractMs: extracted.ms,
    parquetBytes: extracted.bytes,
    columns: imported.version.columns.map((column) => `${column.name} ${column.type}`).join(', '),
    parquetPath,
  };
}

type Variant = 'platform' | 'duckdbDefault' | 'duckdbLimited' | 'pandas';

function checkCount(test: BenchTest, timings: TestTimings, label: string, count: number): void {
  timings.exceptionCount ??= count;
  if (count !== timings.exceptionCount) {
    throw new Error(
      `${test.key}: ${label} returned ${count} rows, but an earlier variant returned ${timings.exceptionCount}, so the variants do not do the same work`,
    );
  }
}

async function measureVariant(
  variant: Variant,
  test: BenchTest,
  timings: TestTimings,
  context: {
    platform: Platform;
    actor: Actor;
    parquetPath: string;
    ledger: Ledger;
    pandas: PandasRuntime | null;
  },
): Promise<void> {
  const duckdbLimits = {
    memory_limit: `${DEFAULT_RUN_LIMITS.memoryMb}MiB`,
    threads: String(DEFAULT_RUN_LIMITS.threads),
  };
  switch (variant) {
    case 'platform': {
      const run = await phase(`${test.key}: platform`, () =>
        runPlatformTest(context.platform, context.actor, {
          entityCode: ENTITY_CODE,
          test: test.key,
          inputName: test.inputName,
          datasetName: DATASET_NAME,
        }),
      );
      checkCount(test, timings, 'the platform run', run.exceptionCount);
      timings.platform.push(run);
      return;
    }
    case 'duckdbDefault':
    case 'duckdbLimited': {
      const limited = variant === 'duckdbLimited';
      const label = limited ? 'DuckDB, sandbox limits' : 'DuckDB, defaults';
      const result = await phase(`${test.key}: ${label}`, () =>
        runDuckDBQueries(
          context.parquetPath,
          test.inputName,
          test.statements,
          test.parameters,
          limited ? duckdbLimits : {},
        ),
      );
      checkCount(test, timings, label, result.rowCounts[0] ?? -1);
      timings[variant].push(result.ms);
      return;
    }
    case 'pandas': {
      const runtime = context.pandas;
      if (runtime === null) return;
      const result = await phase(`${test.key}: pandas`, () =>
        runPandasDuplicates(runtime, {
          csvPath: context.ledger.path,
          parquetPath: context.parquetPath,
        }),
      );
      checkCount(test, timings, 'pandas', result.groups);
      timings.pandas.push(result);
      return;
    }
  }
}

/**
 * Run every variant of every test `rounds` times. Odd rounds reverse the
 * order of the variants, so drift in machine load and the page cache falls
 * on all of them.
 */
async function measureTests(
  tests: readonly BenchTest[],
  rounds: number,
  context: Parameters<typeof measureVariant>[3],
): Promise<Map<string, TestTimings>> {
  const results = new Map<string, TestTimings>();
  for (const test of tests) {
    results.set(test.key, {
      platform: [],
      duckdbDefault: [],
      duckdbLimited: [],
      pandas: [],
      exceptionCount: null,
    });
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const test of tests) {
      const timings = results.get(test.key) as TestTimings;
      const variants: Variant[] = ['platform', 'duckdbDefault', 'duckdbLimited'];
      if (test.key === 'duplicate-payments-exact') variants.push('pandas');
      if (round % 2 === 1) variants.reverse();
      for (const variant of variants) {
        await measureVariant(variant, test, timings, context);
      }
      console.log(`  round ${round + 1} of ${test.key} done`);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// Output

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function mebibytes(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}

function fastest<T>(items: readonly T[], ms: (item: T) => number): T {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error('no measurement to report');
  return rest.reduce((best, item) => (ms(item) < ms(best) ? item : best), first);
}

/** Format the 1-, 5- and 15-minute load averages, which show other work competing for the cores. */
function formatLoad(): string {
  return os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ');
}

async function printEnvironment(
  options: BenchOptions,
  pandas: PandasRuntime | null,
): Promise<void> {
  const cpus = os.cpus();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const server = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.end();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const duckdbVersion = (await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0];
  connection.closeSync();
  instance.closeSync();

  console.log(`CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}; Node ${process.version}`);
  console.log(`Load average before the run: ${formatLoad()}`);
  console.log(
    `PostgreSQL ${server.rows[0]?.server_version ?? 'unknown'} at ${new URL(adminUrl).host}; DuckDB ${String(duckdbVersion)} (@duckdb/node-api)`,
  );
  console.log(
    pandas === null
      ? `pandas: unavailable (none of ${options.python ?? PYTHON_CANDIDATES.join(', ')} imports pandas)`
      : `pandas ${pandas.pandasVersion} in ${pandas.executable}, reading the ${pandas.hasPyarrow ? 'Parquet file (pyarrow)' : 'CSV file (no pyarrow)'}`,
  );
  console.log(
    `Sandbox limits: ${DEFAULT_RUN_LIMITS.memoryMb} MiB DuckDB memory_limit, ${DEFAULT_RUN_LIMITS.threads} threads; ${options.rounds} rounds of every test`,
  );
}

function printImport(figures: ImportFigures, ledger: Ledger): void {
  const platformRate = ledger.rows / (figures.platformMs / 1000);
  const duckdbRate = ledger.rows / (figures.duckdbMs / 1000);
  console.log(`Import of the ${(ledger.bytes / 1e6).toFixed(1)} MB CSV, one run each:`);
  console.log(
    `  platform importFile: ${seconds(figures.platformMs)}, ${formatCount(platformRate)} rows/s (${figures.columns})`,
  );
  console.log(
    `  DuckDB COPY read_csv to Parquet (baseline): ${seconds(figures.duckdbMs)}, ${formatCount(duckdbRate)} rows/s`,
  );
  console.log(`  ratio platform / DuckDB (by rows/s): ${(platformRate / duckdbRate).toFixed(2)}`);
  console.log(
    `  copying the ${(figures.parquetBytes / 1e6).toFixed(1)} MB Parquet file out of encrypted storage, checked against its SHA-256, as each run does: ${seconds(figures.extractMs)}`,
  );
}

function printTest(test: BenchTest, timings: TestTimings, rounds: number): void {
  const platform = fastest(timings.platform, (run) => run.ms);
  const duckdbDefault = Math.min(...timings.duckdbDefault);
  const duckdbLimited = Math.min(...timings.duckdbLimited);
  const statements = test.statements.length === 1 ? 'its SQL' : 'its SQL and summary SQL';
  console.log(
    `${test.key} (${timings.exceptionCount} exceptions; ${statements}), best of ${rounds}:`,
  );
  console.log(
    `  platform end to end: ${seconds(platform.ms)} (queue wait ${seconds(platform.queueWaitMs)}, execution ${seconds(platform.executionMs)}, main sandbox child ${seconds(platform.sandboxMs)})`,
  );
  // pg-boss workers poll every 2 s by default, so the queue wait of the best
  // round understates the wait a run has on average.
  console.log(
    `  platform, every round: ${timings.platform.map((run) => `${seconds(run.ms)} (queue wait ${seconds(run.queueWaitMs)})`).join(', ')}`,
  );
  console.log(`  raw DuckDB, default settings (baseline): ${seconds(duckdbDefault)}`);
  console.log(`  raw DuckDB, sandbox memory and thread limits: ${seconds(duckdbLimited)}`);
  const ratio = platform.ms / duckdbDefault;
  const target =
    test.key === 'duplicate-payments-exact'
      ? `; target <= ${DUPLICATES_TARGET_RATIO}: ${ratio <= DUPLICATES_TARGET_RATIO ? 'met' : 'NOT met'}`
      : '';
  console.log(
    `  ratio platform / raw DuckDB: ${ratio.toFixed(2)}${target} (against the limited instance: ${(platform.ms / duckdbLimited).toFixed(2)})`,
  );

  if (test.key !== 'duplicate-payments-exact') return;
  if (timings.pandas.length === 0) {
    console.log('  pandas: unavailable, so the platform / pandas ratio is unavailable');
    return;
  }
  const pandas = fastest(timings.pandas, (result) => result.ms);
  console.log(
    `  pandas, reading the ${pandas.source} file: ${seconds(pandas.ms)} (read ${seconds(pandas.readMs)}, compute ${seconds(pandas.computeMs)}, rest is Python start and import pandas), peak RSS ${mebibytes(Math.max(...timings.pandas.map((result) => result.peakRssBytes)))} MiB`,
  );
  const speedup = pandas.ms / platform.ms;
  console.log(
    `  platform speed-up over pandas: ${speedup.toFixed(2)}x; target >= ${PANDAS_TARGET_SPEEDUP}x: ${speedup >= PANDAS_TARGET_SPEEDUP ? 'met' : 'NOT met'}`,
  );
}

function printMemory(): void {
  console.log(
    'Peak memory by phase, MiB (this process: RSS at start, sampled peak RSS, VmHWM reset at start; children: peak VmHWM):',
  );
  for (const [name, memory] of memoryByPhase) {
    const highWater =
      memory.highWaterMarkBytes === null ? 'n/a' : mebibytes(memory.highWaterMarkBytes);
    const children =
      memory.children.length === 0
        ? 'none seen'
        : `${memory.children.length} ${[...new Set(memory.children.map((child) => child.name))].join('/')}, max ${mebibytes(Math.max(...memory.children.map((child) => child.peakBytes)))}`;
    console.log(
      `  ${name}: start ${mebibytes(memory.startRssBytes)}, peak ${mebibytes(memory.sampledPeakRssBytes)}, VmHWM ${highWater}; children ${children}`,
    );
  }
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  const pandas = await findPandas(
    options.python === undefined ? PYTHON_CANDIDATES : [options.python],
  );
  await printEnvironment(options, pandas);
  const tests = [
    loadTest('duplicate-payments-exact', 'payments'),
    loadTest('benford-first-digit', 'transactions'),
  ];

  const directory = await mkdtemp(path.join(os.tmpdir(), 'peytonix-bench-engine-'));
  try {
    const generationStarted = performance.now();
    const ledger = await phase('ledger CSV written', () =>
      writeLedger(path.join(directory, 'ledger.csv'), options.rows, options.seed),
    );
    console.log(
      `Ledger: ${formatCount(ledger.rows)} rows, ${(ledger.bytes / 1e6).toFixed(1)} MB, ${ledger.duplicateGroups} planted duplicate pairs, written in ${seconds(performance.now() - generationStarted)}`,
    );

    await withThrowawayDatabase(async ({ ownerUrl, appUrl }) => {
      const config = loadConfig({
        DATABASE_URL: ownerUrl,
        PEYTONIX_APP_DATABASE_URL: appUrl,
        PEYTONIX_DATA_DIR: path.join(directory, 'data'),
      });
      const platform = await startPlatform(config, appUrl);
      try {
        const actor = await createAuditor(platform.services, ENTITY_CODE, ownerUrl);
        const imported = await measureImport(platform, actor, ledger, directory);
        printImport(imported, ledger);

        const results = await measureTests(tests, options.rounds, {
          platform,
          actor,
          parquetPath: imported.parquetPath,
          ledger,
          pandas,
        });
        const duplicates = results.get('duplicate-payments-exact');
        if (duplicates?.exceptionCount !== ledger.duplicateGroups) {
          throw new Error(
            `duplicate-payments-exact found ${duplicates?.exceptionCount} groups, but the ledger has ${ledger.duplicateGroups} planted pairs`,
          );
        }
        for (const test of tests)
          printTest(test, results.get(test.key) as TestTimings, options.rounds);
        printMemory();
        console.log(`Load average after the run: ${formatLoad()}`);
      } finally {
        await platform.close();
      }
    });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

await main();
