import { ImportError } from './import-error.ts';
import type { ColumnProfile } from './infer-types.ts';
import { nativePlanFor } from './stage-typed.ts';
import type { StagedColumn } from './staged-table.ts';
import {
  CANONICAL_NUMBERS,
  type DateSyntax,
  formatHasTime,
  type NumberSyntax,
  type TypePlan,
} from './value-syntax.ts';

export interface TypingContext {
  fileName: string;
  /** Number syntax of text columns, chosen for the whole file. */
  textNumbers: NumberSyntax;
  dateFormat: string | undefined;
  /** dayFirst as the caller passed it, or as the dateFormat implies it. */
  dayFirst: boolean | undefined;
  /** Option that `dayFirst` came from. */
  dayFirstSource: 'dayFirst' | 'dateFormat';
}

/** Option that requested a conversion, named in the error message as the one to check. */
export type EnforcingOption = 'columnTypes' | 'dateFormat' | 'dayFirst';

export interface PlannedColumn {
  plan: TypePlan;
  /**
   * Option that requested this conversion, so a value that does not convert is an error.
   * It is undefined for an inferred type, which falls back to VARCHAR instead.
   */
  enforcedBy: EnforcingOption | undefined;
  /** Reason a native column changed, for a warning. */
  note?: string;
}

/** A DMY column whose values all fit both day-first and month-first readings. */
export interface AmbiguousDates {
  withTime: boolean;
  example: string;
  rowId: number;
}

export type ColumnDecision = PlannedColumn | { ambiguous: AmbiguousDates };

/** dayFirst implied by a strptime format that has both a numeric day and month. */
export function dayFirstOfFormat(format: string): boolean | undefined {
  const day = format.indexOf('%d');
  const month = format.indexOf('%m');
  if (day === -1 || month === -1) return undefined;
  return day < month;
}

/**
 * Pick the file's number syntax for text columns: the candidate under which the most
 * columns are entirely numeric, the first candidate on a tie. `1,234` alone fits both
 * `.` and `,` decimals, so the tie goes to the preferred (first) syntax.
 */
export function chooseNumberSyntax(
  columns: readonly StagedColumn[],
  profiles: readonly ColumnProfile[],
  candidates: readonly NumberSyntax[],
): number {
  let best = 0;
  let bestScore = -1;
  candidates.forEach((_, candidate) => {
    let score = 0;
    columns.forEach((column, index) => {
      const profile = profiles[index];
      if (column.source.kind !== 'text' || profile === undefined || profile.nonNull === 0) return;
      if (profile.leadingZero === 0 && profile.numbers[candidate]?.matches === profile.nonNull) {
        score += 1;
      }
    });
    if (score > bestScore) {
      best = candidate;
      bestScore = score;
    }
  });
  return best;
}

function numberPlan(
  profile: ColumnProfile,
  syntaxIndex: number,
  numbers: NumberSyntax,
): TypePlan | undefined {
  const stats = profile.numbers[syntaxIndex];
  if (stats === undefined || profile.leadingZero > 0) return undefined;
  if (stats.matches === profile.nonNull) {
    const digits = stats.maxIntegerDigits + stats.maxScale;
    if (stats.maxScale === 0) {
      // More than 18 digits does not fit BIGINT and is an identifier, not an amount.
      return stats.maxIntegerDigits <= 18 ? { type: 'BIGINT', numbers } : undefined;
    }
    if (digits <= 18) return { type: 'DECIMAL', precision: 18, scale: stats.maxScale, numbers };
    if (digits <= 38) return { type: 'DECIMAL', precision: 38, scale: stats.maxScale, numbers };
    return { type: 'DOUBLE', numbers };
  }
  if (
    numbers.decimal === '.' &&
    profile.scientific > 0 &&
    stats.matches + profile.scientific === profile.nonNull
  ) {
    return { type: 'DOUBLE', numbers };
  }
  return undefined;
}

function dateType(withTime: boolean): 'DATE' | 'TIMESTAMP' {
  return withTime ? 'TIMESTAMP' : 'DATE';
}

/**
 * Infer the type of one column from its profile. Order matters: booleans, then
 * numbers, then dates, so `1` stays a number and `20240105` is not read as a date.
 * Integers with a leading zero (`00123`) stay VARCHAR, as codes.
 */
