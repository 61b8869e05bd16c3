export type ImportFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl' | 'xlsx';

export type TextEncoding = 'utf-8' | 'utf-16' | 'latin-1';

export type DecimalSeparator = '.' | ',';

/** `'none'` (or `null`, as JSON clients send it) means numbers have no digit grouping. */
export type ThousandsSeparator = ',' | '.' | ' ' | "'" | 'none' | null;

/**
 * Output column type, as a DuckDB type name: `VARCHAR`, `BIGINT`, `DOUBLE`,
 * `DATE`, `TIMESTAMP`, `BOOLEAN` or `DECIMAL(p,s)` with 1 <= p <= 38 and 0 <= s <= p.
 */
export type ColumnType = string;

/**
 * How to read an extract. Declared as a type alias so it stays assignable to
 * `Record<string, unknown>` when stored as JSON. Every field is optional: the engine detects what is
 * missing, and an explicit value always wins over detection.
 */
export type ParseOptions = {
  /** Field delimiter of CSV and TSV files, one ASCII character. */
  delimiter?: string;
  /** Quote character of CSV and TSV files, one ASCII character, or `''` for no quoting. */
  quote?: string;
  /** Escape character inside quoted fields; equal to `quote` for RFC 4180 doubling (`""`). */
  escape?: string;
  /** Whether the first row (after `skipRows`) contains the column names. */
  header?: boolean;
  /** Lines (CSV, TSV, JSON Lines) or sheet rows (XLSX) to skip before the header or the data. */
  skipRows?: number;
  /** Encoding of CSV, TSV and JSON Lines files. `latin-1` is decoded as Windows-1252. */
  encoding?: TextEncoding;
  /** strptime format of date or timestamp columns that are not ISO 8601, e.g. `%d/%m/%Y`. */
  dateFormat?: string;
  /** Whether dates such as 03/04/2024 put the day first (3 April) or the month first (4 March). */
  dayFirst?: boolean;
  decimalSeparator?: DecimalSeparator;
  thousandsSeparator?: ThousandsSeparator | undefined;
  /** Symbols and codes stripped before or after a number, e.g. `£`, `$`, `USD`. */
  currencySymbols?: string[];
  /** Whether `(1,234.56)` means -1234.56. On by default. */
  accountingNegatives?: boolean;
  /** Output type per column, keyed by the trimmed column name. Values that do not convert raise `INVALID_VALUE`. */
  columnTypes?: Record<string, ColumnType>;
  /**
   * XLSX worksheet: its name, or its 1-based position in the workbook as a number or
   * as a digit string that is not also a sheet name. The first sheet by default.
   */
  sheet?: string | number;
  /** Values, compared after trimming whitespace, that mean "no value". */
  nullValues?: string[];
};

/** Memory and thread budget of the DuckDB instance that performs one import. */
export type ImportLimits = {
  memoryMb: number;
  threads: number;
};

export type ImportRequest = {
  /** The uploaded file, already on local disk. Read only. */
  sourcePath: string;
  /** The user's file name, used in messages only. */
  fileName: string;
  /** Detected from the file's content and name when absent. */
  format?: ImportFormat;
  options?: ParseOptions;
  /** Existing directory for temporary files and the Parquet output. */
  workDir: string;
  limits?: ImportLimits;
  /** Rows of the typed result to return in `preview`, for a user checking the options; none when absent. */
  previewRows?: number;
  /** Most columns the file may have; DEFAULT_MAX_COLUMNS when absent. A wider file raises `TOO_MANY_COLUMNS`. */
  maxColumns?: number;
};

export type ImportedColumn = {
  /** Column name in the Parquet file: the source name with surrounding whitespace removed. */
  name: string;
  type: ColumnType;
  /** Whether the column contains at least one null. */
  nullable: boolean;
  /** Column name exactly as the source file spells it (empty for a headerless file). */
  sourceName: string;
};

export type ImportResult = {
  /** Parquet file (zstd) in `workDir`, which the caller owns from now on. */
  parquetPath: string;
  rowCount: number;
  columns: ImportedColumn[];
  rawSha256: string;
  rawSize: number;
  parquetSha256: string;
  parquetSize: number;
  format: ImportFormat;
  /**
   * The options after detection, including every column's final type. Passing them
   * back with the same file reproduces the same Parquet content.
   */
  appliedOptions: ParseOptions;
  warnings: string[];
  /** The first `previewRows` rows, each value as DuckDB's text of the typed value, or null. */
  preview?: (string | null)[][];
};
