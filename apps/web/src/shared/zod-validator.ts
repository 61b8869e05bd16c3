import type { z } from 'zod';

/**
 * Turn a zod schema into a Mantine form validator that returns the first
 * issue's message, capitalized, or null when the value is valid. The
 * schemas come from @peytonix/contracts, so the form checks what the
 * server checks.
 */
export function validateWith(schema: z.ZodType) {
  return (value: unknown): string | null => {
    const result = schema.safeParse(value);
    if (result.success) return null;
    const message = result.error.issues[0]?.message ?? 'invalid value';
    return message.charAt(0).toUpperCase() + message.slice(1);
  };
}
