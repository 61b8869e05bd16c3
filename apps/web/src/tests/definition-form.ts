import { type InputBindings, testDefinitionFileSchema } from '@peytonix/contracts';
import type { z } from 'zod';
import {
  type BindingValues,
  bindingOfValues,
  bindingValuesOf,
} from '../datasets/dataset-binding.ts';
import type { ExportedDefinition, TestTemplate } from './tests-api.ts';

export { FIELD_TYPES, PARAMETER_TYPES, SEVERITIES } from '@peytonix/contracts';

export type TestDefinition = z.infer<typeof testDefinitionFileSchema>;

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
  /** Input name → the dataset that input reads when a run names none. */
  bindings: Record<string, BindingValues>;
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
    bindings: {},
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
  const parsed = testDefinitionFileSchema.safeParse(
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
    bindings: bindingValuesOf(definition?.bindings ?? {}),
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

/** Return `{ bindings }` for the bound inputs, or nothing when no input is bound. */
function bindingsOf(values: Record<string, BindingValues>): { bindings?: InputBindings } {
  const bound = Object.entries(values).filter(([, binding]) => binding.dataset !== '');
  if (bound.length === 0) return {};
  return {
    bindings: Object.fromEntries(bound.map(([name, binding]) => [name, bindingOfValues(binding)])),
  };
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
    ...bindingsOf(values.bindings),
    ...optional('schedule', values.schedule),
  };
}

/**
 * Return the form field that shows an issue at `path`. Key columns are one
 * text field, so their issues go to that name.
 */
function formPathOf(path: readonly PropertyKey[]): string {
  if (path[0] === 'keyColumns') return 'keyColumns';
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
  const parsed = testDefinitionFileSchema.safeParse(toDefinition(values));
  if (parsed.success) return { definition: parsed.data, issues: [] };
  return {
    definition: undefined,
    issues: parsed.error.issues.map((issue) => {
      const message = issue.message.charAt(0).toUpperCase() + issue.message.slice(1);
      return { formPath: formPathOf(issue.path), message };
    }),
  };
}
