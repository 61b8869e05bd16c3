/**
 * JSON Canonicalization Scheme (RFC 8785).
 *
 * ECMAScript's own JSON.stringify already produces the number and string
 * forms that RFC 8785 section 3.2.2 prescribes. This module adds what
 * JSON.stringify leaves open: object members sorted by the UTF-16 code
 * units of their names (section 3.2.3). It also rejects values that have
 * no canonical form: non-finite numbers, lone surrogates, non-JSON types.
 */
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';

  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`JCS cannot represent the number ${value}`);
      }
      return JSON.stringify(value);
    case 'string':
      if (!value.isWellFormed()) {
        throw new TypeError('JCS cannot represent a string with a lone surrogate');
      }
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value);
    default:
      throw new TypeError(`JCS cannot represent a value of type ${typeof value}`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  return `[${items.map(canonicalize).join(',')}]`;
}

/**
 * Order strings by UTF-16 code units, as RFC 8785 section 3.2.3 requires.
 * JavaScript's < compares code units; localeCompare would not.
 */
export function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function canonicalObject(value: object): string {
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`JCS cannot represent an instance of ${prototype?.constructor?.name}`);
  }

  const entries = Object.entries(value)
    .filter(([, inner]) => inner !== undefined)
    .sort(([a], [b]) => compareCodeUnits(a, b));
  const members = entries.map(([key, inner]) => `${canonicalize(key)}:${canonicalize(inner)}`);
  return `{${members.join(',')}}`;
}
