import { datasetNameSchema } from '@peytonix/contracts';
import { z } from 'zod';
import { cronExpressionProblem } from '../../platform/scheduling/cron-expression.ts';
import { IDENTIFIER_PATTERN } from '../runs/engine/statement-check.ts';
import { templateInputSchema, templateParameterSchema } from './library/template.ts';

/** An input or field name, as the inputs declare them. */
const nameSchema = z
  .string()
  .regex(
    IDENTIFIER_PATTERN,
    'must be 1 to 63 lowercase letters, digits and underscores, starting with a letter',
  );

/**
 * One input's dataset: a dataset of the test's entity, at a fixed version
 * or, without `version`, the latest version when the run is requested.
 * `fields` maps the input's fields to dataset columns, and a field left
 * out reads the column of the same name.
 */
export const inputBindingSchema = z.strictObject({
  dataset: datasetNameSchema,
  version: z.number().int().min(1).max(2_147_483_647).optional(),
  fields: z.record(nameSchema, z.string().min(1).max(200)).optional(),
});

export type InputBinding = z.infer<typeof inputBindingSchema>;

/** Input name → its dataset binding, as stored in test_versions.bindings. */
export type InputBindings = Record<string, InputBinding>;

/**
 * A test definition as teams keep it in version control, in YAML or JSON.
 * `peytonix tests import` turns one into a draft version of the test with
 * this key; `peytonix tests export` writes a version back in this form.
 */
export const testDefinitionFileSchema = z
  .strictObject({
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
    /** Input name → the dataset it reads. Required for every input when `schedule` is set. */
    bindings: z.record(nameSchema, inputBindingSchema).optional(),
    /**
     * Five-field cron expression in UTC. While a version with a schedule is
     * active, the test scheduler queues a run at each fire time.
     */
    schedule: z
      .string()
      .max(100)
      .superRefine((value, context) => {
        const problem = cronExpressionProblem(value);
        if (problem !== null) context.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  })
  .superRefine((file, context) => {
    addBindingIssues(file, context);
    if (file.schedule !== undefined) addScheduleIssues(file, context);
  });

export type TestDefinitionFile = z.infer<typeof testDefinitionFileSchema>;

type ParsedFile = Pick<TestDefinitionFile, 'inputs' | 'parameters' | 'bindings'>;

/** Every binding must name a declared input, and every mapped field a field of that input. */
function addBindingIssues(file: ParsedFile, context: z.RefinementCtx) {
  const inputNames = file.inputs.map((input) => input.name);
  for (const [name, binding] of Object.entries(file.bindings ?? {})) {
    const input = file.inputs.find((candidate) => candidate.name === name);
    if (input === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['bindings', name],
        message: `is not a declared input. Bind one of: ${inputNames.join(', ')}`,
      });
      continue;
    }
    const fieldNames = input.fields.map((field) => field.name);
    for (const field of Object.keys(binding.fields ?? {})) {
      if (!fieldNames.includes(field)) {
        context.addIssue({
          code: 'custom',
          path: ['bindings', name, 'fields', field],
          message: `is not a field of input ${name}. Map one of: ${fieldNames.join(', ')}`,
        });
      }
    }
  }
}

/**
 * No requester names the inputs or parameter values of a scheduled run,
 * so a definition with a schedule binds every input and gives every
 * parameter a default.
 */
function addScheduleIssues(file: ParsedFile, context: z.RefinementCtx) {
  const unbound = file.inputs
    .map((input) => input.name)
    .filter((name) => file.bindings?.[name] === undefined);
  if (unbound.length > 0) {
    context.addIssue({
      code: 'custom',
      path: ['bindings'],
      message: `must bind every input when a schedule is set. Add bindings for ${unbound.join(', ')}`,
    });
  }
  file.parameters.forEach((parameter, index) => {
    if (parameter.default === null) {
      context.addIssue({
        code: 'custom',
        path: ['parameters', index, 'default'],
        message: `must not be null when a schedule is set, because scheduled runs use the defaults. Give ${parameter.name} a default`,
      });
    }
  });
}
