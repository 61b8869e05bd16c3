import { randomUUID } from 'node:crypto';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ImportDatabase, openImportDatabase } from './duckdb-sandbox.ts';
import { prepareUtf8Source } from './encoding.ts';
import { ImportError } from './import-error.ts';
import { type ColumnProfile, profileColumns } from './infer-types.ts';
import { rejectDeepJsonNesting } from './json-nesting.ts';
import {
  type AmbiguousDates,
  ambiguousDateError,
  chooseNumberSyntax,
  dayFirstOfFormat,
  inferColumn,
  overridePlan,
  type PlannedColumn,
  parseColumnType,
  type TypingContext,
} from './plan-types.ts';
import { detectFormat, fingerprintFile, inspectRawFile } from './raw-file.ts';
import { rejectNulCharacters } from './reject-nul-characters.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import { stageDelimited } from './stage-delimited.ts';
import { nativePlanFor, stageJsonLines, stageParquet } from './stage-typed.ts';
import { stageXlsx } from './stage-xlsx.ts';
import { rejectTooManyColumns, type StagedColumn, type StagedTable } from './staged-table.ts';
import type {
  ImportedColumn,
  ImportFormat,
  ImportLimits,
  ImportRequest,
  ImportResult,
  ParseOptions,
} from './types.ts';
import { CANONICAL_NUMBERS, type NumberSyntax, typeName } from './value-syntax.ts';
import { writeTypedParquet } from './write-parquet.ts';

export { ImportError, type ImportErrorCode } from './import-error.ts';
export type {
  ImportedColumn,
  ImportFormat,
  ImportLimits,
  ImportRequest,
  ImportResult,
  ParseOptions,
} from './types.ts';

/** Values read as null unless the caller passes nullValues. */
export const DEFAULT_NULL_VALUES = ['', 'NULL', 'null', 'N/A', 'n/a', '#N/A'];

/** Currency symbols and ISO 4217 codes stripped around numbers unless the caller passes currencySymbols. */
export const DEFAULT_CURRENCY_SYMBOLS = [
  '$',
  '£',
  '€',
  '¥',
  'USD',
  'GBP',
  'EUR',
  'JPY',
  'CHF',
  'CAD',
  'AUD',
];

/**
 * Budget of one import unless the caller sets limits: DuckDB spills to disk beyond
 * the memory limit, so these bound memory, not the size of file that can be imported.
 */
export function defaultImportLimits(): ImportLimits {
  return { memoryMb: 1024, threads: Math.min(4, os.availableParallelism()) };
}

/**
 * Most columns a file may have unless the caller sets maxColumns. Each column
 * costs a share of the profile queries and of the Parquet write: a one-row CSV
 * of 1,024 columns took about 16 s to import on 2 shared cores (Node.js 24.21,
 * DuckDB 1.5.6). Neither DuckDB nor Parquet sets a lower limit.
 */
export const DEFAULT_MAX_COLUMNS = 1024;

/**
 * Columns above which the Parquet write runs without DuckDB's
 * common-subexpression optimizer, whose planning time grows with the square
 * of the column count (see ImportDatabaseOptions).
 */
const WIDE_TABLE_COLUMNS = 64;

const DELIMITED_ONLY: (keyof ParseOptions)[] = ['delimiter', 'quote', 'escape'];
const TEXT_ONLY: (keyof ParseOptions)[] = ['encoding'];

function checkMaxColumns(maxColumns: number, fileName: string): void {
  if (Number.isSafeInteger(maxColumns) && maxColumns >= 1) return;
  throw new ImportError(
    { code: 'INVALID_OPTION', fileName },
    `${fileName}: maxColumns must be a whole number of 1 or more, not ${maxColumns}.`,
  );
}

function checkLimits(limits: ImportLimits, fileName: string): void {
  const valid =
    Number.isInteger(limits.memoryMb) &&
    limits.memoryMb >= 64 &&
    Number.isInteger(limits.threads) &&
    limits.threads >= 1;
  if (!valid) {
    throw new ImportError(
      { code: 'INVALID_OPTION', fileName },
      `${fileName}: import limits must be whole numbers with memoryMb >= 64 and threads >= 1, not ${JSON.stringify(limits)}.`,
    );
  }
}

