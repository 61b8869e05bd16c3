import { describe, expect, it } from 'vitest';
import { codePointName, revealHiddenCharacters } from '../../src/shared/invisible-characters.ts';

/** Render segments as text, each hidden character as its marker. */
function shown(text: string, multiline = false): string {
  return revealHiddenCharacters(text, { multiline })
    .map((segment) => (segment.kind === 'text' ? segment.text : segment.marker))
    .join('');
}

describe('revealHiddenCharacters', () => {
  it('leaves ordinary text as one segment', () => {
    expect(revealHiddenCharacters('Invoice 42, €10.00 — ok')).toEqual([
      { kind: 'text', offset: 0, text: 'Invoice 42, €10.00 — ok' },
    ]);
  });

  it('returns nothing for empty text', () => {
    expect(revealHiddenCharacters('')).toEqual([]);
  });

  it('marks a right-to-left override with its name', () => {
    const segments = revealHiddenCharacters('invoice\u202Efdp.exe');

    expect(segments).toEqual([
      { kind: 'text', offset: 0, text: 'invoice' },
      {
        kind: 'hidden',
        offset: 7,
        codePoint: 'U+202E',
        marker: '⟨U+202E⟩',
        label: 'hidden character U+202E, right-to-left override',
      },
      { kind: 'text', offset: 8, text: 'fdp.exe' },
    ]);
  });

  it.each(['202A', '202B', '202C', '202D', '202E', '2066', '2067', '2068', '2069'])(
    'marks bidi control U+%s',
    (hex) => {
      const character = String.fromCodePoint(Number.parseInt(hex, 16));

      expect(shown(`a${character}b`)).toBe(`a⟨U+${hex}⟩b`);
    },
  );

  it.each([
    ['zero width space', 0x200b],
    ['zero width non-joiner', 0x200c],
    ['zero width joiner', 0x200d],
    ['left-to-right mark', 0x200e],
    ['right-to-left mark', 0x200f],
    ['word joiner', 0x2060],
    ['zero width no-break space', 0xfeff],
    ['soft hyphen', 0x00ad],
    ['Arabic letter mark', 0x061c],
    ['Hangul filler', 0x3164],
    ['combining grapheme joiner', 0x034f],
    ['line separator', 0x2028],
    ['null', 0x0000],
    ['escape', 0x001b],
    ['delete', 0x007f],
  ])('marks %s', (name, codePoint) => {
    const [segment] = revealHiddenCharacters(String.fromCodePoint(codePoint));

    expect(segment).toMatchObject({
      kind: 'hidden',
      label: `hidden character ${codePointName(codePoint)}, ${name}`,
    });
  });

  it('marks C1 controls by code point', () => {
    expect(shown('a\u0085b')).toBe('a⟨U+0085⟩b');
  });

  it('marks tag characters as one code point each', () => {
    const tagA = String.fromCodePoint(0xe0041);
    const segments = revealHiddenCharacters(`ok${tagA}`);

    expect(shown(`ok${tagA}`)).toBe('ok⟨U+E0041⟩');
    expect(segments.at(-1)).toMatchObject({ label: 'hidden character U+E0041, tag character' });
  });

  it('marks tab and line breaks in single-line text', () => {
    expect(shown('a\tb\nc\rd')).toBe('a⟨U+0009⟩b⟨U+000A⟩c⟨U+000D⟩d');
  });

  it('keeps tab and line breaks in multiline text', () => {
    expect(shown('a\tb\r\nc', true)).toBe('a\tb\r\nc');
    expect(shown('a\u202Eb\nc', true)).toBe('a⟨U+202E⟩b\nc');
  });

  it('marks each of adjacent hidden characters', () => {
    expect(shown('\u202A\u202E\u202C')).toBe('⟨U+202A⟩⟨U+202E⟩⟨U+202C⟩');
  });

  it('keeps right-to-left letters and emoji', () => {
    expect(shown('שלום مرحبا 👍')).toBe('שלום مرحبا 👍');
  });

  it('gives each segment its offset in the text', () => {
    const offsets = revealHiddenCharacters('ab\u200Bcd\u200B').map((segment) => segment.offset);

    expect(offsets).toEqual([0, 2, 3, 5]);
  });
});

describe('codePointName', () => {
  it('pads to four hex digits', () => {
    expect(codePointName(0xad)).toBe('U+00AD');
  });

  it('keeps five digits beyond the BMP', () => {
    expect(codePointName(0xe0041)).toBe('U+E0041');
  });
});
