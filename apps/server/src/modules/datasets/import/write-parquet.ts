import { rm } from 'node:fs/promises';
import type { ImportDatabase } from './duckdb-sandbox.ts';
import { toNumber, toOptionalNumber, toOptionalString } from './duckdb-sandbox.ts';
import { ImportError, quoteValue } from './import-error.ts';
import type { ColumnProfile } from './infer-types.ts';
import { valueSql } from './infer-types.ts';
import type { EnforcingOption, PlannedColumn } from './plan-types.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import type { StagedColumn, StagedTable } from './staged-table.ts';
import { conversionSql, type NumberSyntax, type TypePlan, typeName } from './value-syntax.ts';

export interface WriteRequest {
  staged: StagedTable;
  typing: {
    plans: PlannedColumn[];
    profiles: ColumnProfile[];
    rowCount: number;
    nullValues: string[];
  };
  fileName: string;
  outputPath: string;
}

export interface WriteResult {
  /** The plans actually written: inferred columns whose values failed to convert became VARCHAR. */
  plans: PlannedColumn[];
  nullCounts: number[];
  warnings: string[];
}

/** Alias of the normalized value of column `index` in the values subquery. */
function valueAlias(index: number): string {
  return `v${index}`;
}

function rawAlias(index: number): string {
  return `r${index}`;
}

/** Source subquery with the row id, each column's normalized value and its staged value. */
function valuesSql(staged: StagedTable, nullValues: readonly string[]): string {
  const selected = staged.columns.flatMap((column, index) => [
    `${valueSql(column, nullValues)} AS ${valueAlias(index)}`,
    `${quoteIdentifier(column.id)} AS ${rawAlias(index)}`,
  ]);
  return `(SELECT rid, ${selected.join(', ')} FROM ${staged.rowsSql})`;
}

function convertedSql(column: StagedColumn, plan: TypePlan, index: number): string {
  // A native column typed VARCHAR by the caller is written as its text form.
  const raw =
    column.source.kind === 'native' && plan.type !== 'NATIVE' ? valueAlias(index) : rawAlias(index);
  return conversionSql(plan, valueAlias(index), raw);
}

async function copyToParquet(
  db: ImportDatabase,
  request: WriteRequest,
  plans: readonly PlannedColumn[],
): Promise<void> {
  const { staged } = request;
  const selected = staged.columns.map(
    (column, index) =>
      `${convertedSql(column, (plans[index] as PlannedColumn).plan, index)} AS ${quoteIdentifier(column.name)}`,
  );
  await db.run(
    `COPY (SELECT ${selected.join(', ')} FROM ${valuesSql(staged, request.typing.nullValues)}) TO ${quoteLiteral(request.outputPath)} (FORMAT parquet, COMPRESSION zstd)`,
  );
}

/** Null count per column of the written file, from the row-group statistics when complete. */
async function parquetNullCounts(
  db: ImportDatabase,
  outputPath: string,
  columns: readonly StagedColumn[],
): Promise<number[]> {
  const rows = await db.all(
    `SELECT column_id, sum(stats_null_count) AS nulls, count(*) - count(stats_null_count) AS missing FROM parquet_metadata(${quoteLiteral(outputPath)}) GROUP BY column_id`,
  );
  const counts = new Map(rows.map((row) => [toNumber(row.column_id), row]));
  const complete = columns.every((_, index) => toNumber(counts.get(index)?.missing ?? 1) === 0);
  if (complete) return columns.map((_, index) => toNumber(counts.get(index)?.nulls));

  const selected = columns.map(
    (column, index) => `count(*) - count(${quoteIdentifier(column.name)}) AS n${index}`,
  );
  const [row] = await db.all(
    `SELECT ${selected.join(', ')} FROM read_parquet(${quoteLiteral(outputPath)})`,
  );
  return columns.map((_, index) => toNumber(row?.[`n${index}`]));
}

interface Failure {
  index: number;
  rowId: number;
  value: string;
}

/** First value per column that did not convert, found by re-running the conversion. */
async function findFailures(
  db: ImportDatabase,
  request: WriteRequest,
  plans: readonly PlannedColumn[],
  indexes: readonly number[],
): Promise<Failure[]> {
  const { staged } = request;
  const selected = indexes.flatMap((index) => {
    const column = staged.columns[index] as StagedColumn;
    const failed = `${valueAlias(index)} IS NOT NULL AND (${convertedSql(column, (plans[index] as PlannedColumn).plan, index)}) IS NULL`;
    return [
      `min(rid) FILTER (WHERE ${failed}) AS row${index}`,
      `arg_min(${valueAlias(index)}, rid) FILTER (WHERE ${failed}) AS value${index}`,
    ];
  });
  const [row] = await db.all(
    `SELECT ${selected.join(', ')} FROM ${valuesSql(staged, request.typing.nullValues)}`,
  );
  return indexes.flatMap((index) => {
    const rowId = toOptionalNumber(row?.[`row${index}`]);
    const value = toOptionalString(row?.[`value${index}`]);
    return rowId === undefined || value === undefined ? [] : [{ index, rowId, value }];
  });
}

