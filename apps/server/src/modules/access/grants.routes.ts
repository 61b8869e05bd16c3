import {
  changeRequestSchema,
  grantListQuerySchema,
  grantListSchema,
  grantRequestInputSchema,
  idParamsSchema,
  ownAccessSchema,
  revokeRequestInputSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { GrantsService } from './grants.service.ts';

/** Register the grant routes: read role grants, and request grants and revocations for approval. */
export function registerGrantRoutes(app: FastifyInstance, grants: GrantsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/grants/mine',
    {
      onRequest: app.authenticate,
      config: { permission: 'self' },
      schema: {
        tags: ['grants'],
        summary: 'Your own role grants and the permissions they give',
        response: { 200: ownAccessSchema },
      },
    },
    async (request) => await grants.own(await app.requireActor(request)),
  );

  routes.get(
    '/api/v1/grants',
    {
      onRequest: app.authenticate,
      config: { permission: 'grants.read' },
      schema: {
        tags: ['grants'],
        summary: 'Role grants on the entities where you may read grants',
        description:
          'Filter by userId, or by entityId for grants on that entity and every entity below it.',
        querystring: grantListQuerySchema,
        response: { 200: grantListSchema },
      },
    },
    async (request) => ({
      items: await grants.list(await app.requireActor(request), request.query),
    }),
  );

  routes.post(
    '/api/v1/grant-requests',
    {
      onRequest: app.authenticate,
      config: { permission: 'grants.request' },
      schema: {
        tags: ['grants'],
        summary: 'Request a role for a user on an entity',
        description:
          'Creates a grant.add change request; the role is granted when another person approves it.',
        body: grantRequestInputSchema,
        response: { 201: changeRequestSchema },
      },
    },
    async (request, reply) => {
      const created = await grants.requestGrant(
        await app.requireActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );

  routes.post(
    '/api/v1/grants/:id/revoke-requests',
    {
      onRequest: app.authenticate,
      config: { permission: 'grants.request' },
      schema: {
        tags: ['grants'],
        summary: 'Request that a role grant be revoked',
        description:
          'Creates a grant.revoke change request; the grant ends when another person approves it.',
        params: idParamsSchema,
        body: revokeRequestInputSchema,
        response: { 201: changeRequestSchema },
      },
    },
    async (request, reply) => {
      const created = await grants.requestRevocation(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );
}
