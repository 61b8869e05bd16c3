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
    };
    for (const [what, value] of Object.entries(disguised)) {
      expect(name.safeParse(value).success, what).toBe(false);
      expect(justificationSchema.safeParse(value).success, what).toBe(false);
    }
  });

  it('keeps line breaks in justifications only', () => {
    expect(justificationSchema.safeParse('First line.\nSecond line.').success).toBe(true);
    expect(name.safeParse('First line.\nSecond line.').success).toBe(false);
  });
});
