/** Writing the synthetic files as RFC 4180 CSV with a header row and LF line endings. */

function quoteField(value: string): string {
  const needsQuotes = /[",\r\n]/.test(value) || value.trim() !== value;
  return needsQuotes ? `"${value.replaceAll('"', '""')}"` : value;
}

export function toCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [header, ...rows].map((fields) => fields.map(quoteField).join(','));
  return `${lines.join('\n')}\n`;
}

/** Format an amount held in whole cents as a decimal with two places, such as "-1234.05". */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new Error(`amount in cents is not an integer: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

export function padNumber(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Compare strings by UTF-16 code units, which orders the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
