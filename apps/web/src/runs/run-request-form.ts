import { runRequestSchema } from '@peytonix/contracts';
import type { RunRequest } from './runs-api.ts';

/** One input of the test bound to a dataset. An empty version means the latest. */
export interface InputBindingValues {
  name: string;
  dataset: string;
  version: string;
}

/** One field of an input read from a dataset column of another name. */
export interface FieldMappingValues {
  input: string;
  field: string;
  column: string;
}

export interface ParameterValues {
  name: string;
  value: string;
}

export interface RunFormValues {
  entity: string;
  test: string;
  inputs: InputBindingValues[];
  fieldMap: FieldMappingValues[];
  parameters: ParameterValues[];
  preview: boolean;
}

/**
 * Build the body of POST /api/v1/runs from the form. Field mappings are
 * sent as "input.field", which names the input even when two inputs share
 * a field name. Rows left entirely empty are skipped.
 */
export function toRunRequest(values: RunFormValues): RunRequest {
  const inputs: RunRequest['inputs'] = {};
  for (const input of values.inputs) {
    if (input.name.trim() === '' && input.dataset === '') continue;
    inputs[input.name.trim()] = {
      dataset: input.dataset,
      ...(input.version === '' ? {} : { version: Number(input.version) }),
    };
  }
  const fieldMap: Record<string, string> = {};
  for (const mapping of values.fieldMap) {
    if (mapping.field.trim() === '' && mapping.column === '') continue;
    fieldMap[`${mapping.input}.${mapping.field.trim()}`] = mapping.column;
  }
  const parameters: Record<string, string> = {};
  for (const parameter of values.parameters) {
    if (parameter.name.trim() === '' && parameter.value === '') continue;
    parameters[parameter.name.trim()] = parameter.value;
  }
  return {
    entity: values.entity,
    test: values.test,
    inputs,
    fieldMap,
    parameters,
    preview: values.preview,
  };
}

/**
 * Check a request against the API's schema before sending it, and return
 * one message per issue that names the part of the form, or [] when valid.
 */
export function describeRequestIssues(request: RunRequest): string[] {
  const parsed = runRequestSchema.safeParse(request);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const [part, name] = issue.path;
    const where =
      part === 'inputs'
        ? `Input ${JSON.stringify(name)}`
        : part === 'fieldMap'
          ? `Field mapping ${JSON.stringify(name)}`
          : part === 'parameters'
            ? `Parameter ${JSON.stringify(name)}`
            : part === 'entity'
              ? 'Entity'
              : part === 'test'
                ? 'Test'
                : 'The request';
    return `${where}: ${issue.message}.`;
  });
}