function describeNumbers(numbers: NumberSyntax): string {
  const thousands = numbers.thousands === 'none' ? 'no' : JSON.stringify(numbers.thousands);
  return ` with decimal separator ${JSON.stringify(numbers.decimal)} and ${thousands} thousands separator`;
}

function fixFor(option: EnforcingOption, column: string): string {
  switch (option) {
    case 'columnTypes':
      return `Correct the value, or choose another type for "${column}" in columnTypes.`;
    case 'dateFormat':
      return 'Correct the value, or pass a dateFormat that matches it.';
    case 'dayFirst':
      return 'Correct the value, or check the dayFirst option.';
  }
}

function invalidValueError(
  request: WriteRequest,
  failure: Failure,
  planned: PlannedColumn,
  option: EnforcingOption,
  position: number | undefined,
): ImportError {
  const { fileName, staged } = request;
  const column = staged.columns[failure.index] as StagedColumn;
  const plan = planned.plan;
  const type = typeName(plan);
  const syntax = 'numbers' in plan ? describeNumbers(plan.numbers) : '';
  const format =
    'dates' in plan && plan.dates.kind === 'format' ? ` in the format ${plan.dates.format}` : '';
  const order =
    'dates' in plan && plan.dates.kind === 'dmy'
      ? ` (read ${plan.dates.dayFirst ? 'day' : 'month'} first)`
      : '';
  const where =
    position === undefined ? fileName : `${fileName}, ${staged.positionLabel} ${position}`;
  return new ImportError(
    {
      code: 'INVALID_VALUE',
      fileName,
      column: column.name,
      value: failure.value,
      ...(position === undefined ? {} : { line: position }),
    },
    `${where}, column "${column.name}": the value ${quoteValue(failure.value)} is not a valid ${type}${syntax}${format}${order}. ${fixFor(option, column.name)}`,
  );
}

/**
 * Convert the staged rows and write them as one zstd Parquet file. A conversion yields
 * NULL for a value it cannot convert, so a column with more nulls in the file than null
 * source values has failures. An enforced type then raises INVALID_VALUE at the first
 * one, and an inferred type falls back to VARCHAR before the file is written again.
 */
export async function writeTypedParquet(
  db: ImportDatabase,
  request: WriteRequest,
): Promise<WriteResult> {
  const { staged, typing, fileName } = request;
  const plans = [...typing.plans];
  const warnings: string[] = [];

  for (;;) {
    await copyToParquet(db, request, plans);
    const nullCounts = await parquetNullCounts(db, request.outputPath, staged.columns);
    const failing = staged.columns.flatMap((_, index) => {
      const expected = typing.rowCount - (typing.profiles[index]?.nonNull ?? 0);
      return (nullCounts[index] ?? 0) > expected ? [index] : [];
    });
    if (failing.length === 0) return { plans, nullCounts, warnings };

    await rm(request.outputPath, { force: true });
    const failures = await findFailures(db, request, plans, failing);
    const positions = await staged.locate(failures.map((failure) => failure.rowId));
    const enforced = failures
      .filter((failure) => plans[failure.index]?.enforcedBy !== undefined)
      .sort((a, b) => a.rowId - b.rowId);
    const first = enforced[0];
    if (first !== undefined) {
      const planned = plans[first.index] as PlannedColumn;
      throw invalidValueError(
        request,
        first,
        planned,
        planned.enforcedBy as EnforcingOption,
        positions.get(first.rowId),
      );
    }
    for (const failure of failures) {
      const column = staged.columns[failure.index] as StagedColumn;
      const planned = plans[failure.index] as PlannedColumn;
      const position = positions.get(failure.rowId);
      warnings.push(
        `${fileName}, column "${column.name}": kept as VARCHAR because the value ${quoteValue(failure.value)}${position === undefined ? '' : ` on ${staged.positionLabel} ${position}`} is not a valid ${typeName(planned.plan)}. Pass columnTypes to enforce a type.`,
      );
      plans[failure.index] = { plan: { type: 'VARCHAR' }, enforcedBy: undefined };
    }
    if (failures.length === 0) {
      throw new Error(
        `Columns ${failing.join(', ')} of ${fileName} lost values in conversion, but no failing value was found.`,
      );
    }
  }
}
