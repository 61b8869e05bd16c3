import { datasetNameSchema, testKeySchema } from '@peytonix/contracts';
import { z } from 'zod';
import type { ExportedDefinition, TestTemplate } from './tests-api.ts';

// NOTE: This mirrors the server's test definition file schema
// (apps/server/src/modules/tests/definition-file.ts), which the contracts
// package does not export. The server also checks the cron expression, that
// the bindings name declared inputs, and the SQL itself, and its message
// shows when one of those fails.

export const FIELD_TYPES = ['text', 'integer', 'decimal', 'date', 'boolean'] as const;
export const PARAMETER_TYPES = FIELD_TYPES;
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

const identifierSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]{0,62}$/,
    'must be 1 to 63 lowercase letters, digits and underscores, starting with a letter',
  );
const requiredText = z.string().trim().min(1, 'must not be empty');

const fieldSchema = z.strictObject({
  name: identifierSchema,
  type: z.enum(FIELD_TYPES),
  description: requiredText,
  required: z.boolean(),
});

/** Add an issue at `path.index` for each name that repeats an earlier one. */
function addDuplicateIssues(
  names: readonly string[],
  path: (string | number)[],
  label: string,
  context: z.RefinementCtx,
) {
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

const inputSchema = z
  .strictObject({
    name: identifierSchema,
    description: requiredText,
    fields: z.array(fieldSchema).min(1, 'needs at least one field'),
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

/** A `$name` parameter. Decimal defaults are strings such as "1.96", so they bind exactly. */
const parameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...parameterBase,
    type: z.literal('integer'),
    default: z.number('must be a whole number').int('must be a whole number').nullable(),
  }),
  z.strictObject({
    ...parameterBase,
    type: z.literal('decimal'),
    default: z
      .string()
      .regex(/^[+-]?\d+(?:\.\d+)?$/, 'must be a decimal such as "1.96"')
      .nullable(),
  }),
  z.strictObject({ ...parameterBase, type: z.literal('text'), default: z.string().nullable() }),
  z.strictObject({
    ...parameterBase,
    type: z.literal('date'),
    default: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a calendar date "YYYY-MM-DD"')
      .nullable(),
  }),
  z.strictObject({
    ...parameterBase,
    type: z.literal('boolean'),
    default: z.boolean('must be true or false').nullable(),
  }),
]);

const bindingSchema = z.strictObject({
  dataset: datasetNameSchema,
  version: z.number().int().min(1).max(2_147_483_647).optional(),
  fields: z.record(identifierSchema, z.string().min(1).max(200)).optional(),
});

/** A test definition in the form POST /api/v1/tests/drafts and `peytonix tests import` read. */
export const definitionSchema = z
  .strictObject({
    key: testKeySchema,
    name: z.string().trim().min(1, 'must not be empty').max(200),
    description: z.string().max(20_000),
    controlReference: z.string().trim().min(1).max(200).optional(),
    severity: z.enum(SEVERITIES, 'must be low, medium, high or critical'),
    inputs: z.array(inputSchema).min(1, 'needs at least one input').max(20),
    parameters: z.array(parameterSchema).max(50),
    keyColumns: z.array(z.string().min(1).max(200)).min(1, 'needs at least one key column').max(32),
    sql: z.string().trim().min(1, 'must not be empty').max(100_000),
    summarySql: z.string().min(1).max(100_000).optional(),
    bindings: z.record(identifierSchema, bindingSchema).optional(),
    schedule: z.string().max(100).optional(),
  })
  .superRefine((definition, context) => {
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
  });

export type TestDefinition = z.infer<typeof definitionSchema>;

export interface FieldValues {
  name: string;
  type: string;
  description: string;
  required: boolean;
}

export interface InputValues {
  name: string;
  description: string;
  fields: FieldValues[];
}

export interface ParameterValues {
  name: string;
  type: string;
  /** The default as typed. Empty means no default, so every run must set one. */
  default: string;
  description: string;
}

/** The editor's form: every value as the inputs hold it, converted by toDefinition. */
export interface DefinitionFormValues {
  key: string;
  name: string;
  description: string;
  controlReference: string;
  severity: string;
  inputs: InputValues[];
  parameters: ParameterValues[];
  /** Key columns separated by commas. */
  keyColumns: string;
  sql: string;
  summarySql: string;
  /** Five-field cron expression in UTC, or empty for no schedule. */
  schedule: string;
  /** Dataset bindings of the source version, carried over unchanged. */
  bindings: Record<string, unknown> | undefined;
}

export function emptyField(): FieldValues {
  return { name: '', type: 'text', description: '', required: true };
}

export function emptyInput(): InputValues {
  return { name: '', description: '', fields: [emptyField()] };
}

export function emptyParameter(): ParameterValues {
  return { name: '', type: 'text', default: '', description: '' };
}

