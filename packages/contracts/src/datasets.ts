import { z } from 'zod';
import { entityCodeSchema } from './entities.ts';
import { plainText, rejectForbiddenCharacters } from './text.ts';

/** A dataset's description: free text of several lines, possibly empty. */
export const datasetDescriptionSchema = z
  .string()
  .max(2000, { error: 'expected at most 2000 characters' })
  .superRefine(rejectForbiddenCharacters(true));

export const datasetFormatSchema = z.enum(['csv', 'tsv', 'parquet', 'jsonl', 'xlsx']);

export const datasetColumnSchema = z.object({
  name: z.string(),
  /** DuckDB type name, such as VARCHAR, BIGINT, DECIMAL(18,2), DATE. */
  type: z.string(),
  nullable: z.boolean(),
  /** The column's name in the source file, before trimming. */
  sourceName: z.string(),
});

export const datasetVersionSchema = z.object({
  datasetId: z.uuid(),
  datasetName: z.string(),
  entityCode: z.string(),
  versionId: z.uuid(),
  version: z.number().int(),
  sourceFileName: z.string(),
  sourceFormat: datasetFormatSchema,
  rowCount: z.number().int(),
  /** SHA-256 of the raw file, hex. */
  sha256: z.string(),
  rawSize: z.number().int(),
  /** SHA-256 of the normalized Parquet copy, hex. */
  parquetSha256: z.string(),
  parquetSize: z.number().int(),
  columns: z.array(datasetColumnSchema),
  parseOptions: z.record(z.string(), z.unknown()),
  /** What the import changed or assumed without failing, such as a column named by position. */
  warnings: z.array(z.string()),
  createdAt: z.iso.datetime(),
});

export const datasetSummarySchema = z.object({
  id: z.uuid(),
  entityId: z.uuid(),
  entityCode: z.string(),
  name: z.string(),
  description: z.string(),
  latestVersion: z.number().int(),
  createdAt: z.iso.datetime(),
});

export const datasetDetailSchema = datasetSummarySchema.extend({
  versions: z.array(datasetVersionSchema),
});

export const datasetListSchema = z.object({ items: z.array(datasetSummarySchema) });

export const datasetListQuerySchema = z.strictObject({
  /** Datasets of this entity and every entity below it. */
  entity: entityCodeSchema.optional(),
});

/**
 * A dataset name: plain text without "@", which the CLI reads as the start
 * of a version number (`--input payments=Payments@3`).
 */
export const datasetNameSchema = plainText(200).refine((value) => !value.includes('@'), {
  error: 'expected no "@", which separates a dataset name from its version',
});

export const datasetShowQuerySchema = z.strictObject({
  entity: entityCodeSchema,
  name: plainText(200),
});

const singleCharacter = z.string().regex(/^[\x20-\x7e]$/, {
  error: 'expected one printable ASCII character',
});

/** How to read an uploaded extract; each option is detected from the file when absent. */
export const parseOptionsSchema = z.strictObject({
  delimiter: singleCharacter.optional(),
  /** One character, or an empty string for no quoting. */
  quote: z.union([singleCharacter, z.literal('')]).optional(),
  escape: singleCharacter.optional(),
  header: z.boolean().optional(),
  skipRows: z.number().int().min(0).max(1_000_000).optional(),
  encoding: z.enum(['utf-8', 'utf-16', 'latin-1']).optional(),
  /** strptime format of non-ISO dates, such as %d/%m/%Y. */
  dateFormat: z.string().min(2).max(64).optional(),
  dayFirst: z.boolean().optional(),
  decimalSeparator: z.enum(['.', ',']).optional(),
  thousandsSeparator: z.enum([',', '.', ' ', "'", 'none']).nullable().optional(),
  currencySymbols: z.array(z.string().min(1).max(8)).max(20).optional(),
  accountingNegatives: z.boolean().optional(),
  /** Output type per column, keyed by the trimmed column name, such as DECIMAL(18,2). */
  columnTypes: z.record(z.string().min(1).max(200), z.string().min(1).max(64)).optional(),
  /** XLSX worksheet name, or its 1-based position. */
  sheet: z.union([z.string().min(1).max(100), z.number().int().min(1).max(1000)]).optional(),
  nullValues: z.array(z.string().max(64)).max(50).optional(),
});

/** Declare a file to import as a new version of a dataset, before the browser uploads it. */
export const declareDatasetUploadSchema = z.strictObject({
  entity: entityCodeSchema,
  datasetName: plainText(200),
  fileName: plainText(255),
  /** Exact size in bytes. */
  size: z
    .number()
    .int()
    .min(1, { error: 'the file is empty (0 bytes); choose a file with a header row and data' })
    .max(Number.MAX_SAFE_INTEGER),
  /** SHA-256 of the file as 64 hexadecimal digits. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hexadecimal digits' }),
});

export const datasetUploadSchema = z.object({
  uploadId: z.uuid(),
  /** The request the browser sends to storage: the URL, and every header it lists, unchanged. */
  upload: z.object({
    method: z.literal('PUT'),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
  }),
});

/** Read an uploaded file with these options, for a preview or the import. */
export const datasetUploadReadSchema = z.strictObject({
  format: datasetFormatSchema.optional(),
  options: parseOptionsSchema.optional(),
  /** The dataset's description, for an import that creates the dataset. */
  description: datasetDescriptionSchema.optional(),
});

export const datasetPreviewSchema = z.object({
  uploadId: z.uuid(),
  format: datasetFormatSchema,
  rowCount: z.number().int(),
  columns: z.array(datasetColumnSchema),
  /** The first rows, each value as text or null, in column order. */
  rows: z.array(z.array(z.string().nullable())),
  /** The options after detection; sending them back reproduces the same result. */
  appliedOptions: z.record(z.string(), z.unknown()),
  warnings: z.array(z.string()),
});
