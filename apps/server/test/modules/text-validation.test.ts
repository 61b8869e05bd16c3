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
});
