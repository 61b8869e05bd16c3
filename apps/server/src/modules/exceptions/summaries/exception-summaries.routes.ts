import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../../platform/http/authentication.ts';
import { AGE_BUCKETS } from './age-buckets.ts';
import {
  entitySummaryQuerySchema,
  exceptionAgeingSchema,
  exceptionCountsSchema,
  exceptionTrendSchema,
  TREND_RUNS_MAX,
  trendQuerySchema,
} from './exception-summaries.schemas.ts';
import type { ExceptionSummariesService } from './exception-summaries.service.ts';

const BUCKET_LABELS = AGE_BUCKETS.map((bucket) => bucket.label).join(', ');

/** Read-only exception summaries for dashboards. */
export function registerExceptionSummaryRoutes(
  app: FastifyInstance,
  summaries: ExceptionSummariesService,
) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/exception-summaries/counts',
    {
      onRequest: app.authenticate,
      config: { permission: 'dashboards.read' },
      schema: {
        tags: ['exceptions'],
        summary: "Counts of an entity subtree's exceptions",
        description:
          'Counts the exceptions of the entity and every entity below it: in total, not closed and overdue (not closed, due before the database date in `today`), by status, by severity, and by entity and test (those with exceptions only).',
        querystring: entitySummaryQuerySchema,
        response: { 200: exceptionCountsSchema },
      },
    },
    async (request) =>
      await summaries.counts(
        await app.requireActor(request),
        request.query.entity,
        requestContext(request),
      ),
  );

  routes.get(
    '/api/v1/exception-summaries/ageing',
    {
      onRequest: app.authenticate,
      config: { permission: 'dashboards.read' },
      schema: {
        tags: ['exceptions'],
        summary: "Ages of an entity subtree's exceptions that are not closed",
        description: `Counts the exceptions of the entity and its subtree that are not closed, by age and severity. The age is the number of whole days since the exception was created, as of \`asOf\`. The buckets are ${BUCKET_LABELS} days; each includes both edges, and each lists its edges.`,
        querystring: entitySummaryQuerySchema,
        response: { 200: exceptionAgeingSchema },
      },
    },
    async (request) =>
      await summaries.ageing(
        await app.requireActor(request),
        request.query.entity,
        requestContext(request),
      ),
  );

  routes.get(
    '/api/v1/exception-summaries/trend',
    {
      onRequest: app.authenticate,
      config: { permission: 'dashboards.read' },
      schema: {
        tags: ['exceptions'],
        summary: "What a test's latest runs flagged and closed",
        description: `For the latest succeeded runs of the test (previews excluded, at most ${TREND_RUNS_MAX}), oldest first: the exceptions each flagged as new, recurring or reopened, and the exceptions each closed because their key was absent.`,
        querystring: trendQuerySchema,
        response: { 200: exceptionTrendSchema },
      },
    },
    async (request) =>
      await summaries.trend(
        await app.requireActor(request),
        { entityCode: request.query.entity, testKey: request.query.test, runs: request.query.runs },
        requestContext(request),
      ),
  );
}
