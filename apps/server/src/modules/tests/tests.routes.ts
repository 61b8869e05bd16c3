import { changeRequestSchema, testActivationRequestInputSchema } from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { TestDefinitionsService } from './test-definitions.service.ts';

/** Register the test-definition routes: requests to activate a drafted version. */
export function registerTestRoutes(app: FastifyInstance, testDefinitions: TestDefinitionsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

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
