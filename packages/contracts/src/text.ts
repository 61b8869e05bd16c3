import { z } from 'zod';

/**
 * Characters that change how the text around them displays without
 * showing themselves. They are the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E, U+200F, U+202A to U+202E,
 * U+2066 to U+2069), and the zero-width space, word joiner and byte order
 * mark. They also include the C1 controls (U+0080 to U+009F, which
 * terminals obey), the line and paragraph separators (U+2028, U+2029) and
 * the tag characters (U+E0000 to U+E007F). In a name, a justification or
 * a rationale they can make a reviewer read something other than what is
 * stored.
 */
const INVISIBLE_FORMATTING =
  /[\u0080-\u009F\u061C\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060\u2066-\u2069\uFEFF]|\u{E0000}|[\u{E0001}-\u{E007F}]/u;

/**
 * True when the text contains a C0 control character, DEL, an invisible
 * formatting character, or a lone surrogate, which UTF-8 cannot encode.
 * PostgreSQL text cannot even hold NUL.
 */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return INVISIBLE_FORMATTING.test(value) || !value.isWellFormed();
}

/**
 * Like hasControlCharacter, but allows tab and line breaks, for free text.
 * A carriage return counts as a line break only before a line feed: alone,
 * it returns a terminal's cursor to the start of the line, so the text
 * after it can overwrite what a reviewer reads.
 */
export function hasControlCharacterExceptLineBreaks(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    const lineBreakOrTab =
      code === 0x09 || code === 0x0a || (code === 0x0d && value.charCodeAt(index + 1) === 0x0a);
    if ((code < 0x20 && !lineBreakOrTab) || code === 0x7f) return true;
  }
  return INVISIBLE_FORMATTING.test(value) || !value.isWellFormed();
}

/** A trimmed, bounded name or label without control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected at least one character' })
    .max(max, { error: `expected at most ${max} characters` })
    .refine((value) => !hasControlCharacter(value), { error: 'expected no control characters' });

/** Free text of several lines, such as a justification or a rationale, trimmed and bounded. */
export const multilineText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected at least one character' })
    .max(max, { error: `expected at most ${max} characters` })
    .refine((value) => !hasControlCharacterExceptLineBreaks(value), {
      error: 'expected no control characters other than line breaks and tabs',
    });
