import { z } from 'zod';

/**
 * Characters that change how the text around them displays without
 * showing themselves. They are every Unicode format character (category
 * Cf), such as the bidirectional marks, overrides and isolates, the
 * zero-width space, the soft hyphen, the invisible operators and the tag
 * characters. They also include the C1 controls (U+0080 to U+009F, which
 * terminals obey), the line and paragraph separators, the combining
 * grapheme joiner and the Hangul fillers, which render as blank letters. In a name, a justification, a rationale or a
 * test's SQL they can make a reviewer read something other than what is
 * stored. The zero-width joiner and non-joiner (U+200D, U+200C) are the
 * exceptions: emoji sequences and Persian and Indic scripts need them.
 */
const INVISIBLE_FORMATTING = /[\p{Cf}\u0080-\u009F\u2028\u2029\u115F\u1160\u3164\uFFA0]|\u034F/u;

/** Joiners that INVISIBLE_FORMATTING matches but ordinary text needs. */
const ALLOWED_JOINERS = new Set([0x200c, 0x200d]);

/** A character that names, justifications and other stored text must not contain. */
export interface ForbiddenCharacter {
  /** The code point, such as 0x200b. A lone surrogate is reported as itself. */
  codePoint: number;
  /** 1-based position in the text, counted in characters (code points). */
  position: number;
  kind: 'control' | 'invisible formatting' | 'lone surrogate';
}

/**
 * Find the first C0 control character, DEL, invisible formatting character
 * or lone surrogate (which UTF-8 cannot encode) in `value`. With
 * `allowLineBreaks`, tab and line breaks are allowed. A carriage return
 * counts as a line break only before a line feed. Alone, it returns a
 * terminal's cursor to the start of the line, so the text after it can
 * overwrite what a reviewer reads. PostgreSQL text cannot even hold NUL.
 */
export function findForbiddenCharacter(
  value: string,
  allowLineBreaks = false,
): ForbiddenCharacter | null {
  let position = 0;
  for (let index = 0; index < value.length; index += 1) {
    position += 1;
    const codePoint = value.codePointAt(index) ?? 0;
    if (codePoint > 0xffff) index += 1;

    const lineBreakOrTab =
      codePoint === 0x09 ||
      codePoint === 0x0a ||
      (codePoint === 0x0d && value.charCodeAt(index + 1) === 0x0a);
    const c0OrDelete = codePoint < 0x20 || codePoint === 0x7f;
    if (
      (c0OrDelete && !(allowLineBreaks && lineBreakOrTab)) ||
      (codePoint >= 0x80 && codePoint <= 0x9f)
    ) {
      return { codePoint, position, kind: 'control' };
    }
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      return { codePoint, position, kind: 'lone surrogate' };
    }
    if (
      !ALLOWED_JOINERS.has(codePoint) &&
      INVISIBLE_FORMATTING.test(String.fromCodePoint(codePoint))
    ) {
      return { codePoint, position, kind: 'invisible formatting' };
    }
  }
  return null;
}

/** True when the text contains a character that findForbiddenCharacter reports. */
export function hasControlCharacter(value: string): boolean {
  return findForbiddenCharacter(value) !== null;
}

/** Like hasControlCharacter, but allows tab and line breaks, for free text. */
export function hasControlCharacterExceptLineBreaks(value: string): boolean {
  return findForbiddenCharacter(value, true) !== null;
}

/** Describe a forbidden character and how to remove it, for a validation message. */
export function describeForbiddenCharacter(found: ForbiddenCharacter): string {
  const code = `U+${found.codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const hint =
    found.kind === 'invisible formatting'
      ? '; text pasted from a word processor or a web page often carries such characters'
      : '';
  const article = found.kind === 'invisible formatting' ? 'an' : 'a';
  return `contains ${code} (${article} ${found.kind} character) at character ${found.position}. Remove it${hint}`;
}

/** Build a zod refinement that reports the first character findForbiddenCharacter finds. */
export function rejectForbiddenCharacters(allowLineBreaks: boolean) {
  return (value: string, context: z.RefinementCtx) => {
    const found = findForbiddenCharacter(value, allowLineBreaks);
    if (found === null) return;
    context.addIssue({ code: 'custom', message: describeForbiddenCharacter(found) });
  };
}

/** A trimmed, bounded name or label without control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected at least one character' })
    .max(max, { error: `expected at most ${max} characters` })
    .superRefine(rejectForbiddenCharacters(false));

/** Free text of several lines, such as a justification or a rationale, trimmed and bounded. */
export const multilineText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected at least one character' })
    .max(max, { error: `expected at most ${max} characters` })
    .superRefine(rejectForbiddenCharacters(true));
