import {
  accountSchema,
  apiTokenInputSchema,
  apiTokenSchema,
  changePasswordInputSchema,
  createdApiTokenSchema,
  idParamsSchema,
  recoveryCodesSchema,
  revokedSessionsSchema,
  sessionListSchema,
  totpConfirmInputSchema,
  totpEnrolmentSchema,
  totpRemoveInputSchema,
} from '@peytonix/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../platform/http/app-error.ts';
import { requestContext } from '../../../platform/http/authentication.ts';
import { PERMISSION_CATALOGUE } from '../../access/permissions.ts';
import type { UserActor } from '../actor.ts';
import type { ApiTokenSummary } from '../api-tokens/api-tokens.service.ts';
import type { AuthServices } from '../identity-services.ts';

function toApiToken(token: ApiTokenSummary) {
  return {
    id: token.id,
    name: token.name,
    permissions: token.permissions,
    createdAt: token.createdAt.toISOString(),
    expiresAt: token.expiresAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}

/** Self-service routes of the signed-in user. API tokens cannot call them. */
export function registerAccountRoutes(app: FastifyInstance, auth: AuthServices) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  const sessionActor = async (request: FastifyRequest): Promise<UserActor> => {
    const actor = await app.requireActor(request);
    if (actor.type !== 'user' || actor.credential?.kind !== 'session') {
      throw new AppError('FORBIDDEN', { detail: 'This route needs a signed-in session.' });
    }
    return actor;
  };
  const enrolment = {
    onRequest: app.authenticate,
    config: { allowEnrolmentOnly: true, permission: 'self' },
  };
  const signedIn = { onRequest: app.authenticate, config: { permission: 'self' } };

  routes.get(
    '/api/v1/account',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'The signed-in user and their second factors',
        response: { 200: accountSchema },
      },
    },
    async (request) => await auth.account.overview(await sessionActor(request)),
  );

  routes.post(
    '/api/v1/account/password',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Change your password',
        description: 'Revokes every other session of the user.',
        body: changePasswordInputSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = await sessionActor(request);
      await auth.account.changePassword(
        actor,
        request.body.currentPassword,
        request.body.newPassword,
        requestContext(request),
      );
      return reply.code(204).send(null);
    },
  );

  routes.post(
    '/api/v1/account/mfa/totp',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'Start TOTP enrolment',
        description:
          'Returns the otpauth:// URI and an SVG QR code. Enrolment completes with the first valid code.',
        response: { 200: totpEnrolmentSchema },
      },
    },
    async (request) =>
      await auth.account.beginTotp(await sessionActor(request), requestContext(request)),
  );

  routes.post(
    '/api/v1/account/mfa/totp/confirm',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'Confirm TOTP enrolment with a first code',
        description:
          'Returns ten single-use recovery codes, shown once. An enrolment-only session becomes a full one.',
        body: totpConfirmInputSchema,
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => ({
      recoveryCodes: await auth.account.confirmTotp(
        await sessionActor(request),
        request.body.code,
        requestContext(request),
      ),
    }),
  );

  routes.post(
    '/api/v1/account/mfa/totp/remove',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Remove your TOTP authenticator',
        description:
          'Needs the password again, and ends your other sessions. Without a second factor, the next sign-in can only enrol one when MFA is required.',
        body: totpRemoveInputSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await auth.account.removeTotp(
        await sessionActor(request),
        request.body.password,
        requestContext(request),
      );
      return reply.code(204).send(null);
    },
  );

  routes.post(
    '/api/v1/account/mfa/recovery-codes',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Replace your recovery codes',
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => ({
      recoveryCodes: await auth.account.regenerateRecoveryCodes(
        await sessionActor(request),
        requestContext(request),
      ),
    }),
  );

  routes.get(
    '/api/v1/account/sessions',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Your live sessions',
        response: { 200: sessionListSchema },
      },
    },
    async (request) => {
      const actor = await sessionActor(request);
      const current = actor.credential?.kind === 'session' ? actor.credential.sessionId : null;
      const sessions = await auth.account.listSessions(actor);
      return {
        items: sessions.map((session) => ({
          id: session.id,
          assurance: session.assurance,
          authMethods: session.auth_methods,
          createdAt: new Date(session.created_at).toISOString(),
          expiresAt: new Date(session.expires_at).toISOString(),
          lastSeenAt: new Date(session.last_seen_at).toISOString(),
          ipAddress: session.ip_address,
          userAgent: session.user_agent,
          current: session.id === current,
        })),
      };
    },
  );

  routes.delete(
    '/api/v1/account/sessions/:id',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Revoke one of your sessions',
        params: idParamsSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await auth.account.revokeOwnSession(
        await sessionActor(request),
        request.params.id,
        requestContext(request),
      );
      return reply.code(204).send(null);
    },
  );

  routes.post(
    '/api/v1/account/sessions/revoke-all',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'Sign out everywhere',
        description: 'Revokes every session of the user, this one included.',
        response: { 200: revokedSessionsSchema },
      },
    },
    async (request) => ({
      revoked: await auth.account.signOutEverywhere(
        await sessionActor(request),
        requestContext(request),
      ),
    }),
  );

  routes.get(
    '/api/v1/account/api-tokens/permissions',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Permissions an API token may carry',
        response: {
          200: z.object({
            items: z.array(z.object({ name: z.string(), description: z.string() })),
          }),
        },
      },
    },
    async (request) => {
      await sessionActor(request);
      return {
        items: Object.entries(PERMISSION_CATALOGUE).map(([name, { description }]) => ({
          name,
          description,
        })),
      };
    },
  );

  routes.get(
    '/api/v1/account/api-tokens',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Your personal API tokens',
        response: { 200: z.object({ items: z.array(apiTokenSchema) }) },
      },
    },
    async (request) => ({
      items: (await auth.apiTokens.list(await sessionActor(request))).map(toApiToken),
    }),
  );

  routes.post(
    '/api/v1/account/api-tokens',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Create a personal API token',
        description:
          'The token is shown once. It expires, can be revoked, and reaches only routes whose permission it names.',
        body: apiTokenInputSchema,
        response: { 201: createdApiTokenSchema },
      },
    },
    async (request, reply) => {
      const created = await auth.apiTokens.create(
        await sessionActor(request),
        request.body,
        requestContext(request),
      );
      return reply.code(201).send({ ...toApiToken(created), token: created.token });
    },
  );

  routes.delete(
    '/api/v1/account/api-tokens/:id',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Revoke a personal API token',
        params: idParamsSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await auth.apiTokens.revoke(
        await sessionActor(request),
        request.params.id,
        requestContext(request),
      );
      return reply.code(204).send(null);
    },
  );
}
