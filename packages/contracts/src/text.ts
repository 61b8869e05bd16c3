import { z } from 'zod';

/**
 * Characters that change how the text around them displays without
 * showing themselves: bidirectional embeddings, overrides and isolates
 * (U+202A to U+202E, U+2066 to U+2069), and the zero-width space, word
 * joiner and byte order mark. In a name or a justification they can make
 * a reviewer read something other than what is stored.
 */
const INVISIBLE_FORMATTING = /[\u200B\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/;

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

/** Like hasControlCharacter, but allows tab, line feed and carriage return, for free text. */
export function hasControlCharacterExceptLineBreaks(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    const lineBreakOrTab = code === 0x09 || code === 0x0a || code === 0x0d;
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
