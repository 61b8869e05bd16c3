import { entityCodeSchema, testKeySchema } from '@peytonix/contracts';
import { z } from 'zod';
import type { Severity } from '../../../platform/db/schema.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies Severity[];

/** Default and maximum number of runs that the trend returns. */
export const TREND_RUNS_DEFAULT = 10;
export const TREND_RUNS_MAX = 100;

const runCountMessage = (issue: { input: unknown }) =>
  `expected a whole number of runs from 1 to ${TREND_RUNS_MAX}, not ${JSON.stringify(issue.input)}`;

/** Query strings arrive as text, so the count is checked as digits before it becomes a number. */
export const trendRunCountSchema = z
  .string()
  .regex(/^[0-9]{1,9}$/, { error: runCountMessage })
  .transform(Number)
  .pipe(
    z.number().min(1, { error: runCountMessage }).max(TREND_RUNS_MAX, { error: runCountMessage }),
  );

const unknownParameter =
  (accepted: string) =>
  (issue: { code?: string; keys?: string[] }): string | undefined =>
    issue.code === 'unrecognized_keys'
      ? `unknown query parameter ${issue.keys?.join(', ')}. This route accepts ${accepted}`
      : undefined;

/**
 * A required query parameter checked by `schema`. The shared schemas'
 * messages state the expected form only, so these messages also quote the
 * value that was sent, or state that it is missing or repeated.
 */
function quotingValue(schema: z.ZodType<string>, what: string, example: string) {
  return z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? `missing. Pass ${what} such as ${example}`
          : `expected ${what} once, not ${JSON.stringify(issue.input)}`,
    })
    .superRefine((value, context) => {
      const parsed = schema.safeParse(value);
      if (parsed.success) return;

      context.addIssue({
        code: 'custom',
        message: `${JSON.stringify(value)} is not ${what}: ${parsed.error.issues[0]?.message ?? 'invalid value'}`,
      });
    });
}

const entityParameter = quotingValue(entityCodeSchema, 'an entity code', 'entity=AP');

export const entitySummaryQuerySchema = z.strictObject(
  { entity: entityParameter.describe('Code of the entity. Its whole subtree counts.') },
  { error: unknownParameter('entity') },
);

export const trendQuerySchema = z.strictObject(
  {
    entity: entityParameter.describe('Code of the entity that owns the test.'),
    test: quotingValue(testKeySchema, 'a test key', 'test=large-payments').describe(
      'Key of the test in that entity.',
    ),
    runs: trendRunCountSchema
      .optional()
      .describe(
        `Number of the latest runs, 1 to ${TREND_RUNS_MAX}, or ${TREND_RUNS_DEFAULT} when absent.`,
      ),
  },
  { error: unknownParameter('entity, test and runs') },
);

const count = z.number().int().nonnegative();
const bySeveritySchema = z.object({ low: count, medium: count, high: count, critical: count });
const byStatusSchema = z.object({
  open: count,
  in_progress: count,
  proposed: count,
  closed: count,
});

const summaryEntitySchema = z.object({ id: z.uuid(), code: z.string(), name: z.string() });

/** Counts of one group: every exception, those not closed, and those overdue. */
const groupCounts = { total: count, notClosed: count, overdue: count };

export const exceptionCountsSchema = z.object({
  entity: summaryEntitySchema,
  /** The database's current date, which decides what is overdue. */
  today: z.iso.date(),
  ...groupCounts,
  byStatus: byStatusSchema,
  bySeverity: bySeveritySchema,
  byEntity: z.array(z.object({ code: z.string(), name: z.string(), ...groupCounts })),
  byTest: z.array(z.object({ key: z.string(), entityCode: z.string(), ...groupCounts })),
});

export const exceptionAgeingSchema = z.object({
  entity: summaryEntitySchema,
  asOf: z.iso.datetime({ offset: true }),
  /** Number of exceptions not closed, which is the sum of the bucket counts. */
  total: count,
  buckets: z.array(
    z.object({
      label: z.string(),
      minDays: count,
      /** Null for the last bucket, which has no upper edge. */
      maxDays: count.nullable(),
      count,
      bySeverity: bySeveritySchema,
    }),
  ),
});

export const exceptionTrendSchema = z.object({
  entity: summaryEntitySchema,
  test: z.object({ id: z.uuid(), key: z.string() }),
  runs: z.array(
    z.object({
      id: z.uuid(),
      runNumber: z.number().int().positive(),
      finishedAt: z.iso.datetime({ offset: true }).nullable(),
      new: count,
      recurring: count,
      reopened: count,
      closed: count,
    }),
  ),
});

export type ExceptionCounts = z.infer<typeof exceptionCountsSchema>;
export type ExceptionAgeing = z.infer<typeof exceptionAgeingSchema>;
export type ExceptionTrend = z.infer<typeof exceptionTrendSchema>;
