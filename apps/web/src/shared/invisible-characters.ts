/**
 * Characters that change how the text around them is displayed, or that
 * display as nothing, so imported or typed text could disguise itself with
 * them. They are the Unicode control characters (Cc) and format characters
 * (Cf). Cf includes the bidi embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069), the zero-width characters and the tag
 * characters. The pattern adds the line and paragraph separators and the
 * fillers that fonts draw blank. Tab and line breaks pass through only
 * where the text may span lines.
 *
 * NOTE: U+200D ZERO WIDTH JOINER inside an emoji sequence is marked too,
 * so such an emoji shows as its parts with the marker between them.
 */
// U+034F is a combining mark, so the pattern lists it outside the character class.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029\u115f\u1160\u3164\uffa0]|\u034f/gu;

/** Names of the characters that attacks use most, for the accessible label. */
const CHARACTER_NAMES: Record<number, string> = {
  0: 'null',
  9: 'tab',
  10: 'line feed',
  13: 'carriage return',
  27: 'escape',
  127: 'delete',
  173: 'soft hyphen',
  847: 'combining grapheme joiner',
  1564: 'Arabic letter mark',
  4447: 'Hangul choseong filler',
  4448: 'Hangul jungseong filler',
  6158: 'Mongolian vowel separator',
  8203: 'zero width space',
  8204: 'zero width non-joiner',
  8205: 'zero width joiner',
  8206: 'left-to-right mark',
  8207: 'right-to-left mark',
  8232: 'line separator',
  8233: 'paragraph separator',
  8234: 'left-to-right embedding',
  8235: 'right-to-left embedding',
  8236: 'pop directional formatting',
  8237: 'left-to-right override',
  8238: 'right-to-left override',
  8288: 'word joiner',
  8294: 'left-to-right isolate',
  8295: 'right-to-left isolate',
  8296: 'first strong isolate',
  8297: 'pop directional isolate',
  12644: 'Hangul filler',
  65279: 'zero width no-break space',
  65440: 'halfwidth Hangul filler',
};

/** A run of ordinary text, or one hidden character to show as a marker; `offset` is its start in UTF-16 units. */
export type TextSegment =
  | { kind: 'text'; offset: number; text: string }
  | { kind: 'hidden'; offset: number; codePoint: string; marker: string; label: string };

/** Return the code point in U+ notation, with at least four hex digits: U+202E. */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function hiddenSegment(character: string, offset: number): TextSegment {
  const codePoint = character.codePointAt(0) ?? 0;
  const name = codePointName(codePoint);
  const known = CHARACTER_NAMES[codePoint];
  const description =
    known ?? (codePoint >= 0xe0000 && codePoint <= 0xe007f ? 'tag character' : 'hidden character');

  return {
    kind: 'hidden',
    offset,
    codePoint: name,
    marker: `⟨${name}⟩`,
    label: `hidden character ${name}, ${description}`,
  };
}

/**
 * Split `text` into ordinary runs and hidden characters, in order, so a
 * screen can show each hidden character as a visible marker. The text
 * itself is not changed. With `multiline`, tab, line feed and carriage
 * return stay in the text runs.
 */
export function revealHiddenCharacters(
  text: string,
  options: { multiline?: boolean } = {},
): TextSegment[] {
  const segments: TextSegment[] = [];
  let start = 0;

  for (const match of text.matchAll(INVISIBLE)) {
    const character = match[0];
    if (
      options.multiline === true &&
      (character === '\t' || character === '\n' || character === '\r')
    ) {
      continue;
    }
    if (match.index > start) {
      segments.push({ kind: 'text', offset: start, text: text.slice(start, match.index) });
    }
    segments.push(hiddenSegment(character, match.index));
    start = match.index + character.length;
  }

  if (start < text.length) segments.push({ kind: 'text', offset: start, text: text.slice(start) });
  return segments;
}

/**
 * Return `text` with each hidden character replaced by its marker, for
 * places that take a plain string: document titles, headings and
 * accessible names.
 */
export function markHiddenCharacters(text: string): string {
  return revealHiddenCharacters(text)
    .map((segment) => (segment.kind === 'text' ? segment.text : segment.marker))
    .join('');
}
