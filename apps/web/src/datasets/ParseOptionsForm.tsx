import { NativeSelect, NumberInput, SimpleGrid, TagsInput, TextInput } from '@mantine/core';
import type { DatasetPreview } from './datasets-api.ts';
import {
  type DatasetFormat,
  formatAppliedOption,
  type ParseOptionsValues,
} from './parse-options-form.ts';

const DETECT = { value: '', label: 'Detect' };

const FORMAT_OPTIONS = [
  { value: '', label: 'Detect from the name and content' },
  { value: 'csv', label: 'CSV' },
  { value: 'tsv', label: 'TSV' },
  { value: 'parquet', label: 'Parquet' },
  { value: 'jsonl', label: 'JSON Lines' },
  { value: 'xlsx', label: 'XLSX' },
];

const QUOTE_OPTIONS = [
  DETECT,
  { value: '"', label: 'Double quote (")' },
  { value: "'", label: "Single quote (')" },
  { value: 'none', label: 'No quoting' },
];

const HEADER_OPTIONS = [
  DETECT,
  { value: 'yes', label: 'First row is the header' },
  { value: 'no', label: 'No header: first row is data' },
];

const ENCODING_OPTIONS = [
  { value: '', label: 'Detect (UTF-8, else Windows-1252)' },
  { value: 'utf-8', label: 'UTF-8' },
  { value: 'utf-16', label: 'UTF-16' },
  { value: 'latin-1', label: 'Latin-1' },
];

const DATE_ORDER_OPTIONS = [
  DETECT,
  { value: 'day-first', label: 'Day first (31/12/2024)' },
  { value: 'month-first', label: 'Month first (12/31/2024)' },
];

const DECIMAL_OPTIONS = [
  DETECT,
  { value: '.', label: 'Point (1234.56)' },
  { value: ',', label: 'Comma (1234,56)' },
];

const THOUSANDS_OPTIONS = [
  DETECT,
  { value: ',', label: 'Comma (1,234)' },
  { value: '.', label: 'Point (1.234)' },
  { value: ' ', label: 'Space (1 234)' },
  { value: "'", label: "Apostrophe (1'234)" },
  { value: 'none', label: 'None' },
];

const TEXT_FORMATS: ReadonlySet<DatasetFormat> = new Set(['csv', 'tsv', 'jsonl']);

/**
 * Edit the parse options of a dataset import. A field left on Detect or empty is
 * detected by the server, and its hint shows what the last preview applied.
 * `format` is the format to read, which decides the fields that apply.
 */
