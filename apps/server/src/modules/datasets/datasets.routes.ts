import {
  datasetDetailSchema,
  datasetListQuerySchema,
  datasetListSchema,
  datasetShowQuerySchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DatasetsService } from './datasets.service.ts';

/** Read routes for datasets; imports run through the CLI until browser uploads exist. */
export function registerDatasetRoutes(app: FastifyInstance, datasets: DatasetsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/datasets',
    {
      onRequest: app.authenticate,
      config: { permission: 'datasets.read' },
      schema: {
        tags: ['datasets'],
        summary: 'Datasets in your scope, or in one entity and the entities below it',
        querystring: datasetListQuerySchema,
        response: { 200: datasetListSchema },
      },
    },
    async (request) => ({
      items: await datasets.listInScope(await app.requireActor(request), {
        entityCode: request.query.entity,
      }),
    }),
  );

  routes.get(
    '/api/v1/datasets/by-name',
    {
      onRequest: app.authenticate,
      config: { permission: 'datasets.read' },
      schema: {
        tags: ['datasets'],
        summary: 'One dataset with its versions, fingerprints and column types',
        querystring: datasetShowQuerySchema,
        response: { 200: datasetDetailSchema },
      },
    },
    async (request) =>
      await datasets.show(
        await app.requireActor(request),
        request.query.entity,
        request.query.name,
      ),
  );
}
