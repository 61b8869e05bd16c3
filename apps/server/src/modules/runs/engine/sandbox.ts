import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResult,
  version as duckdbLibraryVersion,
  StatementType,
} from '@duckdb/node-api';
import type { Logger } from 'pino';
import {
  describeDuckDBError,
  hasExceptionType,
  isQueryFault,
  toStringIndex,
} from './duckdb-errors.ts';
import { type JsonValue, jsonSafeConverter } from './result-values.ts';
import { SandboxError, SandboxTimeoutError } from './sandbox-errors.ts';
import {
  type ResolvedInput,
  resolveInputs,
  type SandboxInput,
  sqlIdentifier,
  sqlStringLiteral,
} from './sandbox-inputs.ts';
import { applySandboxSettings, sandboxInstanceOptions } from './sandbox-instance.ts';
import { bindParameters, type SandboxParameter } from './sandbox-parameters.ts';
import { checkSingleSelect } from './statement-check.ts';

export {
  isSandboxError,
  SandboxError,
  type SandboxErrorCode,
  SandboxTimeoutError,
} from './sandbox-errors.ts';
export type { SandboxInput } from './sandbox-inputs.ts';
export type { SandboxParameter } from './sandbox-parameters.ts';

export interface SandboxLimits {
  /**
   * DuckDB memory_limit, in MiB.
   * NOTE: DuckDB does not count every allocation against it. On DuckDB 1.5.6,
   * `SELECT length(repeat('x', 500000000))` passed with memoryMb 64 while the
   * process grew to about 1.1 GB, so only a process-level limit bounds memory.
   */
  memoryMb: number;
  /** DuckDB worker threads. */
  threads: number;
  /** Wall-clock limit for the whole run, from opening DuckDB to the last result row, in ms. */
  timeoutMs: number;
  /** Maximum rows to return. The sandbox reads one more to detect truncation. */
  maxResultRows: number;
  /** DuckDB max_temp_directory_size, in MiB. Defaults to 4 × memoryMb. */
  maxTempDirectoryMb?: number;
}

export interface SandboxRequest {
  /** One DuckDB SELECT statement whose result rows are the exceptions. */
  sql: string;
  /** Parquet files the query reads, each as a view named after the input. */
  inputs: readonly SandboxInput[];
  /** Values for the `$name` parameters of the query. */
  parameters: readonly SandboxParameter[];
  limits: SandboxLimits;
  /** Existing directory that contains every input file (after following links). */
  inputRoot: string;
  /** Existing directory in which the run creates, and afterwards removes, its spill directory. */
  tempDir: string;
  /** Receives warnings about cleanup failures and abandoned runs. */
  logger?: Logger;
}

export interface SandboxColumn {
  name: string;
  /** DuckDB's name of the column type, such as "DECIMAL(18,2)" or "TIMESTAMP WITH TIME ZONE". */
  type: string;
}

export interface SandboxResult {
  columns: SandboxColumn[];
  /** Result rows, converted as described at jsonSafeConverter. */
  rows: JsonValue[][];
  /** Number of rows in `rows`. */
  rowCount: number;
  /** True when the query produced more than `limits.maxResultRows` rows. */
  truncated: boolean;
  /** Version of the DuckDB library that ran the query, such as "v1.5.6". */
  duckdbVersion: string;
  /** Row count of each input, by input name. */
  inputRowCounts: Record<string, number>;
  durationMs: number;
}

/** Time DuckDB gets to stop after an interrupt before the run is abandoned, in ms. */
export const INTERRUPT_GRACE_MS = 5_000;

/** Default max_temp_directory_size as a multiple of memoryMb. */
// NOTE: the factor is a starting guess, not a measured need of real control tests.
const DEFAULT_TEMP_DIRECTORY_FACTOR = 4;

/** Largest delay setTimeout accepts, in ms. */
const MAX_TIMER_MS = 2_147_483_647;

type RunStage = 'setup' | 'inputs' | 'query';

function checkLimit(name: string, value: unknown, minimum: number, maximum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new SandboxError(
      'INPUT_INVALID',
      `limits.${name} must be an integer, got ${String(value)}.`,
    );
  }
  if (value < minimum || value > maximum) {
    throw new SandboxError(
      'INPUT_INVALID',
      `limits.${name} must be between ${minimum} and ${maximum}, got ${value}.`,
    );
  }
  return value;
}

