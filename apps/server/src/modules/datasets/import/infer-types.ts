import type { ImportDatabase, SqlRow } from './duckdb-sandbox.ts';
import { toNumber, toOptionalNumber, toOptionalString } from './duckdb-sandbox.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import type { StagedColumn } from './staged-table.ts';
import {
  BOOLEAN_WORDS,
  DMY_PATTERN,
  DMY_TWO_DIGIT_YEAR_PATTERN,
  dmyPartSql,
  ISO_TIMESTAMP_PATTERN,
  LEADING_ZERO_PATTERN,
  type NumberSyntax,
  normalizedValueSql,
  numberIntegerDigitsSql,
  numberPattern,
  numberScaleSql,
  SCIENTIFIC_PATTERN,
  TEXTUAL_DATE_PATTERN,
  YMD_PATTERN,
} from './value-syntax.ts';

export interface NumberProfile {
  /** Values that are numbers in this syntax. */
  matches: number;
  maxScale: number;
  maxIntegerDigits: number;
}

/**
 * Counts over every row of one column, computed in a single SQL pass over the table.
 * Counts of pattern families ruled out by `screenFamilies` are 0.
 */
export interface ColumnProfile {
  /** Values that are not null after trimming and applying `nullValues`. */
  nonNull: number;
  leadingZero: number;
  booleans: number;
  scientific: number;
  /** One entry per candidate number syntax, in the order given to `profileColumns`. */
  numbers: NumberProfile[];
  ymd: number;
  isoTimestamp: number;
  dmy: number;
  dmyMaxFirst: number;
  dmyMaxSecond: number;
  dmyWithTime: number;
  dmyTwoDigitYear: number;
  /** A DMY value whose first two numbers differ and are both at most 12, with its row id. */
  dmyAmbiguousExample: { value: string; rowId: number } | undefined;
  textualDate: number;
  /** Values that the explicit dateFormat parses. */
  explicitFormat: number;
}

export interface ProfileSettings {
  /** Candidate number syntaxes for text columns. */
  textNumbers: readonly NumberSyntax[];
  canonicalNumbers: NumberSyntax;
  nullValues: readonly string[];
  dateFormat: string | undefined;
}

/** SQL for the value each profile and conversion reads: trimmed, null-normalized text. */
export function valueSql(column: StagedColumn, nullValues: readonly string[]): string {
  const raw = quoteIdentifier(column.id);
  if (column.source.kind === 'native') return `CAST(${raw} AS VARCHAR)`;
  return normalizedValueSql(raw, nullValues);
}

/**
 * Families of patterns that can decide a column's type. A family is worth counting
 * over all rows only while every value seen so far fits it.
 */
type PatternFamily = 'numbers' | 'booleans' | 'iso' | 'dmy' | 'textual';

const ALL_FAMILIES: readonly PatternFamily[] = ['numbers', 'booleans', 'iso', 'dmy', 'textual'];

function patternMatch(value: string, pattern: string): string {
  return `regexp_full_match(${value}, ${quoteLiteral(pattern)})`;
}

function numberSyntaxesOf(
  column: StagedColumn,
  settings: ProfileSettings,
): readonly NumberSyntax[] {
  return column.source.kind === 'text' ? settings.textNumbers : [settings.canonicalNumbers];
}

/** SQL condition: the value fits the family (for numbers, in any candidate syntax). */
function familyCondition(
  family: PatternFamily,
  v: string,
  column: StagedColumn,
  settings: ProfileSettings,
): string {
  switch (family) {
    case 'numbers':
      return [
        ...numberSyntaxesOf(column, settings).map((syntax) =>
          patternMatch(v, numberPattern(syntax)),
        ),
        patternMatch(v, SCIENTIFIC_PATTERN),
      ].join(' OR ');
    case 'booleans':
      return `lower(${v}) IN (${BOOLEAN_WORDS.map(quoteLiteral).join(', ')})`;
    case 'iso':
      return `${patternMatch(v, YMD_PATTERN)} OR ${patternMatch(v, ISO_TIMESTAMP_PATTERN)}`;
    case 'dmy':
      return patternMatch(v, DMY_PATTERN);
    case 'textual':
      return patternMatch(v, TEXTUAL_DATE_PATTERN);
  }
}

function familiesOf(column: StagedColumn): readonly PatternFamily[] {
  if (column.source.kind === 'text') return ALL_FAMILIES;
  if (column.source.kind === 'canonical') return ['numbers', 'booleans', 'iso'];
  return [];
}

