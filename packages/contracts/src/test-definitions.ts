import { z } from 'zod';
import { datasetNameSchema } from './datasets.ts';
import { testKeySchema } from './tests.ts';
import { rejectForbiddenCharacters } from './text.ts';

/**
 * The test definition file: a test as teams keep it in version control, as
 * `peytonix tests import` and POST /api/v1/tests/drafts read it, and as the
 * browser's definition editor builds it. The server layers its own checks on
 * testDefinitionFileSchema: the cron expression of `schedule`, and the SQL,
 * which DuckDB's parser reads.
 */

export const FIELD_TYPES = ['text', 'integer', 'decimal', 'date', 'boolean'] as const;
export const PARAMETER_TYPES = ['integer', 'decimal', 'text', 'date', 'boolean'] as const;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** An input, field or parameter name; the SQL refers to it without quotes. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

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

export const identifierSchema = z
  .string()
  .regex(
    IDENTIFIER_PATTERN,
    'must be 1 to 63 lowercase letters, digits and underscores, starting with a letter',
  );

// Every text of a definition reaches an approver's screen. A bidi override
// or an invisible character there can make the approver read other SQL or
// another name than what is stored, so they are rejected as in other text.
const singleLine = rejectForbiddenCharacters(false);
const multiLine = rejectForbiddenCharacters(true);

const requiredText = z.string().trim().min(1, 'must not be empty').superRefine(multiLine);

/** Add an issue at `path.index` for each name that repeats an earlier one. */
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

/** Add an issue for each input, parameter and key column whose name repeats an earlier one. */
export function addDuplicateNameIssues(
  definition: {
    inputs: readonly { name: string }[];
    parameters: readonly { name: string }[];
    keyColumns: readonly string[];
  },
  context: z.RefinementCtx,
): void {
  addDuplicateIssues(
    definition.inputs.map((input) => input.name),
    ['inputs'],
    'input',
    context,
  );
  addDuplicateIssues(
    definition.parameters.map((parameter) => parameter.name),
    ['parameters'],
    'parameter',
    context,
  );
  addDuplicateIssues(definition.keyColumns, ['keyColumns'], 'key column', context);
}

export const definitionFieldSchema = z.strictObject({
  name: identifierSchema,
  type: z.enum(FIELD_TYPES, 'must be text, integer, decimal, date or boolean'),
  description: requiredText,
  /**
   * False when a run may leave the field unmapped. The column mapping must
   * then supply a column of NULLs, so the SQL treats NULL in an optional
   * field as "not given".
   */
  required: z.boolean('must be true or false'),
});

/** An input the SQL reads as a relation of that name, with one column per field. */
export const definitionInputSchema = z
  .strictObject({
    name: identifierSchema,
    description: requiredText,
    fields: z.array(definitionFieldSchema).min(1, 'needs at least one field'),
  })
  .superRefine((input, context) => {
    addDuplicateIssues(
      input.fields.map((field) => field.name),
      ['fields'],
      'field',
      context,
    );
  });

const parameterBase = { name: identifierSchema, description: requiredText };

/**
 * A `$name` query parameter. `default` is the value a run uses when it gives
 * none, or null when every run must give one. Decimal defaults are strings,
 * such as "1.96", so that they bind as exact DECIMAL values.
 */
export const definitionParameterSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      ...parameterBase,
      type: z.literal('integer'),
      default: z
        .number('must be a whole number')
        .int('must be a whole number')
        .min(Number.MIN_SAFE_INTEGER)
        .max(Number.MAX_SAFE_INTEGER)
        .nullable(),
    }),
    z.strictObject({
      ...parameterBase,
      type: z.literal('decimal'),
      default: z.string().regex(DECIMAL_TEXT, 'must be a decimal such as "1.96"').nullable(),
    }),
    z.strictObject({
      ...parameterBase,
      type: z.literal('text'),
      default: z.string().superRefine(multiLine).nullable(),
    }),
    z.strictObject({
      ...parameterBase,
      type: z.literal('date'),
      default: z.string().refine(isCalendarDate, 'must be a calendar date "YYYY-MM-DD"').nullable(),
    }),
    z.strictObject({
      ...parameterBase,
      type: z.literal('boolean'),
      default: z.boolean('must be true or false').nullable(),
    }),
  ],
  'must have a type of integer, decimal, text, date or boolean',
);

/**
 * One input's dataset: a dataset of the test's entity, at a fixed version
 * or, without `version`, the latest version when the run is requested.
 * `fields` maps the input's fields to dataset columns, and a field left
 * out reads the column of the same name.
 */
export const inputBindingSchema = z.strictObject({
  dataset: datasetNameSchema,
  version: z
    .number('must be a whole version number')
    .int('must be a whole version number')
    .min(1, 'must be 1 or more')
    .max(2_147_483_647, 'must be below 2147483648')
    .optional(),
  fields: z.record(identifierSchema, z.string().min(1).max(200).superRefine(singleLine)).optional(),
});

export const testDefinitionFileSchema = z
  .strictObject({
    key: testKeySchema,
    name: z.string().trim().min(1, 'must not be empty').max(200).superRefine(singleLine),
    description: z.string().max(20_000).superRefine(multiLine).default(''),
    controlReference: z.string().trim().min(1).max(200).superRefine(singleLine).optional(),
    severity: z.enum(SEVERITIES, 'must be low, medium, high or critical'),
    inputs: z.array(definitionInputSchema).min(1, 'needs at least one input').max(20),
    parameters: z.array(definitionParameterSchema).max(50).default([]),
    keyColumns: z
      .array(z.string().min(1).max(200).superRefine(singleLine))
      .min(1, 'needs at least one key column')
      .max(32),
    sql: z
      .string()
      .max(100_000)
      .refine((sql) => sql.trim() !== '', 'must not be empty')
      .superRefine(multiLine),
    summarySql: z.string().min(1).max(100_000).superRefine(multiLine).optional(),
    /** Input name → the dataset it reads. Required for every input when `schedule` is set. */
    bindings: z.record(identifierSchema, inputBindingSchema).optional(),
    /**
     * Five-field cron expression in UTC. While a version with a schedule is
     * active, the test scheduler queues a run at each fire time. The server
     * checks the expression itself.
     */
    schedule: z.string().max(100).optional(),
  })
  .superRefine((file, context) => {
    addDuplicateNameIssues(file, context);
    addBindingIssues(file, context);
    if (file.schedule !== undefined) addScheduleIssues(file, context);
  });

export type DefinitionField = z.infer<typeof definitionFieldSchema>;
export type DefinitionInput = z.infer<typeof definitionInputSchema>;
export type DefinitionParameter = z.infer<typeof definitionParameterSchema>;
export type InputBinding = z.infer<typeof inputBindingSchema>;
/** Input name → its dataset binding, as stored in test_versions.bindings. */
export type InputBindings = Record<string, InputBinding>;
export type TestDefinitionFile = z.infer<typeof testDefinitionFileSchema>;

interface BoundDefinition {
  inputs: DefinitionInput[];
  parameters: DefinitionParameter[];
  bindings?: InputBindings | undefined;
}

/** Every binding must name a declared input, and every mapped field a field of that input. */
function addBindingIssues(file: BoundDefinition, context: z.RefinementCtx) {
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
function addScheduleIssues(file: BoundDefinition, context: z.RefinementCtx) {
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
