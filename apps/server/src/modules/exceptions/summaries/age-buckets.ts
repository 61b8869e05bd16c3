/**
 * Age buckets of exceptions that are not closed. An exception's age is the
 * number of whole days (completed 24-hour periods) since its created_at.
 * Each bucket includes both edges, and the last one has no upper edge.
 */
export const AGE_BUCKETS = [
  { label: '0-30', minDays: 0, maxDays: 30 },
  { label: '31-60', minDays: 31, maxDays: 60 },
  { label: '61-90', minDays: 61, maxDays: 90 },
  { label: '91-180', minDays: 91, maxDays: 180 },
  { label: '181+', minDays: 181, maxDays: null },
] as const;

/**
 * The lower edges of every bucket after the first, in ascending order, as
 * PostgreSQL's width_bucket(age, thresholds) expects them. It then returns
 * the index of the bucket in AGE_BUCKETS, and 0 for an age below 31 days,
 * including a negative age from a created_at in the future.
 */
export const AGE_BUCKET_THRESHOLDS: number[] = AGE_BUCKETS.slice(1).map((bucket) => bucket.minDays);
