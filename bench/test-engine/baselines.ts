// Baselines of the test-engine benchmark: DuckDB through @duckdb/node-api in
// this process, and pandas in a Python child process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlStringLiteral } from '../../apps/server/src/modules/runs/engine/sandbox-inputs.ts';
import {
  bindParameters,
  type SandboxParameter,
} from '../../apps/server/src/modules/runs/engine/sandbox-parameters.ts';

const run = promisify(execFile);

/** DuckDB settings of a baseline instance. An empty object keeps DuckDB's defaults. */
export type DuckDBSettings = Record<string, string>;

export interface CopyResult {
  ms: number;
  rows: number;
}

/**
 * Convert the CSV file to Parquet with DuckDB's own CSV reader and type
 * detection, in a fresh in-memory instance with default settings.
 */
export async function copyCsvToParquet(csvPath: string, parquetPath: string): Promise<CopyResult> {
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `COPY (SELECT * FROM read_csv(${sqlStringLiteral(csvPath)})) TO ${sqlStringLiteral(parquetPath)} (FORMAT parquet)`,
    );
    const ms = performance.now() - started;
    return { ms, rows: Number(reader.getRows()[0]?.[0] ?? -1) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface QueryResult {
  ms: number;
  /** Result rows of each statement, in order. */
  rowCounts: number[];
}

/**
 * Run `statements` one after another over the Parquet file, shown as the
 * view `inputName` exactly as the sandbox shows it when every field has
 * its column's name, in a fresh in-memory instance. Each statement gets the
 * parameters it uses, bound by the sandbox's own bindParameters, and its
 * rows are read into JavaScript. The time covers the instance too.
 */
export async function runDuckDBQueries(
  parquetPath: string,
  inputName: string,
  statements: readonly string[],
  parameters: readonly SandboxParameter[],
  settings: DuckDBSettings,
): Promise<QueryResult> {
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:', settings);
  const connection = await instance.connect();
  try {
    await connection.run(
      `CREATE VIEW ${inputName} AS SELECT * FROM read_parquet(${sqlStringLiteral(parquetPath)})`,
    );
    const rowCounts: number[] = [];
    for (const statement of statements) {
      const prepared = await connection.prepare(statement);
      const used = new Set<string>();
      for (let index = 1; index <= prepared.parameterCount; index += 1) {
        used.add(prepared.parameterName(index));
      }
      bindParameters(
        prepared,
        parameters.filter((parameter) => used.has(parameter.name)),
      );
      const reader = await prepared.runAndReadAll();
      rowCounts.push(reader.getRows().length);
    }
    return { ms: performance.now() - started, rowCounts };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export interface PandasRuntime {
  executable: string;
  pandasVersion: string;
  /** Whether pyarrow imports, so pandas can read Parquet. */
  hasPyarrow: boolean;
}

const PROBE_SCRIPT = `
import json
import pandas
try:
    import pyarrow  # noqa: F401
    has_pyarrow = True
except ImportError:
    has_pyarrow = False
print(json.dumps({"pandas": pandas.__version__, "pyarrow": has_pyarrow}))
`;

/** Return the first of `candidates` that imports pandas, or null when none does. */
export async function findPandas(candidates: readonly string[]): Promise<PandasRuntime | null> {
  for (const executable of candidates) {
    try {
      const { stdout } = await run(executable, ['-c', PROBE_SCRIPT]);
      const probe = JSON.parse(stdout) as { pandas: string; pyarrow: boolean };
      return { executable, pandasVersion: probe.pandas, hasPyarrow: probe.pyarrow };
    } catch {
      // Missing interpreter or no pandas in it: try the next candidate.
    }
  }
  return null;
}

// The same exact-duplicate test as the duplicate-payments-exact template.
// It finds the groups of (vendor_id, invoice_number, amount) with more than
// one payment, ignoring missing keys and zero amounts, and the group size
// that transform broadcasts back to each row acts as HAVING. Each group gets
// its count, duplicate amount and sorted payment dates, ordered by the keys.
// Dates stay text, because ISO dates sort correctly as text.
const PANDAS_DUPLICATES_SCRIPT = `
import json, resource, sys, time
import pandas as pd

source, path = sys.argv[1], sys.argv[2]
keys = ["vendor_id", "invoice_number", "amount"]

read_started = time.perf_counter()
if source == "parquet":
    df = pd.read_parquet(path)
else:
    df = pd.read_csv(path, dtype={"vendor_id": str, "invoice_number": str, "payment_date": str})
read_seconds = time.perf_counter() - read_started

compute_started = time.perf_counter()
df = df[df[keys].notna().all(axis=1) & (df["amount"] != 0)]
counts = df.groupby(keys, sort=False)["payment_date"].transform("size")
rows = df[counts > 1]
result = rows.groupby(keys, sort=True).agg(
    payment_count=("payment_date", "size"),
    payment_dates=("payment_date", lambda dates: sorted(dates)),
)
result["duplicate_amount"] = result.index.get_level_values("amount") * (result["payment_count"] - 1)
compute_seconds = time.perf_counter() - compute_started

print(json.dumps({
    "groups": len(result),
    "readSeconds": read_seconds,
    "computeSeconds": compute_seconds,
    "maxRssKib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
`;

export interface PandasResult {
  /** From starting the interpreter to its exit, so Python's start and `import pandas` count too. */
  ms: number;
  source: 'parquet' | 'csv';
  groups: number;
  readMs: number;
  computeMs: number;
  /** The child's own peak RSS (getrusage ru_maxrss). */
  peakRssBytes: number;
}

/**
 * Run the exact-duplicate test in pandas in a child process. pandas reads
 * the Parquet file when pyarrow is installed and the CSV file otherwise.
 * NOTE: the Parquet branch has not been run on the machine the figures in
 * docs/benchmarks.md come from, which has no pyarrow.
 */
export async function runPandasDuplicates(
  runtime: PandasRuntime,
  files: { csvPath: string; parquetPath: string },
): Promise<PandasResult> {
  const source = runtime.hasPyarrow ? 'parquet' : 'csv';
  const input = source === 'parquet' ? files.parquetPath : files.csvPath;
  const started = performance.now();
  const { stdout } = await run(runtime.executable, ['-c', PANDAS_DUPLICATES_SCRIPT, source, input]);
  const ms = performance.now() - started;
  const output = JSON.parse(stdout) as {
    groups: number;
    readSeconds: number;
    computeSeconds: number;
    maxRssKib: number;
  };
  return {
    ms,
    source,
    groups: output.groups,
    readMs: output.readSeconds * 1000,
    computeMs: output.computeSeconds * 1000,
    peakRssBytes: output.maxRssKib * 1024,
  };
}
