import { Option } from 'commander';
import type { ParseOptions } from '../../../modules/datasets/import/import-dataset.ts';
import { AppError } from '../../../platform/http/app-error.ts';

/** The command-line form of the import parse options; every flag is optional. */
export interface ParseOptionFlags {
  format?: string;
  delimiter?: string;
  quote?: string;
  escape?: string;
  header?: boolean;
  skipRows?: string;
  encoding?: string;
  dateFormat?: string;
  dayFirst?: boolean;
  monthFirst?: boolean;
  decimalSeparator?: string;
  thousandsSeparator?: string;
  currency?: string[];
  accountingNegatives?: boolean;
  columnType?: string[];
  sheet?: string;
  nullValue?: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function parseOptionFlags(): Option[] {
  return [
    new Option(
      '--format <format>',
      'file format; detected from the name and content when absent',
    ).choices(['csv', 'tsv', 'parquet', 'jsonl', 'xlsx']),
    new Option('--delimiter <char>', 'field delimiter, such as , ; | or \\t'),
    new Option('--quote <char>', 'quote character (default ")'),
    new Option('--escape <char>', 'escape character inside quoted fields'),
    new Option('--no-header', 'the first row is data, not column names'),
    new Option('--skip-rows <n>', 'lines to skip before the header'),
    new Option('--encoding <name>', 'text encoding').choices(['utf-8', 'utf-16', 'latin-1']),
    new Option('--date-format <format>', 'date format in strptime notation, such as %d/%m/%Y'),
    new Option('--day-first', 'read ambiguous dates such as 03/04/2024 as day first'),
    new Option('--month-first', 'read ambiguous dates such as 03/04/2024 as month first'),
    new Option('--decimal-separator <char>', 'decimal separator').choices(['.', ',']),
    new Option('--thousands-separator <char>', "thousands separator: , . ' or a space, or none"),
    new Option(
      '--currency <symbol>',
      'currency symbol or code to strip from amounts; repeatable',
    ).argParser(collect),
    new Option('--no-accounting-negatives', 'do not read (1,234.56) as a negative amount'),
    new Option(
      '--column-type <name=type>',
      'force a column type, such as amount=DECIMAL(18,2); repeatable',
    ).argParser(collect),
    new Option('--sheet <name>', 'XLSX sheet name or 1-based index'),
    new Option(
      '--null-value <text>',
      'text that means an empty value, such as N/A; repeatable',
    ).argParser(collect),
  ];
}

function invalid(flag: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail: `Invalid ${flag}: ${problem}.` });
}

/** Turn the flags into parse options, leaving out what the user did not set. */
export function toParseOptions(flags: ParseOptionFlags): ParseOptions {
  if (flags.dayFirst === true && flags.monthFirst === true) {
    throw invalid('--day-first/--month-first', 'pass one of them, not both');
  }
  const options: ParseOptions = {};
  if (flags.delimiter !== undefined)
    options.delimiter = flags.delimiter === '\\t' ? '\t' : flags.delimiter;
  if (flags.quote !== undefined) options.quote = flags.quote;
  if (flags.escape !== undefined) options.escape = flags.escape;
  if (flags.header === false) options.header = false;
  if (flags.skipRows !== undefined) {
    if (!/^\d{1,6}$/.test(flags.skipRows)) throw invalid('--skip-rows', 'expected a whole number');
    options.skipRows = Number(flags.skipRows);
  }
  if (flags.encoding !== undefined)
    options.encoding = flags.encoding as NonNullable<ParseOptions['encoding']>;
  if (flags.dateFormat !== undefined) options.dateFormat = flags.dateFormat;
  if (flags.dayFirst === true) options.dayFirst = true;
  if (flags.monthFirst === true) options.dayFirst = false;
  if (flags.decimalSeparator !== undefined) {
    options.decimalSeparator = flags.decimalSeparator as NonNullable<
      ParseOptions['decimalSeparator']
    >;
  }
  if (flags.thousandsSeparator !== undefined) {
    options.thousandsSeparator = (
      flags.thousandsSeparator === 'none' ? null : flags.thousandsSeparator
    ) as ParseOptions['thousandsSeparator'];
  }
  if (flags.currency !== undefined) options.currencySymbols = flags.currency;
  if (flags.accountingNegatives === false) options.accountingNegatives = false;
  if (flags.columnType !== undefined) {
    const columnTypes: Record<string, string> = {};
    for (const entry of flags.columnType) {
      const separator = entry.indexOf('=');
      if (separator < 1)
        throw invalid('--column-type', `expected NAME=TYPE, got ${JSON.stringify(entry)}`);
      columnTypes[entry.slice(0, separator)] = entry.slice(separator + 1);
    }
    options.columnTypes = columnTypes;
  }
  if (flags.sheet !== undefined) options.sheet = flags.sheet;
  if (flags.nullValue !== undefined) options.nullValues = flags.nullValue;
  return options;
}
