import { createHash } from 'node:crypto';
import { canonicalize, compareCodeUnits } from '../../platform/json/jcs.ts';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Turn one result row into a JSON object keyed by column name. */
export function rowObject(
  columns: readonly string[],
  row: readonly JsonValue[],
): Record<string, JsonValue> {
  const object: Record<string, JsonValue> = {};
  columns.forEach((column, index) => {
    object[column] = row[index] ?? null;
  });
  return object;
}

/**
 * SHA-256 over the canonical, sorted exception rows: each row as RFC 8785
 * (JCS) JSON of its column-to-value object, sorted by UTF-16 code units,
 * joined by line feeds. Row order and column order in the query do not
 * change the hash; any value, column name or row count does. Anyone can
 * recompute it from the stored rows.
 */
export function resultHash(
  columns: readonly string[],
  rows: readonly (readonly JsonValue[])[],
): Buffer {
  const lines = rows.map((row) => canonicalize(rowObject(columns, row))).sort(compareCodeUnits);
  // Line by line, because one joined string of a large result exceeds V8's string limit.
  const hash = createHash('sha256');
  lines.forEach((line, index) => {
    if (index > 0) hash.update('\n', 'utf8');
    hash.update(line, 'utf8');
  });
  return hash.digest();
}

/** Compute the identity of an exception across runs: SHA-256 of the JCS array of its key values. */
export function keyHash(keyValues: readonly JsonValue[]): Buffer {
  return createHash('sha256').update(canonicalize(keyValues), 'utf8').digest();
}
