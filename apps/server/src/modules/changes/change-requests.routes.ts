import {
  approveChangeRequestInputSchema,
  changeRequestDetailSchema,
  changeRequestListQuerySchema,
  changeRequestListSchema,
  changeRequestSchema,
  idParamsSchema,
  rejectChangeRequestInputSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { ChangeRequestsService } from './change-requests.service.ts';

/** Register the change-request routes: read requests, and approve or reject them. */
export function registerChangeRequestRoutes(
  app: FastifyInstance,
  changeRequests: ChangeRequestsService,
) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/change-requests',
    {
      onRequest: app.authenticate,
      config: { permission: 'change_requests.read' },
      schema: {
        tags: ['change requests'],
        summary: 'Change requests in your scope and your own, newest first',
        querystring: changeRequestListQuerySchema,
        response: { 200: changeRequestListSchema },
      },
    },
    async (request) => {
      const page = await changeRequests.list(await app.requireActor(request), request.query);
      return { ...page, people: await changeRequests.peopleOf(page.items) };
    },
  );

  routes.get(
    '/api/v1/change-requests/:id',
    {
      onRequest: app.authenticate,
      config: { permission: 'change_requests.read' },
      schema: {
        tags: ['change requests'],
        summary: 'One change request with its before and after states and diff hash',
        params: idParamsSchema,
        response: { 200: changeRequestDetailSchema },
      },
    },
    async (request) => {
      const changeRequest = await changeRequests.show(
        await app.requireActor(request),
        request.params.id,
      );
      return { ...changeRequest, people: await changeRequests.peopleOf([changeRequest]) };
    },
  );

  routes.post(
    '/api/v1/change-requests/:id/approve',
    {
      onRequest: app.authenticate,
      config: { permission: 'change_requests.decide' },
      schema: {
        tags: ['change requests'],
        summary: 'Approve and apply a change request',
        description:
          'Send the diffSha256 you reviewed. The change applies in the same transaction, unless its target changed since the request (409 CHANGE_REQUEST_STALE) or the request is no longer pending (409 CHANGE_REQUEST_CLOSED).',
        params: idParamsSchema,
        body: approveChangeRequestInputSchema,
        response: { 200: changeRequestSchema },
      },
    },
    async (request) =>
      await changeRequests.approve(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      ),
  );

  routes.post(
    '/api/v1/change-requests/:id/reject',
    {
      onRequest: app.authenticate,
      config: { permission: 'change_requests.decide' },
      schema: {
        tags: ['change requests'],
        summary: 'Reject a change request with a note',
        params: idParamsSchema,
        body: rejectChangeRequestInputSchema,
        response: { 200: changeRequestSchema },
      },
    },
    async (request) =>
      await changeRequests.reject(
        await app.requireActor(request),
        request.params.id,
        request.body,
        requestContext(request),
      ),
  );
}