function defaultText(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function inputValuesOf(inputs: TestTemplate['inputs']): InputValues[] {
  return inputs.map((input) => ({
    name: input.name,
    description: input.description,
    fields: input.fields.map((field) => ({ ...field })),
  }));
}

function parameterValuesOf(parameters: TestTemplate['parameters']): ParameterValues[] {
  return parameters.map((parameter) => ({
    name: parameter.name,
    type: parameter.type,
    default: defaultText(parameter.default),
    description: parameter.description,
  }));
}

/**
 * Return the form values of a new test: empty, or with a library
 * template's inputs and parameters and a SELECT over its first input to
 * start the SQL from.
 */
export function newTestValues(template: TestTemplate | undefined): DefinitionFormValues {
  const firstInput = template?.inputs[0]?.name;
  return {
    key: '',
    name: template === undefined ? '' : `${template.name} (custom)`,
    description: '',
    controlReference: '',
    severity: template?.severity ?? 'medium',
    inputs: template === undefined ? [emptyInput()] : inputValuesOf(template.inputs),
    parameters: template === undefined ? [] : parameterValuesOf(template.parameters),
    keyColumns: '',
    sql: firstInput === undefined ? '' : `SELECT *\nFROM ${firstInput}`,
    summarySql: '',
    schedule: '',
    bindings: undefined,
  };
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * Parse an exported version into a definition, or return undefined. A
 * stored version passed the server's checks, so undefined means that this
 * schema and the server's drifted apart.
 */
export function readDefinition(exported: ExportedDefinition): TestDefinition | undefined {
  const parsed = definitionSchema.safeParse(
    Object.fromEntries(
      Object.entries(exported).filter(([name]) => name !== 'version' && name !== 'state'),
    ),
  );
  return parsed.success ? parsed.data : undefined;
}

/** Return the form values that copy an exported version, so saving them drafts the same content. */
export function valuesOfDefinition(exported: ExportedDefinition): DefinitionFormValues {
  // When the version cannot be parsed, copy the fields that are readable on their own.
  const definition = readDefinition(exported);
  return {
    key: exported.key,
    name: stringOr(exported.name, ''),
    description: stringOr(exported.description, ''),
    controlReference: stringOr(exported.controlReference, ''),
    severity: stringOr(exported.severity, 'medium'),
    inputs: definition === undefined ? [emptyInput()] : inputValuesOf(definition.inputs),
    parameters: definition === undefined ? [] : parameterValuesOf(definition.parameters),
    keyColumns: Array.isArray(exported.keyColumns) ? exported.keyColumns.join(', ') : '',
    sql: exported.sql,
    summarySql: stringOr(exported.summarySql, ''),
    schedule: stringOr(exported.schedule, ''),
    bindings: definition?.bindings,
  };
}

/** Convert a parameter default from its text to the JSON type of the parameter. */
function parseDefault(type: string, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  if (type === 'integer') return /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  if (type === 'boolean') {
    if (trimmed === 'true') return true;
    if (trimmed === 'false') return false;
    return trimmed;
  }
  return type === 'text' ? text : trimmed;
}

/** Build the definition that the form describes, before validation. */
export function toDefinition(values: DefinitionFormValues): Record<string, unknown> {
  const optional = (name: string, text: string) =>
    text.trim() === '' ? {} : { [name]: text.trim() };
  return {
    key: values.key.trim(),
    name: values.name,
    description: values.description,
    ...optional('controlReference', values.controlReference),
    severity: values.severity,
    inputs: values.inputs.map((input) => ({
      name: input.name.trim(),
      description: input.description,
      fields: input.fields.map((field) => ({ ...field, name: field.name.trim() })),
    })),
    parameters: values.parameters.map((parameter) => ({
      name: parameter.name.trim(),
      type: parameter.type,
      default: parseDefault(parameter.type, parameter.default),
      description: parameter.description,
    })),
    keyColumns: values.keyColumns
      .split(',')
      .map((column) => column.trim())
      .filter((column) => column !== ''),
    sql: values.sql,
    ...(values.summarySql.trim() === '' ? {} : { summarySql: values.summarySql }),
    ...(values.bindings === undefined ? {} : { bindings: values.bindings }),
    ...optional('schedule', values.schedule),
  };
}

/**
 * Return the form field that shows an issue at `path`. Key columns are one
 * text field and bindings have no field, so their issues go to that name.
 */
function formPathOf(path: readonly PropertyKey[]): string {
  if (path[0] === 'keyColumns') return 'keyColumns';
  if (path[0] === 'bindings') return 'bindings';
  return path.map(String).join('.');
}

/** A problem found in the definition, with the form field it belongs to. */
export interface DefinitionIssue {
  formPath: string;
  message: string;
}

/** Validate the form's definition and return its issues, or the definition when it is valid. */
export function checkDefinition(
  values: DefinitionFormValues,
):
  | { definition: TestDefinition; issues: [] }
  | { definition: undefined; issues: DefinitionIssue[] } {
  const parsed = definitionSchema.safeParse(toDefinition(values));
  if (parsed.success) return { definition: parsed.data, issues: [] };
  return {
    definition: undefined,
    issues: parsed.error.issues.map((issue) => {
      const message = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
      return { formPath: formPathOf(issue.path), message };
    }),
  };
}
