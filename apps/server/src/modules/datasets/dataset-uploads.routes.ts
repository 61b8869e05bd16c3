import {
  datasetPreviewSchema,
  datasetUploadReadSchema,
  datasetUploadSchema,
  datasetVersionSchema,
  declareDatasetUploadSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/http/app-error.ts';
import { requestContext } from '../../platform/http/authentication.ts';
import type { DatasetUploadRead, DatasetUploadsService } from './dataset-uploads.ts';
import type { ParseOptions } from './import/import-dataset.ts';

const uploadParamsSchema = z.object({ id: z.uuid() });

type ReadBody = z.infer<typeof datasetUploadReadSchema>;

/** Drop the options a client left undefined, so the import detects them. */
function toUploadRead(body: ReadBody): DatasetUploadRead {
  const options = Object.fromEntries(
    Object.entries(body.options ?? {}).filter(([, value]) => value !== undefined),
  ) as ParseOptions;
  return {
    ...(body.format === undefined ? {} : { format: body.format }),
    ...(body.options === undefined ? {} : { options }),
    ...(body.description === undefined ? {} : { description: body.description }),
  };
}

/**
 * Browser uploads of dataset files: declare the file, PUT it straight to
 * storage with the URL returned, preview the import as often as needed,
 * then import it.
 */
export function registerDatasetUploadRoutes(app: FastifyInstance, uploads: DatasetUploadsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['datasets'];

  routes.post(
    '/api/v1/datasets/uploads',
    {
      onRequest: app.authenticate,
      config: { permission: 'datasets.import' },
      schema: {
        tags,
        summary: 'Declare a dataset file and get a URL to upload it straight to storage',
        body: declareDatasetUploadSchema,
        response: { 201: datasetUploadSchema },
      },
    },
    async (request, reply) => {
      const { entity, ...file } = request.body;
      const declared = await uploads.declare(
        await app.requireActor(request),
        { entityCode: entity, ...file },
        requestContext(request),
      );
      return reply.code(201).send(declared);
    },
  );

  routes.post(
    '/api/v1/datasets/uploads/:id/preview',
    {
      onRequest: app.authenticate,
      config: { permission: 'datasets.import' },
      schema: {
        tags,
        summary: 'Parse an uploaded file and return its first rows and inferred column types',
        params: uploadParamsSchema,
        body: datasetUploadReadSchema,
        response: { 200: datasetPreviewSchema },
      },
    },
    async (request, reply) => {
      const actor = await app.requireActor(request);

      // A client that closes the connection before the response stops the preview's process.
      const disconnected = new AbortController();
      const onClose = () => {
        if (reply.raw.writableEnded) return;
        request.log.info(
          { uploadId: request.params.id },
          'client closed the connection; stopping the dataset preview',
        );
        disconnected.abort(
          new AppError('CLIENT_CLOSED_REQUEST', {
            detail: 'The client closed the connection before the preview finished.',
          }),
        );
      };
      reply.raw.once('close', onClose);
      try {
        return await uploads.preview(
          actor,
          request.params.id,
          toUploadRead(request.body),
          disconnected.signal,
        );
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  );

  routes.post(
    '/api/v1/datasets/uploads/:id/import',
    {
      onRequest: app.authenticate,
      config: { permission: 'datasets.import' },
      schema: {
        tags,
        summary: 'Import an uploaded file as the next version of its dataset',
        params: uploadParamsSchema,
        body: datasetUploadReadSchema,
        response: { 201: datasetVersionSchema },
      },
    },
    async (request, reply) => {
      const version = await uploads.import(
        await app.requireActor(request),
        request.params.id,
        toUploadRead(request.body),
        requestContext(request),
      );
      return reply.code(201).send(version);
    },
  );
}
