import { escapeRegex, listLiteral, quoteLiteral } from './sql.ts';
import type { DecimalSeparator, ThousandsSeparator } from './types.ts';

/** Notation of the numbers in a column. */
export interface NumberSyntax {
  decimal: DecimalSeparator;
  thousands: Exclude<ThousandsSeparator, null>;
  currencySymbols: readonly string[];
  accountingNegatives: boolean;
}

/** Syntax of numbers that a program wrote: JSON numbers and XLSX number cells. */
export const CANONICAL_NUMBERS: NumberSyntax = {
  decimal: '.',
  thousands: 'none',
  currencySymbols: [],
  accountingNegatives: false,
};

/**
 * Date layouts the engine recognizes. `dmy` covers both day-first and month-first
 * numeric dates such as 03/04/2024, with `/`, `-` or `.` between the parts.
 */
export type DateSyntax =
  | { kind: 'iso' }
  | { kind: 'dmy'; dayFirst: boolean }
  | { kind: 'textual' }
  | { kind: 'format'; format: string };

export type TypePlan =
  | { type: 'VARCHAR' }
  | { type: 'BOOLEAN' }
  | { type: 'BIGINT'; numbers: NumberSyntax }
  | { type: 'DECIMAL'; precision: number; scale: number; numbers: NumberSyntax }
  | { type: 'DOUBLE'; numbers: NumberSyntax }
  | { type: 'DATE' | 'TIMESTAMP'; dates: DateSyntax }
  /** A typed source column (Parquet) copied with `sql`, where `{}` stands for the column. */
  | { type: 'NATIVE'; outputType: string; sql: string };

export function typeName(plan: TypePlan): string {
  switch (plan.type) {
    case 'DECIMAL':
      return `DECIMAL(${plan.precision},${plan.scale})`;
    case 'NATIVE':
      return plan.outputType;
    default:
      return plan.type;
  }
}

/** Characters trimmed from both ends of every text value: space, tab, CR, LF, NBSP, narrow NBSP, BOM. */
const TRIMMED = ' \t\r\n\u00a0\u202f\ufeff';

/** SQL for the trimmed value of `column`, or NULL when it is one of `nullValues`. */
export function normalizedValueSql(column: string, nullValues: readonly string[]): string {
  const trimmed = `trim(${column}, ${quoteLiteral(TRIMMED)})`;
  if (nullValues.length === 0) return trimmed;
  // list_contains, not IN: DuckDB 1.5.6 rewrites an IN list of more than a few values
  // into a hash join, and the join loses the row order of the output.
  return `CASE WHEN list_contains(${listLiteral(nullValues)}, ${trimmed}) THEN NULL ELSE ${trimmed} END`;
}

// ---------------------------------------------------------------------------
// Numbers

const THOUSANDS_CLASS: Record<Exclude<ThousandsSeparator, 'none' | null>, string> = {
  ',': ',',
  '.': '\\.',
  ' ': '[ \\x{00A0}\\x{202F}]',
  "'": "['\\x{2019}]",
};

/**
 * RE2 pattern that a trimmed value must fully match to be a number. It accepts
 * an optional sign, a currency symbol or code before or after the digits, a
 * trailing minus (`1.234,56-`, as SAP writes negatives) and, when enabled,
 * accounting parentheses around the amount.
 */
export function numberPattern(syntax: NumberSyntax): string {
  const decimal = escapeRegex(syntax.decimal);
  const grouped =
    syntax.thousands === 'none'
      ? ''
      : `[1-9]\\d{0,2}(?:${THOUSANDS_CLASS[syntax.thousands]}\\d{3})+(?:${decimal}\\d+)?|`;
  const core = `(?:${grouped}\\d+(?:${decimal}\\d+)?|${decimal}\\d+)`;
  const currency =
    syntax.currencySymbols.length === 0
      ? undefined
      : `(?:${[...syntax.currencySymbols]
          .sort((a, b) => b.length - a.length)
          .map(escapeRegex)
          .join('|')})`;
  const prefix = currency === undefined ? '' : `(?:${currency}\\s*)?`;
  const suffix = currency === undefined ? '' : `(?:\\s*${currency})?`;
  const forms = [
    `[-+]?\\s*${prefix}${core}${suffix}`,
    `${prefix}[-+]\\s*${core}${suffix}`,
    `${prefix}${core}${suffix}\\s*-`,
  ];
  if (syntax.accountingNegatives) {
    forms.push(
      `\\(\\s*${prefix}${core}${suffix}\\s*\\)`,
      `${prefix}\\(\\s*${core}\\s*\\)${suffix}`,
    );
  }
  return forms.join('|');
}

