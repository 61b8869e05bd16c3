/**
 * First characters that make a spreadsheet read a cell as a formula. The
 * list is OWASP's "CSV Injection" page
 * (https://owasp.org/www-community/attacks/CSV_Injection): equals, plus,
 * minus, at, tab, carriage return and line feed.
 */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '\n']);

/** A whole string that is one plain decimal number, such as "-12.50" or "+3". */
const PLAIN_DECIMAL = /^[+-]?\d+(?:\.\d+)?$/;

/**
 * Prefix `'` to text that a spreadsheet would evaluate as a formula, so it
 * shows as text. A plain decimal number such as "-12.50" stays as it is:
 * spreadsheets read it as a number, and amounts are stored as such strings.
 */
export function neutralizeFormula(text: string): string {
  if (!FORMULA_TRIGGERS.has(text.charAt(0))) return text;
  if (PLAIN_DECIMAL.test(text)) return text;
  return `'${text}`;
}
