import { z } from 'zod';
import { templateInputSchema, templateParameterSchema } from './library/template.ts';

const CRON_FIELD = /^[\d*/,-]+$/;

/**
 * A test definition as teams keep it in version control, in YAML or JSON.
 * `peytonix tests import` turns one into a draft version of the test with
 * this key; `peytonix tests export` writes a version back in this form.
 */
export const testDefinitionFileSchema = z.strictObject({
  key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
    error: 'expected kebab-case such as high-value-journals',
  }),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(''),
  controlReference: z.string().trim().min(1).max(200).optional(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  inputs: z.array(templateInputSchema).min(1).max(20),
  parameters: z.array(templateParameterSchema).max(50).default([]),
  keyColumns: z.array(z.string().min(1).max(200)).min(1).max(32),
  sql: z.string().min(1).max(100_000),
  summarySql: z.string().min(1).max(100_000).optional(),
  /** Five-field cron expression. NOTE: stored with the version; nothing schedules runs from it yet. */
  schedule: z
    .string()
    .max(100)
    .refine(
      (value) => {
        const fields = value.trim().split(/\s+/);
        return fields.length === 5 && fields.every((field) => CRON_FIELD.test(field));
      },
      { error: 'expected a five-field cron expression such as "0 6 * * 1"' },
    )
    .optional(),
});

export type TestDefinitionFile = z.infer<typeof testDefinitionFileSchema>;