export function inferColumn(
  column: StagedColumn,
  profile: ColumnProfile,
  context: TypingContext,
  textSyntaxIndex: number,
): ColumnDecision {
  if (column.source.kind === 'native') {
    const native = nativePlanFor(column.source.duckdbType);
    if (native === 'text') return { plan: { type: 'VARCHAR' }, enforcedBy: undefined };
    return {
      plan: { type: 'NATIVE', outputType: native.outputType, sql: native.sql },
      enforcedBy: undefined,
      ...(native.note === undefined ? {} : { note: native.note }),
    };
  }
  const n = profile.nonNull;
  if (column.source.kind === 'json' || n === 0)
    return { plan: { type: 'VARCHAR' }, enforcedBy: undefined };

  const isText = column.source.kind === 'text';
  if (isText && context.dateFormat !== undefined && profile.explicitFormat > 0) {
    const dateShaped =
      profile.dmy === n || profile.textualDate === n || profile.explicitFormat === n;
    if (dateShaped) {
      return {
        plan: {
          type: dateType(formatHasTime(context.dateFormat)),
          dates: { kind: 'format', format: context.dateFormat },
        },
        enforcedBy: 'dateFormat',
      };
    }
  }

  if (profile.booleans === n) return { plan: { type: 'BOOLEAN' }, enforcedBy: undefined };

  const numbers = isText
    ? numberPlan(profile, textSyntaxIndex, context.textNumbers)
    : numberPlan(profile, 0, CANONICAL_NUMBERS);
  if (numbers !== undefined) return { plan: numbers, enforcedBy: undefined };

  if (profile.ymd === n)
    return { plan: { type: 'DATE', dates: { kind: 'iso' } }, enforcedBy: undefined };
  if (profile.ymd + profile.isoTimestamp === n) {
    return { plan: { type: 'TIMESTAMP', dates: { kind: 'iso' } }, enforcedBy: undefined };
  }
  if (!isText) return { plan: { type: 'VARCHAR' }, enforcedBy: undefined };

  if (profile.textualDate === n) {
    return { plan: { type: 'DATE', dates: { kind: 'textual' } }, enforcedBy: undefined };
  }
  if (profile.dmy === n) return inferDmyColumn(profile, context);
  return { plan: { type: 'VARCHAR' }, enforcedBy: undefined };
}

function inferDmyColumn(profile: ColumnProfile, context: TypingContext): ColumnDecision {
  const first = profile.dmyMaxFirst;
  const second = profile.dmyMaxSecond;
  const type = dateType(profile.dmyWithTime > 0);
  if (first > 31 || second > 31 || (first > 12 && second > 12)) {
    return { plan: { type: 'VARCHAR' }, enforcedBy: undefined };
  }
  if (context.dayFirst !== undefined) {
    return {
      plan: { type, dates: { kind: 'dmy', dayFirst: context.dayFirst } },
      enforcedBy: context.dayFirstSource,
    };
  }
  if (first > 12)
    return { plan: { type, dates: { kind: 'dmy', dayFirst: true } }, enforcedBy: undefined };
  if (second > 12)
    return { plan: { type, dates: { kind: 'dmy', dayFirst: false } }, enforcedBy: undefined };
  if (profile.dmyAmbiguousExample === undefined) {
    // Every value has equal day and month (01/01, 02/02, …), so both readings agree.
    return { plan: { type, dates: { kind: 'dmy', dayFirst: true } }, enforcedBy: undefined };
  }
  return {
    ambiguous: {
      withTime: profile.dmyWithTime > 0,
      example: profile.dmyAmbiguousExample.value,
      rowId: profile.dmyAmbiguousExample.rowId,
    },
  };
}

/** Describe the two readings of an ambiguous date for the AMBIGUOUS_DATE message. */
export function describeReadings(example: string): string {
  const match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})/.exec(example);
  if (match === null) return '';
  const months = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  const first = Number(match[1]);
  const second = Number(match[2]);
  const year = match[3] ?? '';
  return ` can be ${first} ${months[second - 1]} ${year} (day first) or ${second} ${months[first - 1]} ${year} (month first)`;
}

const SIMPLE_TYPES = new Set(['VARCHAR', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'BOOLEAN']);

