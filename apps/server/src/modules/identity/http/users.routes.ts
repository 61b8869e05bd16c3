import {
  createdUserSchema,
  createUserInputSchema,
  idParamsSchema,
  revokedSessionsSchema,
  userListSchema,
  userSummarySchema,
} from '@peytonix/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AppError } from '../../../platform/http/app-error.ts';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { UserActor } from '../actor.ts';
import type { AuthServices } from '../identity-services.ts';
import type { UserSummary } from '../users/user-admin.service.ts';

function toUser(user: UserSummary) {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    status: user.status,
    createdAt: user.createdAt.toISOString(),
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
  };
}

/** User administration for administrators. */
export function registerUserRoutes(app: FastifyInstance, auth: AuthServices) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const guarded = { onRequest: app.authenticate, config: { permission: 'users.manage' } };

  const userActor = async (request: FastifyRequest): Promise<UserActor> => {
    const actor = await app.requireActor(request);
    if (actor.type !== 'user')
      throw new AppError('FORBIDDEN', { detail: 'Only users manage users.' });
    return actor;
  };

  routes.get(
    '/api/v1/users',
    {
      onRequest: app.authenticate,
      config: { permission: 'users.read' },
      schema: {
        tags: ['users'],
        summary: 'List users',
        response: { 200: userListSchema },
      },
    },
    async (request) => ({ items: (await auth.users.list(await userActor(request))).map(toUser) }),
  );

  routes.post(
    '/api/v1/users',
    {
      ...guarded,
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        description:
          'Returns a one-time setup secret (valid 24 hours) with which the user sets a first password.',
        body: createUserInputSchema,
        response: { 201: createdUserSchema },
      },
    },
    async (request, reply) => {
      const created = await auth.users.create(
        await userActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send({
        ...toUser(created),
        setupSecret: created.setupSecret,
        setupSecretExpiresAt: created.setupSecretExpiresAt.toISOString(),
      });
    },
  );

  const statusRoutes = [
    ['suspend', 'suspended', 'Suspend a user; their sessions end at once'],
    ['reactivate', 'active', 'Reactivate a suspended user'],
    ['deprovision', 'deprovisioned', 'Deprovision a user for good; sessions and API tokens end'],
  ] as const;
  for (const [verb, status, summary] of statusRoutes) {
    routes.post(
      `/api/v1/users/:id/${verb}`,
      {
        ...guarded,
        schema: {
          tags: ['users'],
          summary,
          params: idParamsSchema,
          response: { 200: userSummarySchema },
        },
      },
      async (request) =>
        toUser(
          await auth.users.setStatus(
            await userActor(request),
            request.params.id,
            status,
            requestContext(request),
          ),
        ),
    );
  }

  routes.post(
    '/api/v1/users/:id/revoke-sessions',
    {
      ...guarded,
      schema: {
        tags: ['users'],
        summary: 'Revoke every session of a user',
        params: idParamsSchema,
        response: { 200: revokedSessionsSchema },
      },
    },
    async (request) => ({
      revoked: await auth.users.revokeSessions(
        await userActor(request),
        request.params.id,
        requestContext(request),
      ),
    }),
  );
}
