import {
  changeRequestSchema,
  draftedVersionSchema,
  testActivationRequestInputSchema,
  testDefinitionQuerySchema,
  testDefinitionSchema,
  testDraftInputSchema,
  testKeySchema,
  testVersionListSchema,
  testVersionsQuerySchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { TestDefinitionsService } from './test-definitions.service.ts';

const testKeyParamsSchema = z.object({ key: testKeySchema });

/** Register the test-definition routes: drafts, versions, and requests to activate a draft. */
export function registerTestRoutes(app: FastifyInstance, testDefinitions: TestDefinitionsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/api/v1/tests/drafts',
    {
      onRequest: app.authenticate,
      config: { permission: 'tests.draft' },
      schema: {
        tags: ['tests'],
        summary: 'Store a test definition as a new draft version of its test',
        description:
          'Validates the definition as "peytonix tests import" does (its SQL is checked to be one read-only SELECT over the declared inputs) and stores it as the next draft version, creating the test on first use. A draft runs only as a preview until another person approves its activation.',
        body: testDraftInputSchema,
        response: { 201: draftedVersionSchema },
      },
    },
    async (request, reply) => {
      const drafted = await testDefinitions.importDraft(
        await app.requireActor(request),
        request.body.entity,
        request.body.definition,
        requestContext(request),
      );
      return reply.code(201).send(drafted);
    },
  );

  routes.get(
    '/api/v1/tests/:key/definition',
    {
      onRequest: app.authenticate,
      config: { permission: 'tests.read' },
      schema: {
        tags: ['tests'],
        summary: 'A test version in definition-file form, the active one by default',
        params: testKeyParamsSchema,
        querystring: testDefinitionQuerySchema,
        response: { 200: testDefinitionSchema },
      },
    },
    async (request) =>
      await testDefinitions.export(
        await app.requireActor(request),
        request.query.entity,
        request.params.key,
        request.query.version,
      ),
  );

  routes.get(
    '/api/v1/tests/:key/versions',
    {
      onRequest: app.authenticate,
      config: { permission: 'tests.read' },
      schema: {
        tags: ['tests'],
        summary: "A test's versions, newest first, with their states",
        params: testKeyParamsSchema,
        querystring: testVersionsQuerySchema,
        response: { 200: testVersionListSchema },
      },
    },
    async (request) =>
      await testDefinitions.listVersions(
        await app.requireActor(request),
        request.query.entity,
        request.params.key,
      ),
  );

  routes.post(
    '/api/v1/test-activation-requests',
    {
      onRequest: app.authenticate,
      config: { permission: 'tests.draft' },
      schema: {
        tags: ['tests'],
        summary: 'Request activation of a draft test version',
        description:
          'Creates a test_version.activate change request. Its after state carries the full content of the version, so the diffSha256 an approver sends covers the exact SQL. When another person approves it, the version becomes active and the previously active version becomes superseded. Neither the requester nor the preparer of the version may approve.',
        body: testActivationRequestInputSchema,
        response: { 201: changeRequestSchema },
      },
    },
    async (request, reply) => {
      const created = await testDefinitions.requestActivation(
        await app.requireActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );
}
