import { setupStatusSchema } from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IdentityService } from './identity.service.ts';

export function registerIdentityRoutes(app: FastifyInstance, identity: IdentityService) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/setup/status',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['setup'],
        summary: 'Whether the first administrator exists',
        description:
          'Public, so the web app can tell a new deployment to run `peytonix admin create`. Returns nothing else.',
        response: { 200: setupStatusSchema },
      },
    },
    async () => ({ initialized: await identity.isInitialized() }),
  );
}
