import {
  declareEvidenceSchema,
  declareEvidenceVersionSchema,
  evidenceAccessSchema,
  evidenceFilePolicySchema,
  evidenceIdParamsSchema,
  evidenceListQuerySchema,
  evidenceListSchema,
  evidenceSchema,
  evidenceUploadSchema,
  evidenceVersionParamsSchema,
  evidenceVersionRequestSchema,
  quarantinedEvidenceListSchema,
  updateEvidenceVersionSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { EvidenceService } from './evidence.service.ts';

/**
 * Evidence: declare a file, upload it straight to storage with the URL
 * returned, confirm it, then download or view the verified bytes.
 */
export function registerEvidenceRoutes(app: FastifyInstance, evidence: EvidenceService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['evidence'];

  routes.get(
    '/api/v1/evidence/policy',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.upload' },
      schema: {
        tags,
        summary: 'The size limit and the file types accepted as evidence',
        response: { 200: evidenceFilePolicySchema },
      },
    },
    async () => evidence.filePolicy(),
  );

  routes.post(
    '/api/v1/evidence/uploads',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.upload' },
      schema: {
        tags,
        summary: 'Declare an evidence file and get a URL to upload it straight to storage',
        body: declareEvidenceSchema,
        response: { 201: evidenceUploadSchema },
      },
    },
    async (request, reply) => {
      const upload = await evidence.declare(
        await app.requireActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(upload);
    },
  );

  routes.post(
    '/api/v1/evidence/:id/versions',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.upload' },
      schema: {
        tags,
        summary: 'Declare a new version of an evidence item; earlier versions stay',
        params: evidenceIdParamsSchema,
        body: declareEvidenceVersionSchema,
        response: { 201: evidenceUploadSchema },
      },
    },
    async (request, reply) => {
      const upload = await evidence.declareVersion(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(upload);
    },
  );

  routes.post(
    '/api/v1/evidence/:id/confirm',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.upload' },
      schema: {
        tags,
        summary: 'Verify size, SHA-256 and type of an uploaded version and scan it for malware',
        params: evidenceIdParamsSchema,
        body: evidenceVersionRequestSchema.optional(),
        response: { 200: evidenceSchema },
      },
    },
    async (request) =>
      await evidence.confirm(
        await app.requireActor(request),
        request.params.id,
        request.body?.version,
        requestContext(request),
      ),
  );

  routes.get(
    '/api/v1/evidence',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.read' },
      schema: {
        tags,
        summary: 'The evidence of an exception, run, test or engagement, with every version',
        querystring: evidenceListQuerySchema,
        response: { 200: evidenceListSchema },
      },
    },
    async (request) => ({
      items: await evidence.list(await app.requireActor(request), request.query),
    }),
  );

  routes.get(
    '/api/v1/evidence/quarantine',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.quarantine' },
      schema: {
        tags,
        summary: 'Quarantined evidence files and the signatures the scanner matched',
        response: { 200: quarantinedEvidenceListSchema },
      },
    },
    async (request) => ({ items: await evidence.quarantine(await app.requireActor(request)) }),
  );

  routes.get(
    '/api/v1/evidence/:id',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.read' },
      schema: {
        tags,
        summary: 'An evidence item with every version and its state',
        params: evidenceIdParamsSchema,
        response: { 200: evidenceSchema },
      },
    },
    async (request) => await evidence.show(await app.requireActor(request), request.params.id),
  );

  routes.patch(
    '/api/v1/evidence/:id/versions/:version',
    {
      onRequest: app.authenticate,
      config: { permission: 'evidence.upload' },
      schema: {
        tags,
        summary: 'Set or clear the evidence date: the period a version proves',
        params: evidenceVersionParamsSchema,
        body: updateEvidenceVersionSchema,
        response: { 200: evidenceSchema },
      },
    },
    async (request) =>
      await evidence.setEvidenceDate(
        await app.requireActor(request),
        request.params.id,
        request.params.version,
        request.body.evidenceDate,
        requestContext(request),
      ),
  );

  for (const mode of ['download', 'view'] as const) {
    routes.post(
      `/api/v1/evidence/:id/${mode}`,
      {
        onRequest: app.authenticate,
        config: { permission: 'evidence.read' },
        schema: {
          tags,
          summary:
            mode === 'download'
              ? 'Get a short-lived URL that downloads exactly the verified bytes of a version'
              : 'Get a short-lived URL that shows a PDF, image or text version in the browser',
          params: evidenceIdParamsSchema,
          body: evidenceVersionRequestSchema.optional(),
          response: { 200: evidenceAccessSchema },
        },
      },
      async (request) => {
        const actor = await app.requireActor(request);
        const version = request.body?.version;
        return mode === 'download'
          ? await evidence.download(actor, request.params.id, version, requestContext(request))
          : await evidence.view(actor, request.params.id, version, requestContext(request));
      },
    );
  }
}
