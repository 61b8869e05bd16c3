/** A parsed Content-Type value. */
export interface MediaType {
  /** Type and subtype in lowercase, e.g. 'text/csv'. */
  readonly essence: string;
  /** Parameters in order, names in lowercase and values unquoted. */
  readonly parameters: readonly { readonly name: string; readonly value: string }[];
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const ESSENCE = new RegExp(`^[ \\t]*(${TOKEN})/(${TOKEN})[ \\t]*`, 'y');
// A quoted-string may contain any visible ASCII character and escape any of them with \.
const PARAMETER = new RegExp(
  `;[ \\t]*(?:(${TOKEN})=(${TOKEN}|"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e]|\\\\[\\t \\x21-\\x7e])*"))?[ \\t]*`,
  'y',
);

/**
 * Parses a Content-Type value by the grammar of RFC 9110 sections 8.3.1 and 5.6.6, which
 * allows empty parameters such as `text/csv;`. Returns undefined when the value does not
 * fit the grammar.
 */
export function parseMediaType(value: string): MediaType | undefined {
  ESSENCE.lastIndex = 0;
  const essence = ESSENCE.exec(value);
  if (essence === null) {
    return undefined;
  }

  const parameters: { name: string; value: string }[] = [];
  let position = ESSENCE.lastIndex;
  while (position < value.length) {
    PARAMETER.lastIndex = position;
    const parameter = PARAMETER.exec(value);
    if (parameter === null) {
      return undefined;
    }
    const [, name, rawValue] = parameter;
    if (name !== undefined && rawValue !== undefined) {
      const unquoted = rawValue.startsWith('"')
        ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1')
        : rawValue;
      parameters.push({ name: name.toLowerCase(), value: unquoted });
    }
    position = PARAMETER.lastIndex;
  }

  const [, type = '', subtype = ''] = essence;
  return { essence: `${type}/${subtype}`.toLowerCase(), parameters };
}