function checkLimits(limits: SandboxLimits): Required<SandboxLimits> {
  const memoryMb = checkLimit('memoryMb', limits.memoryMb, 1, Number.MAX_SAFE_INTEGER);
  return {
    memoryMb,
    threads: checkLimit('threads', limits.threads, 1, 1024),
    timeoutMs: checkLimit('timeoutMs', limits.timeoutMs, 1, MAX_TIMER_MS),
    maxResultRows: checkLimit('maxResultRows', limits.maxResultRows, 0, Number.MAX_SAFE_INTEGER),
    maxTempDirectoryMb: checkLimit(
      'maxTempDirectoryMb',
      limits.maxTempDirectoryMb ?? memoryMb * DEFAULT_TEMP_DIRECTORY_FACTOR,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
  };
}

/**
 * Timer that interrupts the connection when the run's time is up, and
 * reports the run as abandoned if DuckDB has not stopped within
 * INTERRUPT_GRACE_MS after that.
 */
class RunDeadline {
  readonly timeoutMs: number;
  /** Resolves when the grace period after the interrupt has passed. */
  readonly abandoned: Promise<void>;
  #fired = false;
  #timer: NodeJS.Timeout;
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(connection: DuckDBConnection, timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    let abandon = () => {};
    this.abandoned = new Promise<void>((resolve) => {
      abandon = resolve;
    });
    this.#timer = setTimeout(() => {
      this.#fired = true;
      connection.interrupt();
      this.#graceTimer = setTimeout(abandon, INTERRUPT_GRACE_MS);
    }, timeoutMs);
  }

  get fired(): boolean {
    return this.#fired;
  }

  /**
   * Throw the timeout between DuckDB calls: an interrupt that arrives while
   * no query runs would otherwise be lost.
   */
  throwIfFired(): void {
    if (this.#fired) throw new SandboxTimeoutError(this.timeoutMs, true);
  }

  clear(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#graceTimer);
  }
}

function toSandboxError(
  error: unknown,
  stage: RunStage,
  sql: string,
  deadline: RunDeadline,
): SandboxError {
  if (error instanceof SandboxError) return error;
  if (deadline.fired) return new SandboxTimeoutError(deadline.timeoutMs, true, { cause: error });

  const details = describeDuckDBError(error);
  const unit = hasExceptionType(details, 'Parser') ? 'codePoints' : 'bytes';
  const options = {
    cause: error,
    ...(details.position === undefined || stage !== 'query'
      ? {}
      : { position: toStringIndex(sql, details.position, unit) }),
  };
  if (hasExceptionType(details, 'Out of Memory')) {
    return new SandboxError(
      'SANDBOX_LIMIT',
      `The query exceeded the memory or temporary-disk limit of the run: ${details.message}`,
      options,
    );
  }
  if (stage === 'inputs') {
    return new SandboxError(
      'INPUT_INVALID',
      `Reading an input failed: ${details.message}`,
      options,
    );
  }
  if (stage === 'query' && hasExceptionType(details, 'Permission')) {
    return new SandboxError(
      'SQL_NOT_ALLOWED',
      `DuckDB rejected a file or extension access: ${details.message}`,
      options,
    );
  }
  if (stage === 'query' && isQueryFault(details)) {
    return new SandboxError(
      'SQL_INVALID',
      `DuckDB rejected the query: ${details.message}`,
      options,
    );
  }
  return new SandboxError(
    'SANDBOX_FAILED',
    `The sandbox failed unexpectedly: ${details.message}`,
    options,
  );
}

/**
 * Build the select list of an input's view: every file column, plus each
 * mapped field as an alias of its source column. A file column that has a
 * field's name but is not its source is left out, so the field name always
 * means the mapped column. DuckDB compares column names without regard to
 * case, and so does this, but a column that differs from its field only in
 * case is still aliased, so the result shows the field's own spelling.
 */
