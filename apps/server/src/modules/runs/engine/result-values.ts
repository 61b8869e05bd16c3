import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBValueConverter,
  type Json,
  JsonDuckDBValueConverter,
} from '@duckdb/node-api';

/** A value that JSON.stringify renders without loss: null, boolean, number, string, array or object. */
export type JsonValue = Json;

/** DuckDB's rendering of a finite timestamp between years 1 and 9999 AD. */
const PLAIN_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/;

interface TemporalValue {
  readonly isFinite: boolean;
  toString(): string;
}

function isTemporal(value: unknown): value is TemporalValue {
  return typeof value === 'object' && value !== null && 'isFinite' in value;
}

/**
 * Render an infinite date or timestamp the way DuckDB casts it to text. The
 * sign comes from the stored day or microsecond count, because the
 * library's own text of -infinity (a date far BC) does not start with '-'.
 */
function infinityText(value: object): string {
  if ('days' in value && typeof value.days === 'number') {
    return value.days < 0 ? '-infinity' : 'infinity';
  }
  if ('micros' in value && typeof value.micros === 'bigint') {
    return value.micros < 0n ? '-infinity' : 'infinity';
  }
  return String(value).startsWith('-') ? '-infinity' : 'infinity';
}

/**
 * ISO 8601 text of a timestamp: DuckDB's "YYYY-MM-DD HH:MM:SS.ffffff" with a
 * "T" separator. Years outside 1-9999 AD and infinities have no ISO form and
 * keep DuckDB's text, for example "0044-03-15 00:00:00 (BC)" or "infinity".
 */
function isoTimestamp(text: string, suffix: string): string {
  return PLAIN_TIMESTAMP.test(text) ? `${text.replace(' ', 'T')}${suffix}` : text;
}

function timestampText(value: unknown): string {
  if (isTemporal(value) && !value.isFinite) return infinityText(value);
  return isoTimestamp(String(value), '');
}

function timestampTZText(value: unknown): string {
  if (!(value instanceof DuckDBTimestampTZValue)) return String(value);
  if (!value.isFinite) return infinityText(new DuckDBTimestampValue(value.micros));
  // DuckDBTimestampTZValue.toString() applies the Node process's time zone,
  // so render the UTC instant from its microseconds instead.
  return isoTimestamp(new DuckDBTimestampValue(value.micros).toString(), 'Z');
}

/**
 * Converter from DuckDB values to JSON-safe values, applied to every result
 * cell and recursively inside LIST, ARRAY, STRUCT, MAP, UNION and VARIANT:
 *
 * - BIGINT, UBIGINT, HUGEINT, UHUGEINT and BIGNUM become decimal strings, so
 *   a column's JSON type never depends on the size of its values. Smaller
 *   integers become numbers.
 * - DECIMAL becomes an exact string such as "1250.50".
 * - FLOAT and DOUBLE become numbers, except NaN and the infinities, which
 *   become the strings "NaN", "Infinity" and "-Infinity".
 * - DATE becomes "YYYY-MM-DD", TIMESTAMP (any precision) becomes ISO 8601
 *   without a zone, TIMESTAMP WITH TIME ZONE becomes ISO 8601 in UTC with "Z".
 * - BLOB becomes base64.
 * - INTERVAL, TIME, TIME WITH TIME ZONE, UUID and ENUM become DuckDB's text.
 * - STRUCT becomes an object, MAP an array of {key, value}, UNION {tag, value}.
 */
export const jsonSafeConverter: DuckDBValueConverter<JsonValue> = (value, type, converter) => {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue && !value.isFinite
        ? infinityText(value)
        : String(value);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampText(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestampTZText(value);
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue
        ? Buffer.from(value.bytes).toString('base64')
        : String(value);
    case DuckDBTypeId.INTERVAL:
      return String(value);
    default:
      // Nested types recurse through `converter`, so their items get these rules too.
      return JsonDuckDBValueConverter(value, type, converter);
  }
};
