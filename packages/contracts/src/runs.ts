import { z } from 'zod';
import { entityCodeSchema } from './entities.ts';
import { plainText, rejectForbiddenCharacters } from './text.ts';

/** Text without control characters; PostgreSQL cannot store NUL at all. */
const cleanText = (min: number, max: number) =>
  z.string().min(min).max(max).superRefine(rejectForbiddenCharacters(false));

const name = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, { error: 'expected a lowercase identifier such as payments' });

export const runRequestSchema = z.strictObject({
  entity: entityCodeSchema,
  /** A test key in the entity, or a library template key. */
  test: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a test or template key' }),
  inputs: z.record(
    name,
    z.strictObject({
      dataset: plainText(200),
      // PostgreSQL integer: a larger number could never name a version.
      version: z.number().int().min(1).max(2_147_483_647).optional(),
    }),
  ),
  /** "field" or "input.field" → dataset column. */
  fieldMap: z.record(cleanText(1, 130), cleanText(1, 200)).default({}),
  parameters: z.record(name, cleanText(0, 1000)).default({}),
  preview: z.boolean().default(false),
});

export const queuedRunSchema = z.object({ runId: z.uuid() });

export const runInputSchema = z.object({
  name: z.string(),
  datasetId: z.uuid(),
  datasetName: z.string(),
  datasetVersionId: z.uuid(),
  version: z.number().int(),
  rawSha256: z.string(),
  parquetSha256: z.string(),
  rowCount: z.number().int(),
  fields: z.record(z.string(), z.string().nullable()),
});

/**
 * A parameter value that a run bound. The server stores every value as text
 * except booleans. Numbers are accepted too, because the sandbox's parameter
 * type allows them.
 */
export const boundParameterSchema = z.object({
  name: z.string(),
  type: z.enum(['integer', 'decimal', 'text', 'date', 'boolean']),
  value: z.union([z.string(), z.number(), z.boolean()]),
});

export const boundParametersSchema = z.array(boundParameterSchema);

export const runDetailSchema = z.object({
  runId: z.uuid(),
  testId: z.uuid(),
  testKey: z.string(),
  entityCode: z.string(),
  testVersion: z.number().int(),
  runNumber: z.number().int().nullable(),
  preview: z.boolean(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled']),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  sql: z.string(),
  summarySql: z.string().nullable(),
  parameters: boundParametersSchema,
  inputs: z.array(runInputSchema),
  keyColumns: z.array(z.string()),
  duckdbVersion: z.string().nullable(),
  inputRowCounts: z.unknown(),
  exceptionCount: z.number().int().nullable(),
  resultHash: z.string().nullable(),
  summary: z.unknown(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  reperformsRunId: z.uuid().nullable(),
  /** Email of the user who cancelled the run, when someone did. */
  cancelledBy: z.string().nullable(),
});

export const runRowsSchema = z.object({
  preview: z.boolean(),
  rows: z.array(
    z.object({
      occurrence: z.enum(['new', 'recurring', 'reopened']).nullable(),
      exceptionId: z.uuid().nullable(),
      payload: z.unknown(),
    }),
  ),
});

/** An input a test reads: its fields, each with a type and whether a run must map it. */
const testInputSchema = z.object({
  name: z.string(),
  description: z.string(),
  fields: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      description: z.string(),
      required: z.boolean(),
    }),
  ),
});

/** A parameter a test takes, with its type and default (null when a run must set it). */
const testParameterSchema = z.object({
  name: z.string(),
  type: z.string(),
  description: z.string(),
  default: z.union([z.string(), z.number(), z.boolean()]).nullable(),
});

export const testListQuerySchema = z.strictObject({
  /** Tests of this entity and every entity below it; the library templates are always listed. */
  entity: entityCodeSchema.optional(),
});

export const testListingSchema = z.object({
  tests: z.array(
    z.object({
      id: z.uuid(),
      key: z.string(),
      entityCode: z.string(),
      templateKey: z.string().nullable(),
      activeVersion: z.number().int().nullable(),
      name: z.string().nullable(),
      severity: z.string().nullable(),
      runs: z.number().int(),
      /** Inputs and parameters of the active version; null when none is active. */
      inputs: z.array(testInputSchema).nullable(),
      parameters: z.array(testParameterSchema).nullable(),
    }),
  ),
  templates: z.array(
    z.object({
      key: z.string(),
      version: z.number().int(),
      name: z.string(),
      category: z.string(),
      severity: z.string(),
      inputs: z.array(testInputSchema),
      parameters: z.array(testParameterSchema),
    }),
  ),
});

export const runIdParamsSchema = z.strictObject({
  id: z.uuid({ error: 'expected a UUID' }).transform((id) => id.toLowerCase()),
});

const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
] as const;

/** Filters of the run history; every one is optional. */
export const runHistoryQuerySchema = z.strictObject({
  /** Runs of tests in this entity and every entity below it. */
  entity: z.string().min(1).max(64).optional(),
  /** A test's key. */
  test: z.string().min(1).max(100).optional(),
  /** One status, or several separated by commas. */
  status: z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()))
    .pipe(z.array(z.enum(RUN_STATUSES)))
    .optional(),
  /** true for previews and re-performances only, false for real runs only. */
  preview: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  /** The `next` value of the previous page. */
  after: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const runHistorySchema = z.object({
  items: z.array(
    z.object({
      runId: z.uuid(),
      testKey: z.string(),
      entityCode: z.string(),
      runNumber: z.number().int().nullable(),
      preview: z.boolean(),
      status: z.enum(RUN_STATUSES),
      requestedBy: z.string(),
      requestedVia: z.string(),
      requestedAt: z.iso.datetime(),
      finishedAt: z.iso.datetime().nullable(),
      exceptionCount: z.number().int().nullable(),
      resultHash: z.string().nullable(),
      reperformsRunId: z.uuid().nullable(),
    }),
  ),
  /** Pass as `after` for the next page; null on the last page. */
  next: z.string().nullable(),
});
