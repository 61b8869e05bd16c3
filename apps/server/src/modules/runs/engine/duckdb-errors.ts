/** An error from DuckDB, split into the fields it reports. */
export interface DuckDBErrorDetails {
  /** DuckDB's exception type, such as `Binder` or `Out of Memory`, or undefined when DuckDB reports none. */
  exceptionType: string | undefined;
  message: string;
  position: number | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parsePosition(value: unknown): number | undefined {
  const position = typeof value === 'string' ? Number(value) : value;
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0
    ? position
    : undefined;
}

/**
 * Split an error thrown by @duckdb/node-api into type, message and position.
 *
 * The sandbox opens DuckDB with `errors_as_json = true`, so messages are a
 * JSON object with `exception_type`, `exception_message` and sometimes
 * `position`. DuckDB 1.5.6 prefixes parser errors with "Parser Error: ",
 * so the JSON is taken from the first `{`. Any other message is returned
 * unchanged with an undefined type.
 */
export function describeDuckDBError(error: unknown): DuckDBErrorDetails {
  const raw = error instanceof Error ? error.message : String(error);
  const start = raw.indexOf('{');
  if (start >= 0 && raw.trimEnd().endsWith('}')) {
    try {
      const parsed: unknown = JSON.parse(raw.slice(start));
      if (isRecord(parsed) && typeof parsed.exception_message === 'string') {
        return {
          exceptionType:
            typeof parsed.exception_type === 'string' ? parsed.exception_type : undefined,
          message: parsed.exception_message,
          position: parsePosition(parsed.position),
        };
      }
    } catch {
      // Not JSON after all: fall through and report the message unchanged.
    }
  }
  return { exceptionType: undefined, message: raw, position: undefined };
}

/** Exception types that DuckDB raises for a fault in the query text or its data. */
const QUERY_FAULT_TYPES = new Set(
  [
    'Binder',
    'Catalog',
    'Constraint',
    'Conversion',
    'Decimal',
    'Dependency',
    'Divide by Zero',
    'Expression',
    'Invalid Input',
    'Invalid type',
    'Mismatch Type',
    'Missing Extension',
    'Not implemented',
    'Out of Range',
    'Parameter Not Allowed',
    'Parameter Not Resolved',
    'Parser',
    'Planner',
    'Syntax',
  ].map((type) => type.toLowerCase()),
);

export function isQueryFault(details: DuckDBErrorDetails): boolean {
  return (
    details.exceptionType !== undefined &&
    QUERY_FAULT_TYPES.has(details.exceptionType.toLowerCase())
  );
}

export function hasExceptionType(details: DuckDBErrorDetails, type: string): boolean {
  return details.exceptionType?.toLowerCase() === type.toLowerCase();
}

/**
 * Convert a position that DuckDB reports into an index into the JavaScript
 * string `sql` (UTF-16 code units). DuckDB 1.5.6 counts parser error
 * positions in code points but binder error positions in UTF-8 bytes, as
 * sandbox.test.ts checks with non-ASCII text.
 */
export function toStringIndex(sql: string, position: number, unit: 'codePoints' | 'bytes'): number {
  if (unit === 'bytes') {
    return Buffer.from(sql, 'utf8').subarray(0, position).toString('utf8').length;
  }
  let index = 0;
  let counted = 0;
  for (const character of sql) {
    if (counted === position) break;
    index += character.length;
    counted++;
  }
  return index;
}