export function ParseOptionsForm({
  values,
  onChange,
  applied,
  format,
  disabled,
}: {
  values: ParseOptionsValues;
  onChange: (values: ParseOptionsValues) => void;
  applied: DatasetPreview['appliedOptions'] | undefined;
  format: DatasetFormat | undefined;
  disabled: boolean;
}) {
  const set = <K extends keyof ParseOptionsValues>(name: K, value: ParseOptionsValues[K]) =>
    onChange({ ...values, [name]: value });
  const detected = (name: string): string | undefined =>
    applied === undefined || !(name in applied)
      ? undefined
      : `Detected: ${formatAppliedOption(applied[name])}`;
  const delimited = format === undefined || format === 'csv' || format === 'tsv';
  const textual = format === undefined || TEXT_FORMATS.has(format);
  const tabular = delimited || format === 'xlsx';

  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md" verticalSpacing="sm">
      <NativeSelect
        label="Format"
        data={FORMAT_OPTIONS}
        value={values.format}
        disabled={disabled}
        onChange={(event) =>
          set('format', event.currentTarget.value as ParseOptionsValues['format'])
        }
      />
      {delimited && (
        <TextInput
          label="Delimiter"
          placeholder="Detect"
          description={detected('delimiter') ?? 'One character, such as ; or |'}
          maxLength={1}
          value={values.delimiter}
          disabled={disabled}
          onChange={(event) => set('delimiter', event.currentTarget.value)}
        />
      )}
      {delimited && (
        <NativeSelect
          label="Quote"
          description={detected('quote')}
          data={QUOTE_OPTIONS}
          value={values.quote}
          disabled={disabled}
          onChange={(event) =>
            set('quote', event.currentTarget.value as ParseOptionsValues['quote'])
          }
        />
      )}
      {delimited && (
        <TextInput
          label="Escape"
          placeholder="Detect"
          description={detected('escape') ?? 'The character before a quote inside a quoted value'}
          maxLength={1}
          value={values.escape}
          disabled={disabled}
          onChange={(event) => set('escape', event.currentTarget.value)}
        />
      )}
      {tabular && (
        <NativeSelect
          label="Header"
          description={detected('header')}
          data={HEADER_OPTIONS}
          value={values.header}
          disabled={disabled}
          onChange={(event) =>
            set('header', event.currentTarget.value as ParseOptionsValues['header'])
          }
        />
      )}
      {tabular && (
        <NumberInput
          label="Rows to skip"
          placeholder="Detect"
          description={detected('skipRows') ?? 'Lines before the header'}
          min={0}
          max={1_000_000}
          allowDecimal={false}
          allowNegative={false}
          value={values.skipRows}
          disabled={disabled}
          onChange={(value) => set('skipRows', typeof value === 'number' ? value : '')}
        />
      )}
      {textual && (
        <NativeSelect
          label="Encoding"
          description={detected('encoding')}
          data={ENCODING_OPTIONS}
          value={values.encoding}
          disabled={disabled}
          onChange={(event) =>
            set('encoding', event.currentTarget.value as ParseOptionsValues['encoding'])
          }
        />
      )}
      {(format === 'xlsx' || values.format === 'xlsx') && (
        <TextInput
          label="Sheet"
          placeholder="The first sheet"
          description={detected('sheet') ?? 'A worksheet name, or its position from 1'}
          maxLength={100}
          value={values.sheet}
          disabled={disabled}
          onChange={(event) => set('sheet', event.currentTarget.value)}
        />
      )}
      <NativeSelect
        label="Date order"
        description={
          detected('dayFirst') === undefined
            ? 'For dates such as 03/04/2024'
            : `Day first: ${formatAppliedOption(applied?.dayFirst)}`
        }
        data={DATE_ORDER_OPTIONS}
        value={values.dateOrder}
        disabled={disabled}
        onChange={(event) =>
          set('dateOrder', event.currentTarget.value as ParseOptionsValues['dateOrder'])
        }
      />
      <TextInput
        label="Date format"
        placeholder="%d/%m/%Y"
        description="A strptime format, which overrides the date order"
        maxLength={64}
        value={values.dateFormat}
        disabled={disabled}
        onChange={(event) => set('dateFormat', event.currentTarget.value)}
      />
      <NativeSelect
        label="Decimal separator"
        description={detected('decimalSeparator')}
        data={DECIMAL_OPTIONS}
        value={values.decimalSeparator}
        disabled={disabled}
        onChange={(event) =>
          set(
            'decimalSeparator',
            event.currentTarget.value as ParseOptionsValues['decimalSeparator'],
          )
        }
      />
      <NativeSelect
        label="Thousands separator"
        description={detected('thousandsSeparator')}
        data={THOUSANDS_OPTIONS}
        value={values.thousandsSeparator}
        disabled={disabled}
        onChange={(event) =>
          set(
            'thousandsSeparator',
            event.currentTarget.value as ParseOptionsValues['thousandsSeparator'],
          )
        }
      />
      <TagsInput
        label="Empty values"
        placeholder={values.nullValues.length === 0 ? 'The defaults' : 'Add a text'}
        description={detected('nullValues') ?? 'Texts read as an empty value. Enter adds each one.'}
        splitChars={[]}
        maxTags={50}
        value={values.nullValues}
        disabled={disabled}
        onChange={(value) => set('nullValues', value)}
      />
    </SimpleGrid>
  );
}
