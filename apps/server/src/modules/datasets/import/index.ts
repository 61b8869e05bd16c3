export {
  DEFAULT_CURRENCY_SYMBOLS,
  DEFAULT_NULL_VALUES,
  defaultImportLimits,
  importDataset,
} from './import-dataset.ts';
export { ImportError, type ImportErrorCode, type ImportErrorDetails } from './import-error.ts';
export type {
  ColumnType,
  DecimalSeparator,
  ImportedColumn,
  ImportFormat,
  ImportLimits,
  ImportRequest,
  ImportResult,
  ParseOptions,
  TextEncoding,
  ThousandsSeparator,
} from './types.ts';
