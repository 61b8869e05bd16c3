import { z } from 'zod';
import { IDENTIFIER_PATTERN } from '../../runs/engine/statement-check.ts';

/**
 * A test template: a versioned, parameterized DuckDB query whose result rows
 * are the exceptions of one audit test.
 *
 * The SQL reads each input as a relation named after the input, with one
 * column per declared field. A run maps dataset columns to those fields, so
 * the SQL refers to field names only. Parameters are bound as `$name`
 * prepared-statement parameters by runSandboxedQuery.
 */

export const FIELD_TYPES = ['text', 'integer', 'decimal', 'date', 'boolean'] as const;
export const PARAMETER_TYPES = ['integer', 'decimal', 'text', 'date', 'boolean'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const TEMPLATE_CATEGORIES = [
  'accounts-payable',
  'purchasing',
  'general-ledger',
  'digital-analysis',
  'document-integrity',
  'vendor-master',
  'access-control',
] as const;

/**
 * Level-2 headings that every template description must contain, in this
 * order, so the auditor finds the same parts in every template.
 */
export const DESCRIPTION_SECTIONS = [
  '## What it finds',
  '## Why it matters',
  '## How to read the results',
  '## Limitations',
] as const;

const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const DECIMAL_TEXT = /^[+-]?\d+(?:\.\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const match = DATE_TEXT.exec(text);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  return (
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day
  );
}

const identifier = z
  .string()
  .regex(
    IDENTIFIER_PATTERN,
    'must be 1 to 63 lowercase letters, digits and underscores, starting with a letter',
  );
const text = z.string().trim().min(1);

export const templateFieldSchema = z.strictObject({
  name: identifier,
  type: z.enum(FIELD_TYPES),
  description: text,
  /**
   * False when a run may leave the field unmapped. The column mapping must
   * then supply a column of NULLs, so the SQL of a template treats NULL in
   * an optional field as "not given".
   */
  required: z.boolean(),
});

export const templateInputSchema = z
  .strictObject({
    name: identifier,
    description: text,
    fields: z.array(templateFieldSchema).min(1),
  })
  .superRefine((input, context) => {
    addDuplicateIssues(
      input.fields.map((field) => field.name),
      ['fields'],
      'field',
      context,
    );
  });

const parameterBase = { name: identifier, description: text };

/**
 * A `$name` query parameter. `default` is the value a run uses when it gives
 * none, or null when every run must give one. Decimal defaults are strings,
 * such as "1.96", so that they bind as exact DECIMAL values.
 */
export const templateParameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...parameterBase,
    type: z.literal('integer'),
    default: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).nullable(),
  }),
  z.strictObject({
    ...parameterBase,
    type: z.literal('decimal'),
    default: z.string().regex(DECIMAL_TEXT, 'must be a decimal such as "1.96"').nullable(),
  }),
  z.strictObject({ ...parameterBase, type: z.literal('text'), default: z.string().nullable() }),
  z.strictObject({
    ...parameterBase,
    type: z.literal('date'),
    default: z.string().refine(isCalendarDate, 'must be a calendar date "YYYY-MM-DD"').nullable(),
  }),
  z.strictObject({ ...parameterBase, type: z.literal('boolean'), default: z.boolean().nullable() }),
]);

export const testTemplateSchema = z
  .strictObject({
    /** Stable identifier of the test across versions, in kebab-case. */
    key: z.string().regex(KEBAB_CASE, 'must be kebab-case, such as "duplicate-payments-exact"'),
    /** Positive integer, raised whenever the SQL, inputs or parameters change. */
    version: z.number().int().positive(),
    name: text,
    /** Markdown with the sections in DESCRIPTION_SECTIONS. */
    description: text,
    category: z.enum(TEMPLATE_CATEGORIES),
    severity: z.enum(SEVERITIES),
    inputs: z.array(templateInputSchema).min(1),
    parameters: z.array(templateParameterSchema),
    /** Result columns whose values identify one exception across runs. */
    keyColumns: z.array(z.string().min(1)).min(1),
    /** One SELECT whose result rows are the exceptions. */
    sql: text,
    /**
     * One SELECT that returns a single row of summary statistics for the run.
     * It must use the same parameters as `sql`, because the sandbox rejects a
     * parameter value that a query does not use.
     */
    summarySql: text.optional(),
  })
  .superRefine((template, context) => {
    addDuplicateIssues(
      template.inputs.map((input) => input.name),
      ['inputs'],
      'input',
      context,
    );
    addDuplicateIssues(
      template.parameters.map((parameter) => parameter.name),
      ['parameters'],
      'parameter',
      context,
    );
    addDuplicateIssues(template.keyColumns, ['keyColumns'], 'key column', context);
    addSectionIssues(template.description, context);
  });

export type TemplateField = z.infer<typeof templateFieldSchema>;
export type TemplateInput = z.infer<typeof templateInputSchema>;
export type TemplateParameter = z.infer<typeof templateParameterSchema>;
export type TestTemplate = z.infer<typeof testTemplateSchema>;

function addDuplicateIssues(
  names: readonly string[],
  path: (string | number)[],
  label: string,
  context: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name)) {
      context.addIssue({
        code: 'custom',
        path: [...path, index],
        message: `duplicate ${label} name "${name}"`,
      });
    }
    seen.add(name);
  });
}

function addSectionIssues(description: string, context: z.RefinementCtx): void {
  const headings = description
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('## '));
  const expected = DESCRIPTION_SECTIONS.join(' | ');
  if (headings.join(' | ') !== expected) {
    context.addIssue({
      code: 'custom',
      path: ['description'],
      message: `must have exactly the sections ${expected} in this order, got ${headings.join(' | ') || '(none)'}`,
    });
  }
}