/** SQL for the digits of a matching value with `.` as decimal point, e.g. `1234.56`, without sign. */
function numberDigitsSql(value: string, syntax: NumberSyntax): string {
  const digits = `regexp_replace(${value}, ${quoteLiteral(`[^0-9${escapeRegex(syntax.decimal)}]`)}, '', 'g')`;
  return syntax.decimal === '.' ? digits : `replace(${digits}, ',', '.')`;
}

/** SQL for a matching value as a signed plain decimal string such as `-1234.56`. */
export function numberTextSql(value: string, syntax: NumberSyntax): string {
  // Currency symbols cannot contain '-' or '(' (checked with the options), so any
  // minus or parenthesis in a matching value marks a negative number.
  const negative = `regexp_matches(${value}, '[-(]')`;
  return `(CASE WHEN ${negative} THEN '-' ELSE '' END || ${numberDigitsSql(value, syntax)})`;
}

/** SQL for the number of digits after the decimal separator of a matching value. */
export function numberScaleSql(value: string, syntax: NumberSyntax): string {
  const digits = numberDigitsSql(value, syntax);
  return `(CASE WHEN strpos(${digits}, '.') = 0 THEN 0 ELSE length(${digits}) - strpos(${digits}, '.') END)`;
}

/** SQL for the number of significant digits before the decimal separator of a matching value. */
export function numberIntegerDigitsSql(value: string, syntax: NumberSyntax): string {
  return `length(ltrim(split_part(${numberDigitsSql(value, syntax)}, '.', 1), '0'))`;
}

/** Numbers in scientific notation, e.g. `1.5e+21`, read only with `.` as decimal separator. */
export const SCIENTIFIC_PATTERN = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)[eE][-+]?\\d+';

/** A leading zero before another digit marks a code such as `00123`, which must stay text. */
export const LEADING_ZERO_PATTERN = '^[-+]?0[0-9]';

// ---------------------------------------------------------------------------
// Booleans

export const BOOLEAN_WORDS = ['true', 'false', 'yes', 'no', 'y', 'n'] as const;

function booleanSql(value: string): string {
  return `CASE lower(${value}) WHEN 'true' THEN true WHEN 'yes' THEN true WHEN 'y' THEN true WHEN 'false' THEN false WHEN 'no' THEN false WHEN 'n' THEN false END`;
}

// ---------------------------------------------------------------------------
// Dates and timestamps

/** ISO 8601 calendar dates, also with `/` or `.` between year, month and day. */
export const YMD_PATTERN =
  '\\d{4}-\\d{1,2}-\\d{1,2}|\\d{4}/\\d{1,2}/\\d{1,2}|\\d{4}\\.\\d{1,2}\\.\\d{1,2}';

/**
 * ISO 8601 timestamps without a UTC offset, or with `Z`. Other offsets do not match,
 * because DuckDB's cast to TIMESTAMP would silently drop them.
 */
export const ISO_TIMESTAMP_PATTERN =
  '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,6})?)?Z?';

/** Numeric day and month in either order, 2- or 4-digit year, optional time of day. */
export const DMY_PATTERN =
  '(?:\\d{1,2}/\\d{1,2}/(?:\\d{2}|\\d{4})|\\d{1,2}-\\d{1,2}-(?:\\d{2}|\\d{4})|\\d{1,2}\\.\\d{1,2}\\.(?:\\d{2}|\\d{4}))(?:[ T]\\d{1,2}:\\d{2}(?::\\d{2})?)?';

/** SQL for the first and second number of a DMY_PATTERN value. */
export function dmyPartSql(value: string, part: 1 | 2): string {
  const pattern = part === 1 ? '^(\\d{1,2})' : '^\\d{1,2}[/.-](\\d{1,2})';
  return `TRY_CAST(regexp_extract(${value}, ${quoteLiteral(pattern)}, 1) AS INTEGER)`;
}

export const DMY_TWO_DIGIT_YEAR_PATTERN = '^\\d{1,2}[/.-]\\d{1,2}[/.-]\\d{2}(?:$|[ T])';

/** Dates with an English month name or abbreviation, e.g. `05-Jan-2024`, `Jan 5, 2024`. */
export const TEXTUAL_DATE_PATTERN =
  '\\d{1,2}[- ][A-Za-z]{3,9}\\.?[- ](?:\\d{2}|\\d{4})|[A-Za-z]{3,9}\\.? \\d{1,2},? \\d{4}';

// Two-digit-year formats come first: %Y would read "24" as the year 24.
const TEXTUAL_DATE_FORMATS = [
  '%d-%b-%y',
  '%d-%b-%Y',
  '%d %b %y',
  '%d %b %Y',
  '%d-%B-%y',
  '%d-%B-%Y',
  '%d %B %y',
  '%d %B %Y',
  '%b %d %Y',
  '%b %d, %Y',
  '%B %d %Y',
  '%B %d, %Y',
];

