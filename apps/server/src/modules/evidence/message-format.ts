/** Formatting of values inside the messages that evidence checks return or throw. */

/** Quotes a client-supplied value for a message, escaping non-ASCII, cut at 100 characters. */
export function printable(value: string): string {
  const truncated = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  return JSON.stringify(truncated).replace(
    /[^\x20-\x7e…]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Sorts values and joins them with commas, for lists of allowed values in messages. */
export function listOf(values: Iterable<string>): string {
  return [...values].sort().join(', ');
}