function profileAggregates(
  column: StagedColumn,
  index: number,
  settings: ProfileSettings,
  families: ReadonlySet<PatternFamily>,
): string[] {
  const v = `v${index}`;
  const key = (name: string) => quoteIdentifier(`p${index}_${name}`);
  const aggregates = [`count(${v}) AS ${key('nonNull')}`];
  if (column.source.kind === 'native' || column.source.kind === 'json') return aggregates;

  if (families.has('numbers')) {
    aggregates.push(
      `count_if(regexp_matches(${v}, ${quoteLiteral(LEADING_ZERO_PATTERN)})) AS ${key('leadingZero')}`,
      `count_if(${patternMatch(v, SCIENTIFIC_PATTERN)}) AS ${key('scientific')}`,
    );
    numberSyntaxesOf(column, settings).forEach((syntax, syntaxIndex) => {
      const isNumber = patternMatch(v, numberPattern(syntax));
      aggregates.push(
        `count_if(${isNumber}) AS ${key(`num${syntaxIndex}`)}`,
        `max(${numberScaleSql(v, syntax)}) FILTER (WHERE ${isNumber}) AS ${key(`scale${syntaxIndex}`)}`,
        `max(${numberIntegerDigitsSql(v, syntax)}) FILTER (WHERE ${isNumber}) AS ${key(`int${syntaxIndex}`)}`,
      );
    });
  }
  if (families.has('booleans')) {
    aggregates.push(
      `count_if(${familyCondition('booleans', v, column, settings)}) AS ${key('booleans')}`,
    );
  }
  if (families.has('iso')) {
    aggregates.push(
      `count_if(${patternMatch(v, YMD_PATTERN)}) AS ${key('ymd')}`,
      `count_if(${patternMatch(v, ISO_TIMESTAMP_PATTERN)}) AS ${key('isoTimestamp')}`,
    );
  }
  if (families.has('dmy')) {
    const isDmy = patternMatch(v, DMY_PATTERN);
    const first = dmyPartSql(v, 1);
    const second = dmyPartSql(v, 2);
    const ambiguous = `${isDmy} AND ${first} <> ${second} AND ${first} <= 12 AND ${second} <= 12`;
    aggregates.push(
      `count_if(${isDmy}) AS ${key('dmy')}`,
      `max(${first}) FILTER (WHERE ${isDmy}) AS ${key('dmyMaxFirst')}`,
      `max(${second}) FILTER (WHERE ${isDmy}) AS ${key('dmyMaxSecond')}`,
      `count_if(${isDmy} AND contains(${v}, ':')) AS ${key('dmyWithTime')}`,
      `count_if(${isDmy} AND regexp_matches(${v}, ${quoteLiteral(DMY_TWO_DIGIT_YEAR_PATTERN)})) AS ${key('dmyTwoDigitYear')}`,
      `arg_min(${v}, rid) FILTER (WHERE ${ambiguous}) AS ${key('dmyExample')}`,
      `min(rid) FILTER (WHERE ${ambiguous}) AS ${key('dmyExampleRow')}`,
    );
  }
  if (families.has('textual')) {
    aggregates.push(`count_if(${patternMatch(v, TEXTUAL_DATE_PATTERN)}) AS ${key('textualDate')}`);
  }
  if (column.source.kind === 'text' && settings.dateFormat !== undefined) {
    aggregates.push(
      `count_if(try_strptime(${v}, ${quoteLiteral(settings.dateFormat)}) IS NOT NULL) AS ${key('explicitFormat')}`,
    );
  }
  return aggregates;
}

function readProfile(row: SqlRow, index: number, syntaxCount: number): ColumnProfile {
  const get = (name: string) => row[`p${index}_${name}`];
  const count = (name: string) => toNumber(get(name));
  const example = toOptionalString(get('dmyExample'));
  const exampleRow = toOptionalNumber(get('dmyExampleRow'));
  return {
    nonNull: count('nonNull'),
    leadingZero: count('leadingZero'),
    booleans: count('booleans'),
    scientific: count('scientific'),
    numbers: Array.from({ length: syntaxCount }, (_, syntaxIndex) => ({
      matches: count(`num${syntaxIndex}`),
      maxScale: count(`scale${syntaxIndex}`),
      maxIntegerDigits: count(`int${syntaxIndex}`),
    })),
    ymd: count('ymd'),
    isoTimestamp: count('isoTimestamp'),
    dmy: count('dmy'),
    dmyMaxFirst: count('dmyMaxFirst'),
    dmyMaxSecond: count('dmyMaxSecond'),
    dmyWithTime: count('dmyWithTime'),
    dmyTwoDigitYear: count('dmyTwoDigitYear'),
    dmyAmbiguousExample:
      example === undefined || exampleRow === undefined
        ? undefined
        : { value: example, rowId: exampleRow },
    textualDate: count('textualDate'),
    explicitFormat: count('explicitFormat'),
  };
}

