import {
  assignExceptionSchema,
  assigneeListQuerySchema,
  assigneeListSchema,
  bulkAssignSchema,
  bulkProposeSchema,
  bulkResultSchema,
  commentBodySchema,
  commentThreadParamsSchema,
  decideExceptionSchema,
  exceptionCommentResultSchema,
  exceptionDetailSchema,
  exceptionIdParamsSchema,
  exceptionListQuerySchema,
  exceptionListSchema,
  exceptionStepResultSchema,
  proposeDispositionSchema,
  retestRequestSchema,
  retestResultSchema,
  returnExceptionSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { ExceptionsService } from './exceptions.service.ts';

/** Register the exception workflow routes: list, read, list assignees, assign, propose, decide, comment and retest. */
export function registerExceptionRoutes(app: FastifyInstance, exceptions: ExceptionsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['exceptions'];

  routes.get(
    '/api/v1/exceptions',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.read' },
      schema: {
        tags,
        summary: 'Exceptions of an entity and its subtree, filtered and newest first',
        querystring: exceptionListQuerySchema,
        response: { 200: exceptionListSchema },
      },
    },
    async (request) => await exceptions.list(await app.requireActor(request), request.query),
  );

  routes.get(
    '/api/v1/exceptions/assignees',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.assign' },
      schema: {
        tags,
        summary: 'Users that exceptions of an entity can be assigned to',
        description:
          'Active users holding a role that investigates exceptions on the entity or above it: the users the assign step accepts. Needs exceptions.assign on the entity.',
        querystring: assigneeListQuerySchema,
        response: { 200: assigneeListSchema },
      },
    },
    async (request) =>
      await exceptions.assignees(await app.requireActor(request), request.query.entity),
  );

  routes.get(
    '/api/v1/exceptions/:id',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.read' },
      schema: {
        tags,
        summary: 'An exception with its history, comments and retests',
        params: exceptionIdParamsSchema,
        response: { 200: exceptionDetailSchema },
      },
    },
    async (request) => await exceptions.show(await app.requireActor(request), request.params.id),
  );

  routes.post(
    '/api/v1/exceptions/:id/assign',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.assign' },
      schema: {
        tags,
        summary: 'Assign or reassign an exception to a preparer; it becomes in_progress',
        params: exceptionIdParamsSchema,
        body: assignExceptionSchema,
        response: { 200: exceptionStepResultSchema },
      },
    },
    async (request) => {
      const [result] = await exceptions.assign(
        await app.requireActor(request),
        [request.params.id],
        request.body.assignee,
        { ...request.body, context: requestContext(request) },
      );
      return result;
    },
  );

  routes.post(
    '/api/v1/exceptions/:id/propose',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: 'Propose a disposition with a rationale; only the assignee may',
        params: exceptionIdParamsSchema,
        body: proposeDispositionSchema,
        response: { 200: exceptionStepResultSchema },
      },
    },
    async (request) => {
      const { disposition, rationale, duplicateOf, revision } = request.body;
      const [result] = await exceptions.propose(
        await app.requireActor(request),
        [request.params.id],
        { disposition, rationale, duplicateOf },
        { revision, context: requestContext(request) },
      );
      return result;
    },
  );

  // The four decisions on a proposal share their shape: a step on one
  // exception with an optional (approvals) or required (returns) comment.
  const decisions = [
    {
      path: 'approve',
      permission: 'exceptions.review',
      summary: 'Approve a proposed disposition; a risk acceptance then waits for management',
      body: decideExceptionSchema,
      decide: exceptions.approve,
    },
    {
      path: 'return',
      permission: 'exceptions.review',
      summary: 'Return a proposed disposition to its preparer with a comment',
      body: returnExceptionSchema,
      decide: exceptions.return,
    },
    {
      path: 'accept-risk',
      permission: 'risk.accept',
      summary: 'Approve, as management, a risk acceptance that a reviewer approved',
      body: decideExceptionSchema,
      decide: exceptions.acceptRisk,
    },
    {
      path: 'decline-risk',
      permission: 'risk.accept',
      summary: 'Decline, as management, a risk acceptance; it goes back to its preparer',
      body: returnExceptionSchema,
      decide: exceptions.declineRisk,
    },
  ] as const;

  for (const decision of decisions) {
    routes.post(
      `/api/v1/exceptions/:id/${decision.path}`,
      {
        onRequest: app.authenticate,
        config: { permission: decision.permission },
        schema: {
          tags,
          summary: decision.summary,
          params: exceptionIdParamsSchema,
          body: decision.body,
          response: { 200: exceptionStepResultSchema },
        },
      },
      async (request) => {
        const [result] = await decision.decide(await app.requireActor(request), request.params.id, {
          comment: request.body.comment ?? '',
          ...request.body,
          context: requestContext(request),
        });
        return result;
      },
    );
  }

  routes.post(
    '/api/v1/exceptions/:id/comments',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: 'Comment on an exception; comments never change',
        params: exceptionIdParamsSchema,
        body: commentBodySchema,
        response: { 201: exceptionCommentResultSchema },
      },
    },
    async (request, reply) => {
      const created = await exceptions.comment(
        await app.requireActor(request),
        request.params.id,
        request.body.body,
        { context: requestContext(request) },
      );
      return reply.code(201).send(created);
    },
  );

  routes.post(
    '/api/v1/exceptions/:id/comments/:threadId/versions',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: 'Edit your comment: add a new version, keeping every earlier one visible',
        params: commentThreadParamsSchema,
        body: commentBodySchema,
        response: { 201: exceptionCommentResultSchema },
      },
    },
    async (request, reply) => {
      const created = await exceptions.comment(
        await app.requireActor(request),
        request.params.id,
        request.body.body,
        { threadId: request.params.threadId, context: requestContext(request) },
      );
      return reply.code(201).send(created);
    },
  );

  routes.post(
    '/api/v1/exceptions/bulk/assign',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.assign' },
      schema: {
        tags,
        summary: 'Assign many exceptions to one preparer, all or none',
        body: bulkAssignSchema,
        response: { 200: bulkResultSchema },
      },
    },
    async (request) => ({
      updated: await exceptions.assign(
        await app.requireActor(request),
        request.body.exceptionIds,
        request.body.assignee,
        { comment: request.body.comment, context: requestContext(request) },
      ),
    }),
  );

  routes.post(
    '/api/v1/exceptions/bulk/propose',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: 'Propose one disposition with one rationale for many exceptions, all or none',
        body: bulkProposeSchema,
        response: { 200: bulkResultSchema },
      },
    },
    async (request) => {
      const { exceptionIds, disposition, rationale, duplicateOf } = request.body;
      return {
        updated: await exceptions.propose(
          await app.requireActor(request),
          exceptionIds,
          { disposition, rationale, duplicateOf },
          { context: requestContext(request) },
        ),
      };
    },
  );

  routes.post(
    '/api/v1/exceptions/retest',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.investigate' },
      schema: {
        tags,
        summary: 'Queue a run of the exceptions’ test and link it to them as their retest',
        description:
          'The run reads the datasets that the active test version binds; name any other input in inputs and fieldMap as for POST /api/v1/runs. Each exception then shows whether the run flagged its key again.',
        body: retestRequestSchema,
        response: { 202: retestResultSchema },
      },
    },
    async (request, reply) => {
      const queued = await exceptions.retest(
        await app.requireActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(202).send(queued);
    },
  );
}
