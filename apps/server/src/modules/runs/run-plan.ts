import type { DatasetColumn } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SandboxParameter } from './engine/sandbox-parameters.ts';

/** A declared input of a test version, as stored in test_versions.inputs. */
export interface DeclaredInput {
  name: string;
  description?: string;
  fields: { name: string; type: string; required: boolean; description?: string }[];
}

/** A declared parameter of a test version, as stored in test_versions.parameters. */
export interface DeclaredParameter {
  name: string;
  type: SandboxParameter['type'];
  default: string | number | boolean | null;
  description?: string;
}

/** An input bound to one dataset version, as stored on the run. */
export interface BoundInput {
  name: string;
  datasetId: string;
  datasetName: string;
  datasetVersionId: string;
  version: number;
  rawSha256: string;
  parquetSha256: string;
  parquetObjectKey: string;
  rowCount: number;
  /** Field name → dataset column, or null for an optional field the dataset lacks. */
  fields: Record<string, string | null>;
}

function invalid(detail: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail });
}

const INTEGER_COLUMN = /^U?(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$|^DECIMAL\(\d+,0\)$/;
const NUMERIC_COLUMN =
  /^U?(?:TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$|^DECIMAL\(\d+,\d+\)$|^(?:FLOAT|DOUBLE)$/;
const DATE_COLUMN = /^(?:DATE|TIMESTAMP(?:_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$/;

/** Column types a field of each declared type can read; a text field reads any column. */
const FITTING_COLUMNS: Readonly<Record<string, { pattern: RegExp; kind: string }>> = {
  integer: { pattern: INTEGER_COLUMN, kind: 'an integer column' },
  decimal: { pattern: NUMERIC_COLUMN, kind: 'a numeric column' },
  date: { pattern: DATE_COLUMN, kind: 'a date or timestamp column' },
  boolean: { pattern: /^BOOLEAN$/, kind: 'a boolean column' },
};

/**
 * Reject a column whose type the field cannot read, so that a wrong
 * mapping fails the request with the field and column named instead of
 * failing the run inside DuckDB.
 */
function checkColumnFits(
  input: DeclaredInput,
  field: DeclaredInput['fields'][number],
  column: DatasetColumn,
): void {
  const fitting = FITTING_COLUMNS[field.type];
  if (fitting === undefined || fitting.pattern.test(column.type)) return;
  throw invalid(
    `Field ${field.name} of input ${input.name} is ${field.type}, but column ${JSON.stringify(column.name)} is ${column.type}. Map the field to ${fitting.kind} (fieldMap ${input.name}.${field.name}, or --map ${input.name}.${field.name}=COLUMN in the CLI), or import the dataset again with parse options that type the column.`,
  );
}

/**
 * Map each declared field to a dataset column: an explicit mapping first,
 * then a column of the same name (ignoring case), then NULL for an optional
 * field. A required field without a column is an error that lists the
 * dataset's columns, and so is a column whose type the field cannot read.
 */
export function mapFields(
  input: DeclaredInput,
  columns: readonly DatasetColumn[],
  explicit: Readonly<Record<string, string>>,
): Record<string, string | null> {
  const byLowerName = new Map(columns.map((column) => [column.name.toLowerCase(), column]));
  const declared = new Set(input.fields.map((field) => field.name));
  for (const field of Object.keys(explicit)) {
    if (!declared.has(field)) {
      throw invalid(
        `Input ${input.name} has no field ${JSON.stringify(field)}. Its fields are ${[...declared].join(', ')}.`,
      );
    }
  }

  const mapping: Record<string, string | null> = {};
  for (const field of input.fields) {
    const requested = explicit[field.name];
    if (requested !== undefined) {
      const column = byLowerName.get(requested.toLowerCase());
      if (column === undefined) {
        throw invalid(
          `--map ${field.name}=${requested}: the dataset bound to input ${input.name} has no column ${JSON.stringify(requested)}. Its columns are ${columns.map((item) => item.name).join(', ')}.`,
        );
      }
      checkColumnFits(input, field, column);
      mapping[field.name] = column.name;
      continue;
    }
    const sameName = byLowerName.get(field.name.toLowerCase());
    if (sameName !== undefined) {
      checkColumnFits(input, field, sameName);
      mapping[field.name] = sameName.name;
    } else if (!field.required) {
      mapping[field.name] = null;
    } else {
      throw invalid(
        `Input ${input.name} needs field ${field.name} (${field.type}), and the dataset has no column of that name. Map one in fieldMap as ${input.name}.${field.name} (--map ${input.name}.${field.name}=COLUMN in the CLI); its columns are ${columns.map((item) => item.name).join(', ')}.`,
      );
    }
  }
  return mapping;
}

const INTEGER_TEXT = /^[+-]?\d{1,19}$/;
const DECIMAL_TEXT = /^[+-]?\d+(?:\.\d+)?$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;

function convertParameter(
  declared: DeclaredParameter,
  value: string | number | boolean,
): SandboxParameter {
  const text = String(value);
  const fail = (expected: string) =>
    invalid(`Parameter ${declared.name} is ${JSON.stringify(text)}; expected ${expected}.`);
  switch (declared.type) {
    case 'integer':
      if (!INTEGER_TEXT.test(text)) throw fail('a whole number');
      return { name: declared.name, type: 'integer', value: text };
    case 'decimal':
      if (!DECIMAL_TEXT.test(text)) throw fail('a decimal number such as 1000.00');
      return { name: declared.name, type: 'decimal', value: text };
    case 'date':
      if (!DATE_TEXT.test(text)) throw fail('a date as YYYY-MM-DD');
      return { name: declared.name, type: 'date', value: text };
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw fail('true or false');
      return { name: declared.name, type: 'boolean', value: text === 'true' };
    default:
      return { name: declared.name, type: 'text', value: text };
  }
}

/** Combine defaults and given values into bound parameters; unknown names and missing values are errors. */
export function resolveParameters(
  declared: readonly DeclaredParameter[],
  given: Readonly<Record<string, string>>,
): SandboxParameter[] {
  const names = new Set(declared.map((parameter) => parameter.name));
  for (const name of Object.keys(given)) {
    if (!names.has(name)) {
      throw invalid(
        `The test has no parameter ${JSON.stringify(name)}. Its parameters are ${[...names].join(', ') || 'none'}.`,
      );
    }
  }
  return declared.map((parameter) => {
    const value = given[parameter.name] ?? parameter.default;
    if (value === null || value === undefined) {
      throw invalid(
        `Parameter ${parameter.name} has no default; pass --param ${parameter.name}=VALUE.`,
      );
    }
    return convertParameter(parameter, value);
  });
}