function valuesSubquery(
  columns: readonly StagedColumn[],
  rowsSql: string,
  nullValues: readonly string[],
  limit: number | undefined,
): string {
  const values = columns.map((column, index) => `${valueSql(column, nullValues)} AS v${index}`);
  const rows = limit === undefined ? rowsSql : `(SELECT * FROM ${rowsSql} LIMIT ${limit})`;
  return `(SELECT rid${values.length > 0 ? `, ${values.join(', ')}` : ''} FROM ${rows})`;
}

/** Rows checked first to rule out pattern families before the pass over all rows. */
const SCREENING_ROWS = 10_000;

/**
 * Rule out, per column, the pattern families that some of the first rows do not fit.
 * This only skips work: a family needs every value to fit, so one misfit in any row
 * rules it out for the whole column, and the remaining families are still counted
 * over all rows.
 */
async function screenFamilies(
  db: ImportDatabase,
  columns: readonly StagedColumn[],
  rowsSql: string,
  settings: ProfileSettings,
): Promise<Set<PatternFamily>[]> {
  const checks = columns.flatMap((column, index) =>
    familiesOf(column).map(
      (family) =>
        `bool_and(v${index} IS NULL OR (${familyCondition(family, `v${index}`, column, settings)})) AS ${quoteIdentifier(`f${index}_${family}`)}`,
    ),
  );
  if (checks.length === 0) return columns.map(() => new Set());
  const [row] = await db.all(
    `SELECT ${checks.join(', ')} FROM ${valuesSubquery(columns, rowsSql, settings.nullValues, SCREENING_ROWS)}`,
  );
  return columns.map(
    (column, index) =>
      new Set(familiesOf(column).filter((family) => row?.[`f${index}_${family}`] !== false)),
  );
}

/**
 * Columns profiled by one query. One query per chunk bounds DuckDB's memory,
 * which grows with the number of expressions in a statement (each compiles
 * its own regular expressions): 300 columns in one statement took about
 * 4 GB and 1,000 ran out of memory. Wide tables pay one scan per chunk.
 */
const COLUMNS_PER_PASS = 32;

/**
 * Profile every column over all rows (no sampling): how many values fit each number
 * syntax, date layout and boolean spelling, with the widest scale and integer part.
 * Columns in `exhaustive` (type overrides) get every count. Other columns get only the
 * families that their first rows all fit. Returns the profiles and the row count.
 */
export async function profileColumns(
  db: ImportDatabase,
  columns: readonly StagedColumn[],
  rowsSql: string,
  settings: ProfileSettings,
  exhaustive: ReadonlySet<number>,
): Promise<{ rowCount: number; profiles: ColumnProfile[] }> {
  if (columns.length === 0) {
    const [row] = await db.all(`SELECT count(*) AS row_count FROM ${rowsSql}`);
    return { rowCount: toNumber(row?.row_count), profiles: [] };
  }

  let rowCount = 0;
  const profiles: ColumnProfile[] = [];
  for (let first = 0; first < columns.length; first += COLUMNS_PER_PASS) {
    const chunk = columns.slice(first, first + COLUMNS_PER_PASS);
    const chunkExhaustive = new Set(
      chunk.flatMap((_, index) => (exhaustive.has(first + index) ? [index] : [])),
    );
    const profiled = await profileChunk(db, chunk, rowsSql, settings, chunkExhaustive);
    rowCount = profiled.rowCount;
    profiles.push(...profiled.profiles);
  }
  return { rowCount, profiles };
}

async function profileChunk(
  db: ImportDatabase,
  columns: readonly StagedColumn[],
  rowsSql: string,
  settings: ProfileSettings,
  exhaustive: ReadonlySet<number>,
): Promise<{ rowCount: number; profiles: ColumnProfile[] }> {
  const screened = await screenFamilies(db, columns, rowsSql, settings);
  const aggregates = columns.flatMap((column, index) =>
    profileAggregates(
      column,
      index,
      settings,
      exhaustive.has(index) ? new Set(familiesOf(column)) : (screened[index] ?? new Set()),
    ),
  );
  const sql = `SELECT count(*) AS row_count${aggregates.length > 0 ? `, ${aggregates.join(', ')}` : ''} FROM ${valuesSubquery(columns, rowsSql, settings.nullValues, undefined)}`;
  const [row] = await db.all(sql);
  if (row === undefined) throw new Error('The profile query returned no row.');
  return {
    rowCount: toNumber(row.row_count),
    profiles: columns.map((column, index) =>
      readProfile(row, index, numberSyntaxesOf(column, settings).length),
    ),
  };
}
