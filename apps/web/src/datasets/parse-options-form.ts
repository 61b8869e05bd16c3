import { datasetUploadReadSchema } from '@peytonix/contracts';
import type { DatasetPreview, DatasetUploadRead, ParseOptions } from './datasets-api.ts';

export type DatasetFormat = DatasetPreview['format'];

/**
 * The parse options form. An empty string means "detect from the file",
 * so the request leaves that option out and the server detects it.
 */
export interface ParseOptionsValues {
  format: '' | DatasetFormat;
  delimiter: string;
  /** "none" sends an empty quote, which turns quoting off. */
  quote: '' | '"' | "'" | 'none';
  escape: string;
  header: '' | 'yes' | 'no';
  skipRows: number | '';
  encoding: '' | 'utf-8' | 'utf-16' | 'latin-1';
  dateOrder: '' | 'day-first' | 'month-first';
  dateFormat: string;
  decimalSeparator: '' | '.' | ',';
  /** "none" means the numbers have no thousands separator. */
  thousandsSeparator: '' | ',' | '.' | ' ' | "'" | 'none';
  /** Texts read as empty values. Empty means the server's defaults. */
  nullValues: string[];
  sheet: string;
  /** Forced output type by column name; columns left out keep their inferred type. */
  columnTypes: Record<string, string>;
}

export const DETECTED_OPTIONS: ParseOptionsValues = {
  format: '',
  delimiter: '',
  quote: '',
  escape: '',
  header: '',
  skipRows: '',
  encoding: '',
  dateOrder: '',
  dateFormat: '',
  decimalSeparator: '',
  thousandsSeparator: '',
  nullValues: [],
  sheet: '',
  columnTypes: {},
};

function forcedColumnTypes(columnTypes: Record<string, string>): Record<string, string> {
  const forced: Record<string, string> = {};
  for (const [column, type] of Object.entries(columnTypes)) {
    const trimmed = type.trim();
    if (trimmed !== '') forced[column] = trimmed;
  }
  return forced;
}

/** Build the parse options of a preview or import request from the form, leaving out what the server should detect. */
export function toParseOptions(values: ParseOptionsValues): ParseOptions {
  const options: ParseOptions = {};
  if (values.delimiter !== '') options.delimiter = values.delimiter;
  if (values.quote !== '') options.quote = values.quote === 'none' ? '' : values.quote;
  if (values.escape !== '') options.escape = values.escape;
  if (values.header !== '') options.header = values.header === 'yes';
  if (values.skipRows !== '') options.skipRows = values.skipRows;
  if (values.encoding !== '') options.encoding = values.encoding;
  if (values.dateOrder !== '') options.dayFirst = values.dateOrder === 'day-first';
  if (values.dateFormat.trim() !== '') options.dateFormat = values.dateFormat.trim();
  if (values.decimalSeparator !== '') options.decimalSeparator = values.decimalSeparator;
  if (values.thousandsSeparator !== '') options.thousandsSeparator = values.thousandsSeparator;
  if (values.nullValues.length > 0) options.nullValues = values.nullValues;
  const sheet = values.sheet.trim();
  // A sheet is named, or numbered from 1 by its position in the workbook.
  if (sheet !== '') options.sheet = /^[1-9]\d{0,3}$/.test(sheet) ? Number(sheet) : sheet;
  const columnTypes = forcedColumnTypes(values.columnTypes);
  if (Object.keys(columnTypes).length > 0) options.columnTypes = columnTypes;
  return options;
}

/** Build the body of a preview or import request from the form and the description of a new dataset. */
export function toUploadRead(values: ParseOptionsValues, description: string): DatasetUploadRead {
  const options = toParseOptions(values);
  return {
    ...(values.format === '' ? {} : { format: values.format }),
    ...(Object.keys(options).length === 0 ? {} : { options }),
    ...(description.trim() === '' ? {} : { description: description.trim() }),
  };
}

const OPTION_LABELS: Readonly<Record<string, string>> = {
  format: 'Format',
  delimiter: 'Delimiter',
  quote: 'Quote',
  escape: 'Escape',
  skipRows: 'Rows to skip',
  dateFormat: 'Date format',
  nullValues: 'Empty values',
  sheet: 'Sheet',
  columnTypes: 'Column type',
  description: 'Description',
};

/**
 * Check a request body against the API's schema before sending it, and
 * return one message per issue that names the form field, or [] when valid.
 */
export function describeReadIssues(read: DatasetUploadRead): string[] {
  const parsed = datasetUploadReadSchema.safeParse(read);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => {
    const [part, option, column] = issue.path;
    const name = part === 'options' ? String(option) : String(part);
    const label = OPTION_LABELS[name] ?? name;
    const where =
      name === 'columnTypes' && column !== undefined ? `${label} of ${String(column)}` : label;
    return `${where}: ${issue.message}.`;
  });
}

/** Format an option value that the server applied, for a "Detected: …" hint. */
export function formatAppliedOption(value: unknown): string {
  if (value === null) return 'none';
  if (value === '') return 'none';
  if (value === ' ') return 'space';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((item) => JSON.stringify(item)).join(', ');
  return String(value);
}
