import { z } from 'zod';

// Responses of GET /api/v1/exception-summaries/{counts,ageing,trend}; the
// server validates its responses with these schemas.

const count = z.number().int().nonnegative();

const severityCountsSchema = z.object({ low: count, medium: count, high: count, critical: count });

const statusCountsSchema = z.object({
  open: count,
  in_progress: count,
  proposed: count,
  closed: count,
});

const summaryEntitySchema = z.object({ id: z.uuid(), code: z.string(), name: z.string() });

/** Counts of one group: every exception, those not closed, and those overdue. */
const groupCounts = { total: count, notClosed: count, overdue: count };

/** Exceptions of an entity and its whole subtree, in every status. */
export const exceptionCountsSchema = z.object({
  entity: summaryEntitySchema,
  /** The database's current date, which decides what is overdue. */
  today: z.iso.date(),
  ...groupCounts,
  byStatus: statusCountsSchema,
  /** Exceptions in every status, closed ones included, by severity. */
  bySeverity: severityCountsSchema,
  /** Entities with at least one exception. */
  byEntity: z.array(z.object({ code: z.string(), name: z.string(), ...groupCounts })),
  /** Tests with at least one exception. `entityCode` is the test's own entity. */
  byTest: z.array(z.object({ key: z.string(), entityCode: z.string(), ...groupCounts })),
});

/** Exceptions of an entity subtree that are not closed, by age in whole days and severity. */
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
      bySeverity: severityCountsSchema,
    }),
  ),
});

/** The latest succeeded real runs of one test, oldest first, with what each flagged and closed. */
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

/** Largest `runs` value that GET /api/v1/exception-summaries/trend accepts. */
export const TREND_RUNS_MAX = 100;

export type ExceptionCounts = z.infer<typeof exceptionCountsSchema>;
export type ExceptionAgeing = z.infer<typeof exceptionAgeingSchema>;
export type ExceptionTrend = z.infer<typeof exceptionTrendSchema>;