/** Parse a columnTypes entry, or raise INVALID_OPTION naming the allowed types. */
export function parseColumnType(
  text: string,
  column: string,
  fileName: string,
): { type: string; precision?: number; scale?: number } {
  const normalized = text.trim().toUpperCase().replace(/\s+/g, '');
  if (SIMPLE_TYPES.has(normalized)) return { type: normalized };
  const decimal = /^DECIMAL\((\d+),(\d+)\)$/.exec(normalized);
  if (decimal !== null) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision >= 1 && precision <= 38 && scale <= precision) {
      return { type: 'DECIMAL', precision, scale };
    }
  }
  throw new ImportError(
    { code: 'INVALID_OPTION', fileName, column },
    `${fileName}: columnTypes gives column "${column}" the type ${JSON.stringify(text)}, which is not supported. Use VARCHAR, BIGINT, DOUBLE, DECIMAL(p,s) with 1 <= p <= 38 and s <= p, DATE, TIMESTAMP or BOOLEAN.`,
  );
}

/**
 * Date syntax for a column whose type the caller fixed as DATE or TIMESTAMP: the
 * layout that most of its values have, ISO 8601 when none fits.
 */
function overrideDates(
  column: StagedColumn,
  profile: ColumnProfile,
  context: TypingContext,
  fileDayFirst: boolean | undefined,
): DateSyntax {
  if (column.source.kind !== 'text') return { kind: 'iso' };
  if (context.dateFormat !== undefined && profile.explicitFormat > 0) {
    return { kind: 'format', format: context.dateFormat };
  }
  const iso = profile.ymd + profile.isoTimestamp;
  if (profile.textualDate > iso && profile.textualDate >= profile.dmy) return { kind: 'textual' };
  if (profile.dmy > iso) {
    let own: boolean | undefined;
    if (profile.dmyMaxFirst > 12) own = true;
    else if (profile.dmyMaxSecond > 12) own = false;
    const dayFirst = context.dayFirst ?? own ?? fileDayFirst;
    if (dayFirst === undefined && profile.dmyAmbiguousExample !== undefined) {
      throw ambiguousDateError(
        context.fileName,
        column.name,
        profile.dmyAmbiguousExample.value,
        undefined,
      );
    }
    // Without an example, every value has equal day and month, so both readings agree.
    return { kind: 'dmy', dayFirst: dayFirst ?? true };
  }
  return { kind: 'iso' };
}

/** Build the plan for a column whose type the caller set in columnTypes. */
export function overridePlan(
  column: StagedColumn,
  profile: ColumnProfile,
  typeText: string,
  context: TypingContext,
  fileDayFirst: boolean | undefined,
): PlannedColumn {
  const parsed = parseColumnType(typeText, column.name, context.fileName);
  const numbers = column.source.kind === 'text' ? context.textNumbers : CANONICAL_NUMBERS;
  switch (parsed.type) {
    case 'VARCHAR':
      return { plan: { type: 'VARCHAR' }, enforcedBy: 'columnTypes' };
    case 'BOOLEAN':
      return { plan: { type: 'BOOLEAN' }, enforcedBy: 'columnTypes' };
    case 'BIGINT':
    case 'DOUBLE':
      return { plan: { type: parsed.type, numbers }, enforcedBy: 'columnTypes' };
    case 'DECIMAL':
      return {
        plan: {
          type: 'DECIMAL',
          precision: parsed.precision ?? 18,
          scale: parsed.scale ?? 0,
          numbers,
        },
        enforcedBy: 'columnTypes',
      };
    default: {
      const type = parsed.type === 'DATE' ? 'DATE' : 'TIMESTAMP';
      return {
        plan: { type, dates: overrideDates(column, profile, context, fileDayFirst) },
        enforcedBy: 'columnTypes',
      };
    }
  }
}

export function ambiguousDateError(
  fileName: string,
  column: string,
  example: string,
  line: number | undefined,
): ImportError {
  const where = line === undefined ? fileName : `${fileName}, line ${line}`;
  return new ImportError(
    {
      code: 'AMBIGUOUS_DATE',
      fileName,
      column,
      value: example,
      ...(line === undefined ? {} : { line }),
    },
    `${where}, column "${column}": the date ${JSON.stringify(example)}${describeReadings(example)}, and every value in the column fits both readings. Pass dayFirst: true or false, or a dateFormat such as '%d/%m/%Y'.`,
  );
}
