import {
  signOffIdParamsSchema,
  signOffListQuerySchema,
  signOffListSchema,
  signOffRequestSchema,
  signOffSchema,
  withdrawSignOffSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { SignOffsService } from './sign-offs.service.ts';

/** Sign-offs on a run's results and on an engagement's workpapers. */
export function registerSignOffRoutes(app: FastifyInstance, signOffs: SignOffsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['sign-offs'];

  routes.get(
    '/api/v1/sign-offs',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.read' },
      schema: {
        tags,
        summary: "An item's sign-offs, each current, stale or withdrawn",
        querystring: signOffListQuerySchema,
        response: { 200: signOffListSchema },
      },
    },
    async (request) => await signOffs.list(await app.requireActor(request), request.query),
  );

  // Each level has its own route, so the route's permission is the level's.
  routes.post(
    '/api/v1/sign-offs/preparer',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: "Sign off a run's results or an engagement's workpapers as preparer",
        body: signOffRequestSchema.omit({ level: true }),
        response: { 201: signOffSchema },
      },
    },
    async (request, reply) => {
      const signed = await signOffs.sign(
        await app.requireActor(request),
        { ...request.body, level: 'preparer' },
        requestContext(request),
      );
      return reply.code(201).send(signed);
    },
  );

  routes.post(
    '/api/v1/sign-offs/reviewer',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.review' },
      schema: {
        tags,
        summary: 'Confirm a current preparer sign-off as reviewer; the preparer cannot',
        body: signOffRequestSchema.omit({ level: true }),
        response: { 201: signOffSchema },
      },
    },
    async (request, reply) => {
      const signed = await signOffs.sign(
        await app.requireActor(request),
        { ...request.body, level: 'reviewer' },
        requestContext(request),
      );
      return reply.code(201).send(signed);
    },
  );

  routes.post(
    '/api/v1/sign-offs/:id/withdraw',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.review' },
      schema: {
        tags,
        summary: "Withdraw an item's sign-offs with a reason, so that it can change",
        params: signOffIdParamsSchema,
        body: withdrawSignOffSchema,
        response: { 200: signOffListSchema },
      },
    },
    async (request) =>
      await signOffs.withdraw(
        await app.requireActor(request),
        request.params.id,
        request.body.reason,
        requestContext(request),
      ),
  );
}
