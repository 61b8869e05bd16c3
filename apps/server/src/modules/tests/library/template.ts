import {
  addDuplicateNameIssues,
  type DefinitionField,
  type DefinitionInput,
  type DefinitionParameter,
  definitionInputSchema,
  definitionParameterSchema,
  SEVERITIES,
} from '@peytonix/contracts';
import { z } from 'zod';

/**
 * A test template: a versioned, parameterized DuckDB query whose result rows
 * are the exceptions of one audit test.
 *
 * The SQL reads each input as a relation named after the input, with one
 * column per declared field. A run maps dataset columns to those fields, so
 * the SQL refers to field names only. Parameters are bound as `$name`
 * prepared-statement parameters by runSandboxedQuery. Inputs and parameters
 * have the shapes of the test definition file in @peytonix/contracts.
 */

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
const text = z.string().trim().min(1);

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
    inputs: z.array(definitionInputSchema).min(1),
    parameters: z.array(definitionParameterSchema),
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
    addDuplicateNameIssues(template, context);
    addSectionIssues(template.description, context);
  });

export type TemplateField = DefinitionField;
export type TemplateInput = DefinitionInput;
export type TemplateParameter = DefinitionParameter;
export type TestTemplate = z.infer<typeof testTemplateSchema>;

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