async function mappedSelectList(
  connection: DuckDBConnection,
  source: string,
  input: ResolvedInput,
): Promise<string> {
  const mappings = Object.entries(input.fields);
  if (mappings.length === 0) return '*';

  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const columns = described.getRows().map((row) => String(row[0]));
  const byLowerName = new Map(columns.map((column) => [column.toLowerCase(), column]));
  const hidden: string[] = [];
  const aliases: string[] = [];
  for (const [field, sourceColumn] of mappings) {
    if (sourceColumn === null) {
      const clash = byLowerName.get(field);
      if (clash !== undefined) hidden.push(sqlIdentifier(clash));
      aliases.push(`NULL AS ${sqlIdentifier(field)}`);
      continue;
    }
    const actual = byLowerName.get(sourceColumn.toLowerCase());
    if (actual === undefined) {
      throw new SandboxError(
        'INPUT_INVALID',
        `Input ${input.name} has no column ${JSON.stringify(sourceColumn)} for field ${field}. Its columns are ${columns.map((column) => JSON.stringify(column)).join(', ')}.`,
      );
    }
    // Same name, same case: the file column already is the field.
    if (actual === field) continue;
    const clash = byLowerName.get(field);
    if (clash !== undefined) hidden.push(sqlIdentifier(clash));
    aliases.push(`${sqlIdentifier(actual)} AS ${sqlIdentifier(field)}`);
  }
  const all = hidden.length > 0 ? `* EXCLUDE (${hidden.join(', ')})` : '*';
  return aliases.length > 0 ? `${all}, ${aliases.join(', ')}` : all;
}

