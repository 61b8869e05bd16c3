import { justificationSchema, plainText } from '@peytonix/contracts';
import { describe, expect, it } from 'vitest';

describe('text validation', () => {
  const name = plainText(200);

  it('accepts ordinary text in any script', () => {
    for (const value of [
      'Payroll audit',
      'Audit fiscal 2024 — España',
      'ביקורת שכר',
      '👩‍💼 team',
      'می\u200cخواهم',
    ]) {
      expect(name.safeParse(value).success, value).toBe(true);
    }
  });

  it('rejects characters that disguise the text', () => {
    const disguised = {
      'right-to-left override': 'ALPHA-ENG \u202eDEXIF\u202c',
      'left-to-right isolate': 'ALPHA \u2066x\u2069',
      'zero-width space': 'ALPHA\u200bENG',
      'byte order mark': 'AL\ufeffPHA',
      'lone surrogate': 'ALPHA \ud800',
      NUL: 'ALPHA\u0000',
      'left-to-right mark': 'ALPHA\u200eENG',
      'Arabic letter mark': 'ALPHA\u061cENG',
      'C1 control sequence introducer': 'ALPHA\u009b31m',
      'next line': 'ALPHA\u0085ENG',
      'line separator': 'ALPHA\u2028ENG',
      'tag character': 'ALPHA\u{E0041}',
      'lone carriage return': 'refunded\rreviewed by cfo@example.com',
      'soft hyphen': 'Ev\u00ade',
      'invisible times': 'A\u2062B',
      'Mongolian vowel separator': 'ALPHA\u180eENG',
      'Hangul filler': 'Eve\u3164',
      'combining grapheme joiner': 'Eve\u034f',
      'interlinear annotation anchor': 'Eve\ufff9',
    };
    for (const [what, value] of Object.entries(disguised)) {
      expect(name.safeParse(value).success, what).toBe(false);
      expect(justificationSchema.safeParse(value).success, what).toBe(false);
    }
  });

  it('keeps line breaks in justifications only', () => {
    expect(justificationSchema.safeParse('First line.\nSecond line.').success).toBe(true);
    expect(justificationSchema.safeParse('First line.\r\nSecond line.').success).toBe(true);
    expect(name.safeParse('First line.\nSecond line.').success).toBe(false);
  });

  it('names the character and its position', () => {
    const messages = (value: string) =>
      justificationSchema.safeParse(value).error?.issues.map((issue) => issue.message);

    expect(messages('Paid 👩‍💼 in​full')).toEqual([
      'contains U+200B (an invisible formatting character) at character 12. Remove it; text pasted from a word processor or a web page often carries such characters',
    ]);
    expect(messages('tab	here, bell')).toEqual([
      'contains U+0007 (a control character) at character 15. Remove it',
    ]);
    expect(messages('nextline')?.[0]).toMatch(/^contains U\+0085 \(a control character\)/);
    expect(messages('ALPHA \ud800')?.[0]).toMatch(
      /^contains U\+D800 \(a lone surrogate character\)/,
    );
  });
});