function numberCandidates(options: ParseOptions, fileName: string): NumberSyntax[] {
  const currencySymbols = options.currencySymbols ?? DEFAULT_CURRENCY_SYMBOLS;
  for (const symbol of currencySymbols) {
    if (symbol.trim() === '' || symbol.includes('\0') || /[0-9.,'+\-()\s]/.test(symbol)) {
      throw new ImportError(
        { code: 'INVALID_OPTION', fileName },
        `${fileName}: currency symbol ${JSON.stringify(symbol)} is invalid. A currency symbol must not be empty or contain digits, spaces, separators, signs or parentheses.`,
      );
    }
  }
  const accountingNegatives = options.accountingNegatives ?? true;
  const syntax = (decimal: '.' | ',', thousands: NumberSyntax['thousands']): NumberSyntax => ({
    decimal,
    thousands,
    currencySymbols,
    accountingNegatives,
  });

  const { decimalSeparator } = options;
  const thousandsSeparator =
    options.thousandsSeparator === null ? 'none' : options.thousandsSeparator;
  if (decimalSeparator !== undefined && decimalSeparator === thousandsSeparator) {
    throw new ImportError(
      { code: 'INVALID_OPTION', fileName },
      `${fileName}: decimalSeparator and thousandsSeparator are both ${JSON.stringify(decimalSeparator)}. Give them different values.`,
    );
  }
  if (decimalSeparator !== undefined) {
    return [syntax(decimalSeparator, thousandsSeparator ?? (decimalSeparator === '.' ? ',' : '.'))];
  }
  if (thousandsSeparator === ',') return [syntax('.', ',')];
  if (thousandsSeparator === '.') return [syntax(',', '.')];
  if (thousandsSeparator !== undefined)
    return [syntax('.', thousandsSeparator), syntax(',', thousandsSeparator)];
  return [syntax('.', ','), syntax(',', '.')];
}

/** Map columnTypes keys to column positions: exact name first, then a unique case-insensitive match. */
function resolveOverrides(
  columnTypes: Record<string, string> | undefined,
  columns: readonly StagedColumn[],
  fileName: string,
): Map<number, string> {
  const overrides = new Map<number, string>();
  for (const [key, type] of Object.entries(columnTypes ?? {})) {
    let index = columns.findIndex((column) => column.name === key.trim());
    if (index === -1) {
      const matches = columns.filter(
        (column) => column.name.toLowerCase() === key.trim().toLowerCase(),
      );
      index = matches.length === 1 && matches[0] !== undefined ? columns.indexOf(matches[0]) : -1;
    }
    if (index === -1) {
      throw new ImportError(
        { code: 'INVALID_OPTION', fileName, column: key },
        `${fileName}: columnTypes names column ${JSON.stringify(key)}, which the file does not have. Its columns are: ${columns.map((column) => JSON.stringify(column.name)).join(', ')}.`,
      );
    }
    overrides.set(index, type);
  }
  return overrides;
}

/**
 * Day order that the file's unambiguous DMY columns agree on (a value above 12 in the
 * first or second position settles a column), or undefined when none or they disagree.
 */
function fileDayFirstEvidence(
  columns: readonly StagedColumn[],
  profiles: readonly ColumnProfile[],
): { dayFirst: boolean; column: string } | undefined {
  const evidence = new Map<boolean, string>();
  columns.forEach((column, index) => {
    const profile = profiles[index];
    if (column.source.kind !== 'text' || profile === undefined || profile.nonNull === 0) return;
    if (profile.dmy !== profile.nonNull) return;
    const first = profile.dmyMaxFirst;
    const second = profile.dmyMaxSecond;
    if (first > 31 || second > 31) return;
    if (first > 12 && second <= 12) evidence.set(true, evidence.get(true) ?? column.name);
    if (second > 12 && first <= 12) evidence.set(false, evidence.get(false) ?? column.name);
  });
  if (evidence.size !== 1) return undefined;
  const [entry] = [...evidence.entries()];
  return entry === undefined ? undefined : { dayFirst: entry[0], column: entry[1] };
}

interface Typing {
  plans: PlannedColumn[];
  profiles: ColumnProfile[];
  rowCount: number;
  numbers: NumberSyntax;
  dayFirst: boolean | undefined;
  nullValues: string[];
  warnings: string[];
}

async function planTypes(
  db: ImportDatabase,
  staged: StagedTable,
  options: ParseOptions,
  fileName: string,
  format: ImportFormat,
): Promise<Typing> {
  const warnings: string[] = [];
  const nullValues = [
    ...new Set((options.nullValues ?? DEFAULT_NULL_VALUES).map((value) => value.trim())),
  ];
  const candidates = numberCandidates(options, fileName);
  const overrides = resolveOverrides(options.columnTypes, staged.columns, fileName);
  const { rowCount, profiles } = await profileColumns(
    db,
    staged.columns,
    staged.rowsSql,
    {
      textNumbers: candidates,
      canonicalNumbers: CANONICAL_NUMBERS,
      nullValues,
      dateFormat: options.dateFormat,
    },
    new Set(overrides.keys()),
  );
  if (rowCount === 0) {
    const headerNote = staged.applied.header === true ? ' below the header' : '';
    throw new ImportError(
      { code: 'EMPTY_FILE', fileName },
      `${fileName} has no data rows${headerNote}. Upload a ${format} file that contains data.`,
    );
  }

  const syntaxIndex = chooseNumberSyntax(staged.columns, profiles, candidates);
  const numbers = candidates[syntaxIndex] ?? CANONICAL_NUMBERS;
  const formatDayFirst =
    options.dateFormat === undefined ? undefined : dayFirstOfFormat(options.dateFormat);
  const context: TypingContext = {
    fileName,
    textNumbers: numbers,
    dateFormat: options.dateFormat,
    dayFirst: options.dayFirst ?? formatDayFirst,
    dayFirstSource: options.dayFirst === undefined ? 'dateFormat' : 'dayFirst',
  };
  const evidence = fileDayFirstEvidence(staged.columns, profiles);

  const ambiguous: { index: number; dates: AmbiguousDates }[] = [];
  const plans: (PlannedColumn | undefined)[] = staged.columns.map((column, index) => {
    const profile = profiles[index] as ColumnProfile;
    const override = overrides.get(index);
    if (override !== undefined) {
      const native =
        column.source.kind === 'native' ? nativePlanFor(column.source.duckdbType) : 'text';
      const parsed = parseColumnType(override, column.name, fileName);
      const requestedType =
        parsed.type === 'DECIMAL' ? `DECIMAL(${parsed.precision},${parsed.scale})` : parsed.type;
      if (native !== 'text' && native.outputType === requestedType) {
        return {
          plan: { type: 'NATIVE', outputType: requestedType, sql: native.sql },
          enforcedBy: 'columnTypes',
        };
      }
      return overridePlan(
        column,
        profile,
        override,
        context,
        context.dayFirst ?? evidence?.dayFirst,
      );
    }
    const decision = inferColumn(column, profile, context, syntaxIndex);
    if ('ambiguous' in decision) {
      ambiguous.push({ index, dates: decision.ambiguous });
      return undefined;
    }
    if (decision.note !== undefined)
      warnings.push(`${fileName}, column "${column.name}": ${decision.note}.`);
    return decision;
  });

  for (const { index, dates } of ambiguous) {
    const column = staged.columns[index] as StagedColumn;
    if (evidence === undefined) {
      const line = (await staged.locate([dates.rowId])).get(dates.rowId);
      throw ambiguousDateError(fileName, column.name, dates.example, line);
    }
    warnings.push(
      `${fileName}, column "${column.name}": dates such as ${JSON.stringify(dates.example)} fit both day-first and month-first order, so they were read ${evidence.dayFirst ? 'day first' : 'month first'} like column "${evidence.column}". Pass dayFirst to choose explicitly.`,
    );
    plans[index] = {
      plan: {
        type: dates.withTime ? 'TIMESTAMP' : 'DATE',
        dates: { kind: 'dmy', dayFirst: evidence.dayFirst },
      },
      enforcedBy: undefined,
    };
  }

  return {
    plans: plans.map((plan) => plan ?? { plan: { type: 'VARCHAR' }, enforcedBy: undefined }),
    profiles,
    rowCount,
    numbers,
    dayFirst: context.dayFirst ?? evidence?.dayFirst,
    nullValues,
    warnings,
  };
}

function ignoredOptions(options: ParseOptions, format: ImportFormat, fileName: string): string[] {
  const ignored: (keyof ParseOptions)[] = [];
  const isDelimited = format === 'csv' || format === 'tsv';
  const isText = isDelimited || format === 'jsonl';
  for (const key of DELIMITED_ONLY)
    if (!isDelimited && options[key] !== undefined) ignored.push(key);
  for (const key of TEXT_ONLY) if (!isText && options[key] !== undefined) ignored.push(key);
  if (format !== 'xlsx' && options.sheet !== undefined) ignored.push('sheet');
  if ((format === 'jsonl' || format === 'parquet') && options.header !== undefined)
    ignored.push('header');
  if ((format === 'jsonl' || format === 'parquet') && options.skipRows !== undefined)
    ignored.push('skipRows');
  if (ignored.length === 0) return [];
  return [
    `${fileName}: the ${ignored.join(', ')} option${ignored.length === 1 ? ' does' : 's do'} not apply to ${format} files and ${ignored.length === 1 ? 'was' : 'were'} ignored.`,
  ];
}

async function stageSource(
  db: ImportDatabase,
  format: ImportFormat,
  request: ImportRequest,
  readablePath: string,
  privateDir: string,
): Promise<StagedTable> {
  const options = request.options ?? {};
  switch (format) {
    case 'csv':
    case 'tsv':
      return await stageDelimited(db, {
        path: readablePath,
        fileName: request.fileName,
        format,
        options,
        maxColumns: request.maxColumns ?? DEFAULT_MAX_COLUMNS,
      });
    case 'jsonl':
      return await stageJsonLines(db, readablePath, request.fileName);
    case 'parquet':
      return await stageParquet(db, readablePath, request.fileName);
    case 'xlsx':
      if (
        options.skipRows !== undefined &&
        !(Number.isInteger(options.skipRows) && options.skipRows >= 0)
      ) {
        throw new ImportError(
          { code: 'INVALID_OPTION', fileName: request.fileName },
          `${request.fileName}: skipRows must be a whole number of 0 or more, not ${options.skipRows}.`,
        );
      }
      return await stageXlsx(db, {
        sourcePath: readablePath,
        fileName: request.fileName,
        csvPath: path.join(privateDir, 'sheet.csv'),
        sheet: options.sheet,
        header: options.header ?? true,
        skipRows: options.skipRows ?? 0,
      });
  }
}

/**
 * Import one uploaded extract: fingerprint it, load it into a sandboxed DuckDB, infer
 * or apply column types over every row, and write a zstd Parquet file into `workDir`.
 * All or nothing: on any error the engine removes every file it created and raises,
 * an `ImportError` when the cause is in the file or the options.
 */
export async function importDataset(request: ImportRequest): Promise<ImportResult> {
  const { fileName } = request;
  const options = request.options ?? {};
  const limits = request.limits ?? defaultImportLimits();
  checkLimits(limits, fileName);
  const maxColumns = request.maxColumns ?? DEFAULT_MAX_COLUMNS;
  checkMaxColumns(maxColumns, fileName);

  const sourcePath = path.resolve(request.sourcePath);
  const workDir = path.resolve(request.workDir);
  const privateDir = await mkdtemp(path.join(workDir, '.import-'));
  let db: ImportDatabase | undefined;
  let parquetPath: string | undefined;

  try {
    const facts = await inspectRawFile(sourcePath, true);
    if (facts.size === 0) {
      throw new ImportError(
        { code: 'EMPTY_FILE', fileName },
        `${fileName} is empty (0 bytes). Upload the extract again.`,
      );
    }
    const format = detectFormat(facts.head, fileName, request.format);
    const warnings = ignoredOptions(options, format, fileName);
    const applied: ParseOptions = {};

    let readablePath = sourcePath;
    if (format === 'csv' || format === 'tsv' || format === 'jsonl') {
      const utf8 = await prepareUtf8Source(
        sourcePath,
        fileName,
        facts,
        options.encoding,
        path.join(privateDir, 'source-utf8.txt'),
      );
      readablePath = utf8.path;
      applied.encoding = utf8.encoding;
      warnings.push(...utf8.warnings);
    }
    if (format === 'jsonl') await rejectDeepJsonNesting(readablePath, fileName);

    const readablePaths = format === 'xlsx' ? [] : [readablePath];
    db = await openImportDatabase(privateDir, readablePaths, limits);
    const staged = await stageSource(db, format, request, readablePath, privateDir);
    warnings.push(...staged.warnings);
    rejectTooManyColumns(staged.columns.length, maxColumns, fileName);
    if (staged.columns.length > WIDE_TABLE_COLUMNS) {
      // The staged table is in the database file, so it survives the reopen.
      db.close();
      db = undefined;
      db = await openImportDatabase(privateDir, readablePaths, limits, {
        commonSubexpressions: false,
      });
    }
    await rejectNulCharacters(db, staged, fileName);
    const typing = await planTypes(db, staged, options, fileName, format);
    warnings.push(...typing.warnings);

    const stagedParquet = path.join(privateDir, 'output.parquet');
    const written = await writeTypedParquet(db, {
      staged,
      typing,
      fileName,
      outputPath: stagedParquet,
    });
    warnings.push(...written.warnings);
    const preview =
      request.previewRows === undefined
        ? undefined
        : await previewRows(db, stagedParquet, staged.columns, request.previewRows);
    db.close();
    db = undefined;

    parquetPath = path.join(workDir, `${randomUUID()}.parquet`);
    await rename(stagedParquet, parquetPath);
    const parquet = await fingerprintFile(parquetPath);

    const columns: ImportedColumn[] = staged.columns.map((column, index) => ({
      name: column.name,
      type: typeName(written.plans[index]?.plan ?? { type: 'VARCHAR' }),
      nullable: (written.nullCounts[index] ?? 0) > 0,
      sourceName: column.sourceName,
    }));
    Object.assign(applied, staged.applied, {
      decimalSeparator: typing.numbers.decimal,
      thousandsSeparator: typing.numbers.thousands,
      currencySymbols: [...typing.numbers.currencySymbols],
      accountingNegatives: typing.numbers.accountingNegatives,
      nullValues: typing.nullValues,
      columnTypes: Object.fromEntries(columns.map((column) => [column.name, column.type])),
      ...(options.dateFormat === undefined ? {} : { dateFormat: options.dateFormat }),
      ...(typing.dayFirst === undefined ? {} : { dayFirst: typing.dayFirst }),
    } satisfies ParseOptions);

    return {
      parquetPath,
      rowCount: typing.rowCount,
      columns,
      rawSha256: facts.sha256,
      rawSize: facts.size,
      parquetSha256: parquet.sha256,
      parquetSize: parquet.size,
      format,
      appliedOptions: applied,
      ...(preview === undefined ? {} : { preview }),
      warnings,
    };
  } catch (error) {
    if (parquetPath !== undefined) await rm(parquetPath, { force: true });
    throw error;
  } finally {
    db?.close();
    await rm(privateDir, { recursive: true, force: true });
  }
}

/** Read the first `count` rows of the typed Parquet output, each value as text. */
async function previewRows(
  db: ImportDatabase,
  parquetPath: string,
  columns: readonly { name: string }[],
  count: number,
): Promise<(string | null)[][]> {
  const limit = Math.max(0, Math.min(1000, Math.trunc(count)));
  const selected = columns.map(
    (column, index) => `CAST(${quoteIdentifier(column.name)} AS VARCHAR) AS c${index}`,
  );
  const rows = await db.all(
    `SELECT ${selected.join(', ')} FROM read_parquet(${quoteLiteral(parquetPath)}) LIMIT ${limit}`,
  );
  return rows.map((row) =>
    columns.map((_, index) => {
      const value = row[`c${index}`];
      return value === null || value === undefined ? null : String(value);
    }),
  );
}