/** Create one view per input and return each input's row count. */
async function createInputViews(
  connection: DuckDBConnection,
  inputs: readonly ResolvedInput[],
  deadline: RunDeadline,
): Promise<Record<string, number>> {
  const rowCounts: Record<string, number> = {};
  for (const input of inputs) {
    deadline.throwIfFired();
    const view = sqlIdentifier(input.name);
    try {
      const source = `read_parquet(${sqlStringLiteral(input.path)})`;
      const selectList = await mappedSelectList(connection, source, input);
      await connection.run(`CREATE VIEW ${view} AS SELECT ${selectList} FROM ${source}`);
      const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${view}`);
      rowCounts[input.name] = Number(reader.getRows()[0]?.[0] ?? 0);
    } catch (error) {
      const details = describeDuckDBError(error);
      if (deadline.fired || hasExceptionType(details, 'Out of Memory')) throw error;
      throw new SandboxError(
        'INPUT_INVALID',
        `Input ${input.name} could not be read as Parquet: ${details.message}`,
        { cause: error },
      );
    }
  }
  return rowCounts;
}

async function readRows(
  result: DuckDBResult,
  maxResultRows: number,
  deadline: RunDeadline,
): Promise<JsonValue[][]> {
  const rows: JsonValue[][] = [];
  while (rows.length <= maxResultRows) {
    deadline.throwIfFired();
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    for (const row of chunk.convertRows(jsonSafeConverter)) {
      rows.push(row);
      if (rows.length > maxResultRows) break;
    }
  }
  return rows;
}

interface QueryOutcome {
  columns: SandboxColumn[];
  rows: JsonValue[][];
  inputRowCounts: Record<string, number>;
}

interface RunContext {
  connection: DuckDBConnection;
  request: SandboxRequest;
  inputs: readonly ResolvedInput[];
  limits: Required<SandboxLimits>;
  spillDirectory: string;
  deadline: RunDeadline;
}

async function executeRun(context: RunContext): Promise<QueryOutcome> {
  const { connection, request, inputs, limits, spillDirectory, deadline } = context;
  let stage: RunStage = 'setup';
  try {
    await applySandboxSettings(connection, inputs, spillDirectory);

    stage = 'inputs';
    const inputRowCounts = await createInputViews(connection, inputs, deadline);

    stage = 'query';
    deadline.throwIfFired();
    const prepared = await connection.prepare(request.sql);
    // DuckDB's own statement type is a second guard behind checkSingleSelect.
    if (prepared.statementType !== StatementType.SELECT) {
      throw new SandboxError(
        'SQL_NOT_SINGLE_SELECT',
        `The query must be a single SELECT statement, but DuckDB prepared it as ${StatementType[prepared.statementType]}.`,
      );
    }
    bindParameters(prepared, request.parameters);

    deadline.throwIfFired();
    const result = await prepared.stream();
    const columnTypes = result.columnTypes();
    const columns = result.columnNames().map((name, index) => ({
      name,
      type: String(columnTypes[index]),
    }));
    const rows = await readRows(result, limits.maxResultRows, deadline);
    return { columns, rows, inputRowCounts };
  } catch (error) {
    throw toSandboxError(error, stage, request.sql, deadline);
  }
}

async function createSpillDirectory(tempDir: string): Promise<string> {
  const stats = await stat(tempDir).catch(() => undefined);
  if (!path.isAbsolute(tempDir) || !stats?.isDirectory()) {
    throw new SandboxError(
      'INPUT_INVALID',
      `tempDir ${JSON.stringify(tempDir)} must be an existing directory given as an absolute path.`,
    );
  }
  return mkdtemp(path.join(tempDir, 'duckdb-spill-'));
}

/**
 * Run one auditor's SELECT over Parquet inputs in a fresh, locked-down
 * in-memory DuckDB instance, and return the first `limits.maxResultRows`
 * result rows as JSON-safe values.
 *
 * The SQL is first checked by checkSingleSelect (one SELECT, allowed
 * functions only, no relations other than the inputs and its CTEs). Then
 * DuckDB itself is restricted: no file access beyond the input files, no
 * extension loading, memory, thread and spill limits, and a locked
 * configuration. Parameters are bound to the prepared statement, never
 * spliced into the SQL.
 *
 * Throws SandboxError (see SandboxErrorCode) or SandboxTimeoutError. The
 * instance and its spill directory are released before this returns, except
 * after a timeout that DuckDB ignored for INTERRUPT_GRACE_MS: then they are
 * released once DuckDB stops.
 */
export async function runSandboxedQuery(request: SandboxRequest): Promise<SandboxResult> {
  const started = performance.now();
  const limits = checkLimits(request.limits);
  const inputs = await resolveInputs(request.inputs, request.inputRoot);
  await checkSingleSelect(request.sql, { relationNames: inputs.map((input) => input.name) });

  const spillDirectory = await createSpillDirectory(request.tempDir);
  const releaseSpill = () =>
    rm(spillDirectory, { recursive: true, force: true }).catch((error: unknown) => {
      request.logger?.warn(
        { err: error, spillDirectory },
        'removing the sandbox spill directory failed',
      );
    });

  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  try {
    instance = await DuckDBInstance.create(
      ':memory:',
      sandboxInstanceOptions(limits, spillDirectory),
    );
    connection = await instance.connect();
  } catch (error) {
    await releaseSpill();
    const details = describeDuckDBError(error);
    throw new SandboxError('SANDBOX_FAILED', `Opening DuckDB failed: ${details.message}`, {
      cause: error,
    });
  }

  const deadline = new RunDeadline(connection, limits.timeoutMs);
  const work = executeRun({ connection, request, inputs, limits, spillDirectory, deadline });
  const release = async () => {
    deadline.clear();
    try {
      connection.closeSync();
      instance.closeSync();
    } catch (error) {
      request.logger?.warn({ err: error }, 'closing the sandbox DuckDB instance failed');
    }
    await releaseSpill();
  };

  const outcome = await Promise.race([
    work.then(
      (value) => ({ kind: 'finished' as const, value }),
      (error: unknown) => ({ kind: 'failed' as const, error }),
    ),
    deadline.abandoned.then(() => ({ kind: 'abandoned' as const })),
  ]);

  if (outcome.kind === 'abandoned') {
    // DuckDB ignored the interrupt: release the instance only once it stops,
    // because closing it under a running query is not safe.
    // NOTE: no test reaches this path, because DuckDB 1.5.6 stopped within
    // milliseconds of every interrupt tried. If DuckDB never stops, the
    // instance and its threads stay alive.
    request.logger?.warn(
      { timeoutMs: limits.timeoutMs, graceMs: INTERRUPT_GRACE_MS },
      'sandboxed query did not stop after interrupt; releasing DuckDB when it does',
    );
    void work.then(release, release);
    throw new SandboxTimeoutError(limits.timeoutMs, false);
  }

  await release();
  if (outcome.kind === 'failed') throw outcome.error;

  const { columns, rows, inputRowCounts } = outcome.value;
  const truncated = rows.length > limits.maxResultRows;
  if (truncated) rows.length = limits.maxResultRows;
  return {
    columns,
    rows,
    rowCount: rows.length,
    truncated,
    duckdbVersion: duckdbLibraryVersion(),
    inputRowCounts,
    durationMs: Math.round(performance.now() - started),
  };
}
