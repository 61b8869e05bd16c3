import { ImportError } from './import-error.ts';
import type { ParseOptions } from './types.ts';

/** Where a staged column's values come from, which decides how its type is inferred. */
export type ColumnSource =
  /** Text that people wrote: numbers, dates and booleans in any supported notation. */
  | { kind: 'text' }
  /** Text that a program wrote from typed values: JSON numbers and booleans, XLSX number, date and boolean cells. */
  | { kind: 'canonical' }
  /** Nested JSON (objects, arrays), kept as JSON text. */
  | { kind: 'json' }
  /** A typed Parquet column. */
  | { kind: 'native'; duckdbType: string };

export interface StagedColumn {
  /** Column of the staging table: `c0`, `c1`, … */
  id: string;
  /** Output name: the source name without surrounding whitespace. */
  name: string;
  sourceName: string;
  source: ColumnSource;
}

/** The uploaded rows loaded into the DuckDB table `staged`, before typing. */
export interface StagedTable {
  columns: StagedColumn[];
  /** SQL table expression of the rows to import, with their row id as `rid`. */
  rowsSql: string;
  /** Map row ids to 1-based positions in the source (see `ImportError.line`). */
  locate(rowIds: readonly number[]): Promise<Map<number, number>>;
  /** Label of a position in messages, e.g. `line` or `sheet "Ledger" row`. */
  positionLabel: string;
  /** Options that staging resolved, such as the CSV dialect or the sheet name. */
  applied: ParseOptions;
  warnings: string[];
}

export const STAGED_TABLE = 'staged';

/** Raise TOO_MANY_COLUMNS when a file has more than `maxColumns` columns. */
export function rejectTooManyColumns(
  columnCount: number,
  maxColumns: number,
  fileName: string,
): void {
  if (columnCount <= maxColumns) return;
  throw new ImportError(
    { code: 'TOO_MANY_COLUMNS', fileName },
    `${fileName} has ${columnCount} columns, more than the ${maxColumns} an import takes. Remove the columns the tests do not need, or split the file into files with fewer columns.`,
  );
}

/** Column names that DuckDB compares case-insensitively, as it does for identifiers. */
function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * Turn source names into output names: trim them, name an empty one `column_<position>`
 * with a warning, and reject names that collide after trimming, ignoring case, because
 * a silent rename could attach an auditor's test to the wrong column.
 */
export function resolveColumnNames(
  sourceNames: readonly string[],
  fileName: string,
  warnings: string[],
): string[] {
  const names: string[] = [];
  const positions = new Map<string, number>();
  const unnamed: number[] = [];

  sourceNames.forEach((sourceName, index) => {
    if (sourceName.includes('\u0000')) {
      throw new ImportError(
        { code: 'INVALID_VALUE', fileName, column: sourceName },
        `${fileName}: column name ${JSON.stringify(sourceName)} at position ${index + 1} contains a NUL character. Rename the column and upload the file again.`,
      );
    }
    let name = sourceName.trim();
    if (name === '') {
      name = `column_${index + 1}`;
      unnamed.push(index + 1);
    }
    const earlier = positions.get(nameKey(name));
    if (earlier !== undefined) {
      throw new ImportError(
        { code: 'DUPLICATE_COLUMN', fileName, column: name },
        `${fileName}: columns ${earlier + 1} and ${index + 1} are both named ${JSON.stringify(name)} (names are compared after trimming spaces and ignoring case). Rename one of them, or pass header: false to name columns by position.`,
      );
    }
    positions.set(nameKey(name), index);
    names.push(name);
  });

  if (unnamed.length > 0) {
    warnings.push(
      `${fileName}: ${unnamed.length === 1 ? 'the column' : 'the columns'} at position ${unnamed.join(', ')} had no name and ${unnamed.length === 1 ? 'was' : 'were'} named column_<position>.`,
    );
  }
  return names;
}

/** Positional names for a file without a header row: column_1, column_2, … */
export function positionalNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `column_${index + 1}`);
}
