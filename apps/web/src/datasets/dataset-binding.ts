import type { InputBinding, InputBindings } from '@peytonix/contracts';
import type { DatasetDetail } from './datasets-api.ts';

/** A field of a test input, as the editor and the run form show it. */
export interface BindingField {
  name: string;
  type: string;
  required: boolean;
}

/** A test input whose fields a binding maps to dataset columns. */
export interface BindingInput {
  name: string;
  fields: readonly BindingField[];
}

/** One input's dataset as a form stores it: every value as text. */
export interface BindingValues {
  /** Dataset name; empty when no dataset is chosen. */
  dataset: string;
  /** Version number; empty for the latest version when the run is requested. */
  version: string;
  /** Field name → dataset column. Empty or absent reads the column of the field's name. */
  fields: Record<string, string>;
}

export const LATEST_VERSION = '';

export function emptyBinding(): BindingValues {
  return { dataset: '', version: LATEST_VERSION, fields: {} };
}

/** Convert a stored binding to form values. */
export function bindingValueOf(binding: InputBinding): BindingValues {
  return {
    dataset: binding.dataset,
    version: binding.version === undefined ? LATEST_VERSION : String(binding.version),
    fields: { ...binding.fields },
  };
}

/** Convert every stored binding to form values. */
export function bindingValuesOf(bindings: InputBindings): Record<string, BindingValues> {
  return Object.fromEntries(
    Object.entries(bindings).map(([name, binding]) => [name, bindingValueOf(binding)]),
  );
}

/**
 * Convert form values to a binding as the definition file stores it. The
 * version is a select of whole numbers, so Number() cannot produce NaN from
 * it, and fields mapped to no column are left out.
 */
export function bindingOfValues(values: BindingValues): InputBinding {
  const fields = Object.entries(values.fields).filter(([, column]) => column !== '');
  return {
    dataset: values.dataset,
    ...(values.version === LATEST_VERSION ? {} : { version: Number(values.version) }),
    ...(fields.length === 0 ? {} : { fields: Object.fromEntries(fields) }),
  };
}

/**
 * Return the version of `detail` that `version` names: the newest one for
 * LATEST_VERSION. Undefined while the dataset loads or when the version is
 * gone.
 */
export function chosenVersion(detail: DatasetDetail | undefined, version: string) {
  if (detail === undefined) return undefined;
  if (version === LATEST_VERSION) return detail.versions[0];
  return detail.versions.find((candidate) => String(candidate.version) === version);
}

/** Find the column that a field reads when nothing maps it: the same name, ignoring case, as the server matches it. */
export function sameNameColumn(field: string, columns: readonly string[]): string | undefined {
  return columns.find((column) => column.toLowerCase() === field.toLowerCase());
}

/**
 * Map every field of `input` that has no column yet to the column of the
 * same name, where `columns` has one, and keep the other mappings.
 */
export function prefillFields(
  input: BindingInput,
  fields: Record<string, string>,
  columns: readonly string[],
): Record<string, string> {
  const filled = { ...fields };
  for (const field of input.fields) {
    if ((filled[field.name] ?? '') !== '') continue;
    const column = sameNameColumn(field.name, columns);
    if (column !== undefined) filled[field.name] = column;
  }
  return filled;
}

/**
 * Return, per field of `input`, why a run would fail to read it from a
 * dataset version with `columns`. Either the mapped column is missing from
 * the version, or a required field has no column and no column of its name.
 */
export function fieldColumnProblems(
  input: BindingInput,
  fields: Record<string, string>,
  columns: readonly string[],
  versionLabel: string,
): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of input.fields) {
    const mapped = fields[field.name] ?? '';
    if (mapped !== '' && sameNameColumn(mapped, columns) === undefined) {
      problems[field.name] =
        `${versionLabel} has no column "${mapped}". Choose one of its columns.`;
    } else if (
      mapped === '' &&
      field.required &&
      sameNameColumn(field.name, columns) === undefined
    ) {
      problems[field.name] =
        `Required field ${field.name} has no column: ${versionLabel} has no column of that name. Choose the column it reads.`;
    }
  }
  return problems;
}
