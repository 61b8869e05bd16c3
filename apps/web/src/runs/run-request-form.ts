import { type InputBindings, runRequestSchema } from '@peytonix/contracts';
import {
  type BindingInput,
  type BindingValues,
  bindingOfValues,
  bindingValueOf,
  chosenVersion,
  emptyBinding,
  fieldColumnProblems,
} from '../datasets/dataset-binding.ts';
import type { DatasetDetail } from '../datasets/datasets-api.ts';
import type { RunRequest } from './runs-api.ts';

/**
 * One declared input of the test and the dataset it reads. An empty dataset
 * leaves the input to the test version's binding.
 */
export interface RunInputValues extends BindingValues {
  name: string;
}

export interface ParameterValues {
  name: string;
  value: string;
}

export interface RunFormValues {
  entity: string;
  test: string;
  inputs: RunInputValues[];
  parameters: ParameterValues[];
  preview: boolean;
}

/**
 * Build the body of POST /api/v1/runs from the form. Field mappings are
 * sent as "input.field", which names the input even when two inputs share
 * a field name. Inputs without a dataset are left out, so the test
 * version's binding applies to them, and so are fields without a column,
 * which read the column of their own name. Parameter rows left entirely
 * empty are skipped.
 */
export function toRunRequest(values: RunFormValues): RunRequest {
  const inputs: RunRequest['inputs'] = {};
  const fieldMap: Record<string, string> = {};
  for (const input of values.inputs) {
    if (input.dataset === '') continue;
    const binding = bindingOfValues(input);
    inputs[input.name] = {
      dataset: binding.dataset,
      ...(binding.version === undefined ? {} : { version: binding.version }),
    };
    for (const [field, column] of Object.entries(binding.fields ?? {})) {
      fieldMap[`${input.name}.${field}`] = column;
    }
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

/**
 * Return the form's inputs for the declared `inputs` of a test: each with
 * the version's binding where it has one, or else with `dataset` for the
 * first input, as a link from a dataset's page sets it.
 */
export function initialRunInputs(
  inputs: readonly BindingInput[],
  bindings: InputBindings,
  dataset: string,
): RunInputValues[] {
  return inputs.map((input, index) => {
    const bound = bindings[input.name];
    if (bound !== undefined) return { name: input.name, ...bindingValueOf(bound) };
    return { name: input.name, ...emptyBinding(), dataset: index === 0 ? dataset : '' };
  });
}

/**
 * Return the form errors of the inputs, keyed by form path: an input
 * without a dataset, and per field a column that the chosen dataset
 * version lacks. `detailOf` returns a loaded dataset, and a dataset that
 * has not loaded yet is left for the server to check.
 */
export function runInputErrors(
  inputs: readonly RunInputValues[],
  declared: readonly BindingInput[],
  detailOf: (dataset: string) => DatasetDetail | undefined,
): Record<string, string> {
  const errors: Record<string, string> = {};
  inputs.forEach((input, index) => {
    const declaredInput = declared.find((candidate) => candidate.name === input.name);
    if (declaredInput === undefined) return;
    if (input.dataset === '') {
      errors[`inputs.${index}.dataset`] = `Choose a dataset for input ${input.name}.`;
      return;
    }

    const version = chosenVersion(detailOf(input.dataset), input.version);
    if (version === undefined) return;
    const columns = version.columns.map((column) => column.name);
    const label = `Version ${version.version} of ${input.dataset}`;
    const problems = fieldColumnProblems(declaredInput, input.fields, columns, label);
    for (const [field, problem] of Object.entries(problems)) {
      errors[`inputs.${index}.fields.${field}`] = problem;
    }
  });
  return errors;
}