const TIME_DIRECTIVE = /%[HIMSfpTRgnX]/;

/** Check whether a strptime format yields a time of day, which makes its column TIMESTAMP. */
export function formatHasTime(format: string): boolean {
  return TIME_DIRECTIVE.test(format);
}

function dmyFormats(dayFirst: boolean, withTime: boolean): string[] {
  const order = dayFirst ? ['%d', '%m'] : ['%m', '%d'];
  const dates = ['%y', '%Y'].map((year) => `${order[0]}/${order[1]}/${year}`);
  if (!withTime) return dates;
  return [
    ...dates.map((date) => `${date} %H:%M:%S`),
    ...dates.map((date) => `${date} %H:%M`),
    ...dates,
  ];
}

function dateSql(value: string, dates: DateSyntax, type: 'DATE' | 'TIMESTAMP'): string {
  const cast = type === 'DATE' ? '::DATE' : '';
  switch (dates.kind) {
    case 'iso': {
      const ymd = `try_strptime(regexp_replace(${value}, '[/.]', '-', 'g'), '%Y-%m-%d')`;
      if (type === 'DATE') {
        return `CASE WHEN regexp_full_match(${value}, ${quoteLiteral(YMD_PATTERN)}) THEN ${ymd}::DATE END`;
      }
      return `CASE WHEN regexp_full_match(${value}, ${quoteLiteral(YMD_PATTERN)}) THEN ${ymd} WHEN regexp_full_match(${value}, ${quoteLiteral(ISO_TIMESTAMP_PATTERN)}) THEN TRY_CAST(rtrim(${value}, 'Z') AS TIMESTAMP) END`;
    }
    case 'dmy': {
      const normalized = `replace(regexp_replace(${value}, '^(\\d{1,2})[/.-](\\d{1,2})[/.-]', '\\1/\\2/'), 'T', ' ')`;
      const formats = dmyFormats(dates.dayFirst, type === 'TIMESTAMP');
      return `CASE WHEN regexp_full_match(${value}, ${quoteLiteral(DMY_PATTERN)}) THEN try_strptime(${normalized}, ${listLiteral(formats)})${cast} END`;
    }
    case 'textual':
      return `CASE WHEN regexp_full_match(${value}, ${quoteLiteral(TEXTUAL_DATE_PATTERN)}) THEN try_strptime(replace(${value}, '.', ''), ${listLiteral(TEXTUAL_DATE_FORMATS)})${cast} END`;
    case 'format':
      return `try_strptime(${value}, ${quoteLiteral(dates.format)})${cast}`;
  }
}

/**
 * SQL that converts one column. `value` is the trimmed, null-normalized text and
 * `raw` the column as staged. Every conversion yields NULL for a value it cannot
 * convert, which the caller detects by comparing null counts.
 */
export function conversionSql(plan: TypePlan, value: string, raw: string): string {
  switch (plan.type) {
    case 'VARCHAR':
      return `CASE WHEN ${value} IS NULL THEN NULL ELSE ${raw} END`;
    case 'BOOLEAN':
      return booleanSql(value);
    case 'BIGINT':
    case 'DECIMAL': {
      const pattern = quoteLiteral(numberPattern(plan.numbers));
      const text = numberTextSql(value, plan.numbers);
      if (plan.type === 'BIGINT') {
        return `CASE WHEN regexp_full_match(${value}, ${pattern}) AND ${numberScaleSql(value, plan.numbers)} = 0 THEN TRY_CAST(${text} AS BIGINT) END`;
      }
      // Values with more decimals than the scale would be rounded by the cast, so they fail instead.
      return `CASE WHEN regexp_full_match(${value}, ${pattern}) AND ${numberScaleSql(value, plan.numbers)} <= ${plan.scale} THEN TRY_CAST(${text} AS DECIMAL(${plan.precision},${plan.scale})) END`;
    }
    case 'DOUBLE': {
      const pattern = quoteLiteral(numberPattern(plan.numbers));
      const scientific =
        plan.numbers.decimal === '.'
          ? ` WHEN regexp_full_match(${value}, ${quoteLiteral(SCIENTIFIC_PATTERN)}) THEN TRY_CAST(${value} AS DOUBLE)`
          : '';
      return `CASE WHEN regexp_full_match(${value}, ${pattern}) THEN TRY_CAST(${numberTextSql(value, plan.numbers)} AS DOUBLE)${scientific} END`;
    }
    case 'DATE':
    case 'TIMESTAMP':
      return dateSql(value, plan.dates, plan.type);
    case 'NATIVE':
      return plan.sql.replaceAll('{}', raw);
  }
}
