import { entityCodeSchema, TREND_RUNS_MAX, testKeySchema } from '@peytonix/contracts';
import { z } from 'zod';
import type { Severity } from '../../../platform/db/schema.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const satisfies Severity[];

/** Number of runs the trend returns by default; TREND_RUNS_MAX, from the contracts, is the most. */
export const TREND_RUNS_DEFAULT = 10;
export { TREND_RUNS_MAX };

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

// The response schemas live in the contracts, which the web app reads too.
export {
  type ExceptionAgeing,
  type ExceptionCounts,
  type ExceptionTrend,
  exceptionAgeingSchema,
  exceptionCountsSchema,
  exceptionTrendSchema,
} from '@peytonix/contracts';
