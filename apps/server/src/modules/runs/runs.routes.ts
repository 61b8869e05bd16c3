import {
  queuedRunSchema,
  runDetailSchema,
  runHistoryQuerySchema,
  runHistorySchema,
  runIdParamsSchema,
  runRequestSchema,
  runRowsSchema,
  testListingSchema,
  testListQuerySchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { RunsService } from './runs.service.ts';

/** Tests, runs and the rows they flagged. */
export function registerRunRoutes(app: FastifyInstance, runs: RunsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/tests',
    {
      onRequest: app.authenticate,
      config: { permission: 'tests.read' },
      schema: {
        tags: ['tests'],
        summary:
          'Tests in your scope, or in one entity and the entities below it, and the library templates',
        querystring: testListQuerySchema,
        response: { 200: testListingSchema },
      },
    },
    async (request) =>
      await runs.listTests(await app.requireActor(request), { entityCode: request.query.entity }),
  );

  routes.post(
    '/api/v1/runs',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.execute' },
      schema: {
        tags: ['runs'],
        summary: 'Queue a run of a test or library template',
        description:
          'Resolves the active test version, each input to a dataset version with its fingerprints, the field mapping and the parameters, stores them on the run and queues it. Poll GET /api/v1/runs/{id}.',
        body: runRequestSchema,
        response: { 202: queuedRunSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const queued = await runs.request(
        await app.requireActor(request),
        {
          entityCode: body.entity,
          test: body.test,
          inputs: body.inputs,
          fieldMap: body.fieldMap,
          parameters: body.parameters,
          preview: body.preview,
          via: 'api',
        },
        requestContext(request),
      );
      return reply.code(202).send(queued);
    },
  );

  routes.get(
    '/api/v1/runs',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.read' },
      schema: {
        tags: ['runs'],
        summary: 'Run history, newest first, filtered by entity subtree, test, status and preview',
        querystring: runHistoryQuerySchema,
        response: { 200: runHistorySchema },
      },
    },
    async (request) => await runs.history(await app.requireActor(request), request.query),
  );

  routes.post(
    '/api/v1/runs/:id/reperform',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.execute' },
      schema: {
        tags: ['runs'],
        summary:
          'Re-perform a run: the same SQL, parameters and dataset versions, compared by hash',
        description:
          "Queues a run that repeats exactly what the run executed, on the same dataset versions, and moves no exceptions. Poll GET /api/v1/runs/{id} of the new run; its reperformsRunId names the original, and its resultHash should equal the original's.",
        params: runIdParamsSchema,
        response: { 202: queuedRunSchema },
      },
    },
    async (request, reply) => {
      const queued = await runs.reperform(
        await app.requireActor(request),
        request.params.id,
        requestContext(request),
      );
      return reply.code(202).send(queued);
    },
  );

  routes.get(
    '/api/v1/runs/:id',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.read' },
      schema: {
        tags: ['runs'],
        summary: 'What a run executed on which data, and its result',
        params: runIdParamsSchema,
        response: { 200: runDetailSchema },
      },
    },
    async (request) => await runs.show(await app.requireActor(request), request.params.id),
  );

  routes.post(
    '/api/v1/runs/:id/cancel',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.execute' },
      schema: {
        tags: ['runs'],
        summary: 'Cancel a queued or running run',
        description:
          "Any user with runs.execute on the run's entity may cancel it. The run becomes cancelled at once and records no result or exceptions; a running query is stopped within about a second. A run already cancelled is returned unchanged. A run that has ended otherwise gets 409 CONFLICT, whose runStatus member names its status.",
        params: runIdParamsSchema,
        response: { 200: runDetailSchema },
      },
    },
    async (request) =>
      await runs.cancel(
        await app.requireActor(request),
        request.params.id,
        requestContext(request),
      ),
  );

  routes.get(
    '/api/v1/runs/:id/rows',
    {
      onRequest: app.authenticate,
      config: { permission: 'runs.read' },
      schema: {
        tags: ['runs'],
        summary: "A run's flagged rows: exceptions with their occurrence, or a preview's rows",
        params: runIdParamsSchema,
        response: { 200: runRowsSchema },
      },
    },
    async (request) => await runs.listRunRows(await app.requireActor(request), request.params.id),
  );
}
