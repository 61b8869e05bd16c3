import { z } from 'zod';

/** True when the text contains a C0 control character or DEL; PostgreSQL text cannot even hold NUL. */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A trimmed, bounded name or label without control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'expected at least one character' })
    .max(max, { error: `expected at most ${max} characters` })
    .refine((value) => !hasControlCharacter(value), { error: 'expected no control characters' });
