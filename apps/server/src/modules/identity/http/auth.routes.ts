import {
  loginInputSchema,
  loginResultSchema,
  recoveryCodeLoginInputSchema,
  refreshInputSchema,
  setupPasswordInputSchema,
  signedInSchema,
  totpLoginInputSchema,
} from '@peytonix/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../platform/http/app-error.ts';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { AuthServices } from '../identity-services.ts';
import { spendRecoveryCode } from '../mfa/recovery-codes.ts';
import { checkTotpCode } from '../mfa/totp.ts';
import { looksLikeToken } from '../sessions/secret-tokens.ts';
import {
  assertSameOrigin,
  clearSessionCookies,
  type Delivery,
  REFRESH_COOKIE,
  sendIssuedTokens,
} from './token-delivery.ts';

const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** Public sign-in routes: password, second factor, refresh, logout, first password and JWKS. */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthServices) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const checkOrigin = (request: FastifyRequest, delivery: Delivery, required = false) => {
    if (delivery === 'cookie') assertSameOrigin(request, auth.config.publicOrigin, required);
  };

  routes.post(
    '/api/v1/auth/login',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Sign in with email and password',
        description:
          'Returns a session, or a challenge for the second factor. An unknown email and a wrong password get the same answer. Repeated failures per account and per client network are slowed down, then locked for a while (429).',
        body: loginInputSchema,
        response: { 200: loginResultSchema },
      },
    },
    async (request, reply) => {
      const { email, password, delivery } = request.body;
      checkOrigin(request, delivery);
      const result = await auth.login.signInWithPassword(email, password, requestContext(request));
      if (result.status === 'mfa_required') {
        return { ...result, expiresAt: result.expiresAt.toISOString() };
      }
      return sendIssuedTokens(reply, result.tokens, delivery);
    },
  );

  routes.post(
    '/api/v1/auth/login/totp',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Finish sign-in with a TOTP code',
        description:
          'Each code is accepted once: the same code, or an older one, is rejected on every server.',
        body: totpLoginInputSchema,
        response: { 200: signedInSchema },
      },
    },
    async (request, reply) => {
      const { mfaToken, code, delivery } = request.body;
      checkOrigin(request, delivery);
      const dataKeys = await auth.dataKeys();
      const tokens = await auth.login.completeSecondFactor(
        mfaToken,
        'totp',
        requestContext(request),
        async (tx, userId) => {
          const check = await checkTotpCode(tx, dataKeys, userId, code, { requireConfirmed: true });
          return check === 'accepted' ? { ok: true } : { ok: false, reasonCode: `totp_${check}` };
        },
      );
      return sendIssuedTokens(reply, tokens, delivery);
    },
  );

  routes.post(
    '/api/v1/auth/login/recovery-code',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Finish sign-in with a single-use recovery code',
        body: recoveryCodeLoginInputSchema,
        response: { 200: signedInSchema },
      },
    },
    async (request, reply) => {
      const { mfaToken, code, delivery } = request.body;
      checkOrigin(request, delivery);
      const tokens = await auth.login.completeSecondFactor(
        mfaToken,
        'recovery_code',
        requestContext(request),
        async (tx, userId) =>
          (await spendRecoveryCode(tx, userId, code))
            ? { ok: true }
            : { ok: false, reasonCode: 'recovery_code_invalid' },
      );
      return sendIssuedTokens(reply, tokens, delivery);
    },
  );

  routes.post(
    '/api/v1/auth/refresh',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Exchange a refresh token for new tokens',
        description:
          'Refresh tokens rotate on every use. Presenting one that was already used revokes the whole session. With cookie delivery the token comes from its cookie.',
        body: refreshInputSchema,
        response: { 200: signedInSchema },
      },
    },
    async (request, reply) => {
      const { delivery } = request.body;
      checkOrigin(request, delivery, true);
      const presented =
        delivery === 'body' ? request.body.refreshToken : request.cookies[REFRESH_COOKIE];
      if (!looksLikeToken(presented)) {
        throw new AppError('UNAUTHENTICATED', {
          detail:
            delivery === 'body'
              ? 'Send the refresh token from the sign-in response in refreshToken.'
              : 'The refresh cookie is missing. Sign in again.',
        });
      }
      const tokens = await auth.sessions.refresh(presented, requestContext(request));
      return sendIssuedTokens(reply, tokens, delivery);
    },
  );

  routes.post(
    '/api/v1/auth/logout',
    {
      onRequest: app.authenticate,
      config: { allowEnrolmentOnly: true, permission: 'self' },
      schema: {
        tags: ['authentication'],
        summary: 'Sign out of this session',
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = await app.requireActor(request);
      if (actor.type !== 'user' || actor.credential?.kind !== 'session') {
        throw new AppError('FORBIDDEN', {
          detail: 'Only a signed-in session can sign out; revoke API tokens instead.',
        });
      }
      await auth.sessions.logout(actor, actor.credential.sessionId, requestContext(request));
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  routes.post(
    '/api/v1/auth/setup',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Set the first password with a one-time setup secret',
        description:
          'The secret comes from `peytonix admin create` or from an administrator who created the account.',
        body: setupPasswordInputSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { setupSecret, password } = request.body;
      await auth.account.setPasswordWithSetupSecret(setupSecret, password, requestContext(request));
      return reply.code(204).send(null);
    },
  );

  for (const url of ['/api/v1/auth/jwks', '/.well-known/jwks.json']) {
    routes.get(
      url,
      {
        config: { permission: 'public' },
        schema: {
          tags: ['authentication'],
          summary: 'Public keys that verify access tokens (JWK Set)',
          response: { 200: jwksSchema },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=60');
        return await auth.keyRing.jwks();
      },
    );
  }
}
