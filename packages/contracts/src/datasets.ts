import { z } from 'zod';
import { entityCodeSchema } from './entities.ts';
import { plainText } from './text.ts';

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
