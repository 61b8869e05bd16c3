import {
  changeRequestSchema,
  createEntityInputSchema,
  entityListSchema,
  entityMoveRequestInputSchema,
  entitySchema,
  idParamsSchema,
  renameEntityInputSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { EntitiesService } from './entities.service.ts';

/** Register the entity routes: read the tree, and create, rename, archive and move entities. */
export function registerEntityRoutes(app: FastifyInstance, entities: EntitiesService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const manage = { onRequest: app.authenticate, config: { permission: 'entities.manage' } };

  routes.get(
    '/api/v1/entities',
    {
      onRequest: app.authenticate,
      config: { permission: 'entities.read' },
      schema: {
        tags: ['entities'],
        summary: 'Entities in your scope, root first',
        response: { 200: entityListSchema },
      },
    },
    async (request) => ({ items: await entities.listInScope(await app.requireActor(request)) }),
  );

  routes.post(
    '/api/v1/entities',
    {
      ...manage,
      schema: {
        tags: ['entities'],
        summary: 'Create an entity below one in your scope',
        body: createEntityInputSchema,
        response: { 201: entitySchema },
      },
    },
    async (request, reply) => {
      const created = await entities.create(
        await app.requireActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );

  routes.patch(
    '/api/v1/entities/:id',
    {
      ...manage,
      schema: {
        tags: ['entities'],
        summary: 'Rename an entity',
        params: idParamsSchema,
        body: renameEntityInputSchema,
        response: { 200: entitySchema },
      },
    },
    async (request) =>
      await entities.rename(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      ),
  );

  routes.post(
    '/api/v1/entities/:id/archive',
    {
      ...manage,
      schema: {
        tags: ['entities'],
        summary: 'Archive an entity that has no active children',
        params: idParamsSchema,
        response: { 200: entitySchema },
      },
    },
    async (request) =>
      await entities.archive(
        await app.requireActor(request),
        request.params.id,
        requestContext(request),
      ),
  );

  routes.post(
    '/api/v1/entities/:id/move-requests',
    {
      ...manage,
      schema: {
        tags: ['entities'],
        summary: 'Request a move of an entity below another parent',
        description:
          'Creates an entity.move change request; the entity and its subtree move when another person approves it.',
        params: idParamsSchema,
        body: entityMoveRequestInputSchema,
        response: { 201: changeRequestSchema },
      },
    },
    async (request, reply) => {
      const created = await entities.requestMove(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );
}
