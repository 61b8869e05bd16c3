export type ImportErrorCode =
  | 'INVALID_VALUE'
  | 'AMBIGUOUS_DATE'
  | 'MALFORMED_ROW'
  | 'EMPTY_FILE'
  | 'DUPLICATE_COLUMN'
  | 'UNSUPPORTED_FORMAT'
  | 'ENCODING_INVALID'
  | 'INVALID_OPTION'
  | 'UNREADABLE_FILE'
  /** The file has more columns than the import's maxColumns. */
  | 'TOO_MANY_COLUMNS'
  /** The import process exceeded its memory or time limit, or crashed on the file. */
  | 'RESOURCE_LIMIT';

export interface ImportErrorDetails {
  code: ImportErrorCode;
  fileName: string;
  /**
   * 1-based position of the offending record: the physical line where it starts in
   * CSV, TSV and JSON Lines files, the sheet row number in XLSX files, and the row
   * number in Parquet files.
   */
  line?: number;
  column?: string;
  value?: string;
}

/** A failed import whose cause is in the uploaded file or the options, with a stable code. */
export class ImportError extends Error {
  readonly code: ImportErrorCode;
  readonly fileName: string;
  readonly line: number | undefined;
  readonly column: string | undefined;
  readonly value: string | undefined;

  constructor(details: ImportErrorDetails, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
    this.code = details.code;
    this.fileName = details.fileName;
    this.line = details.line;
    this.column = details.column;
    this.value = details.value;
  }
}

const MAX_QUOTED_VALUE = 120;

/** Quote a value for a message, shortened so one huge cell cannot flood a log line. */
export function quoteValue(value: string): string {
  const text =
    value.length > MAX_QUOTED_VALUE ? `${value.slice(0, MAX_QUOTED_VALUE)}… (truncated)` : value;
  return JSON.stringify(text);
}

/**
 * Return the first line of an error message (DuckDB's or a library's) without its
 * category prefix and with the file's local path replaced by the user's file name.
 */
export function duckdbReason(error: unknown, filePath: string, fileName: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] ?? '';
  return firstLine
    .replace(/^[A-Za-z ]+ Error: /, '')
    .replaceAll(filePath, fileName)
    .trim();
}
