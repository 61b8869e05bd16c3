import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { IdentityConfig } from '../../../platform/config/config.ts';
import { AppError, isAppError } from '../../../platform/http/app-error.ts';
import type { Authenticator } from '../../../platform/http/authentication.ts';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { SecurityEvents } from '../../audit-trail/security-events.ts';
import type { Actor } from '../actor.ts';
import { API_TOKEN_PREFIX, type ApiTokenService } from '../api-tokens/api-tokens.service.ts';
import { AccessTokenError, type AccessTokens } from '../sessions/access-tokens.ts';
import { looksLikeToken, tokenMatches } from '../sessions/secret-tokens.ts';
import type { SessionService } from '../sessions/session.service.ts';
import { ACCESS_COOKIE, CSRF_HEADER } from './token-delivery.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REJECTED =
  'The access token is not valid or its session has ended. Refresh it or sign in again.';

/**
 * Resolve the actor of a request from `Authorization: Bearer` (an access
 * token or a personal API token) or, without that header, from the
 * access-token cookie. Every accepted credential is checked against the
 * database on this request, so a revoked session or a suspended user is
 * rejected at once. When the database does not respond, the request fails
 * with 503 and no access.
 */
export function createRequestAuthenticator(deps: {
  identity: IdentityConfig;
  logger: Logger;
  accessTokens: AccessTokens;
  sessions: SessionService;
  apiTokens: ApiTokenService;
  securityEvents: SecurityEvents;
}): Authenticator {
  const reject = async (
    request: FastifyRequest,
    reasonCode: string,
    token: string,
  ): Promise<never> => {
    await deps.securityEvents.recordDenial({
      actor: { type: 'anonymous', channel: 'api' },
      action: 'auth.token_rejected',
      outcome: 'denied',
      reasonCode,
      context: requestContext(request),
      details: {
        credential: token,
        method: request.method,
        route: request.routeOptions.url ?? null,
      },
    });
    throw new AppError('UNAUTHENTICATED', {
      detail: REJECTED,
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  };

  /** Run a database check, turning any failure other than our own errors into 503. */
  const failClosed = async <T>(request: FastifyRequest, check: () => Promise<T>): Promise<T> => {
    try {
      return await check();
    } catch (error) {
      if (isAppError(error)) throw error;
      request.log.error({ err: error }, 'credential revalidation failed; request denied');
      throw new AppError('DATABASE_UNAVAILABLE', {
        detail:
          'The session could not be checked because the database did not answer. Retry shortly.',
        internal: error,
      });
    }
  };

  const fromApiToken = async (request: FastifyRequest, token: string): Promise<Actor> => {
    if (!looksLikeToken(token, API_TOKEN_PREFIX))
      return await reject(request, 'api_token_malformed', 'api');
    const principal = await failClosed(request, () => deps.apiTokens.authenticate(token));
    if (principal === null) return await reject(request, 'api_token_not_live', 'api');
    return {
      type: 'user',
      userId: principal.userId,
      email: principal.email,
      channel: 'api',
      grantsVersion: principal.grantsVersion,
      heldRoles: principal.heldRoles,
      credential: {
        kind: 'api_token',
        tokenId: principal.tokenId,
        permissions: principal.permissions,
      },
    };
  };

  const fromAccessToken = async (
    request: FastifyRequest,
    token: string,
    transport: 'cookie' | 'bearer',
  ): Promise<Actor> => {
    let claims: { userId: string; sessionId: string };
    try {
      claims = await deps.accessTokens.verify(token);
    } catch (error) {
      if (!(error instanceof AccessTokenError)) throw error;
      if (error.reason === 'expired') {
        // Expiry is routine: the client refreshes. It is not audited.
        throw new AppError('UNAUTHENTICATED', {
          detail: 'The access token has expired. Refresh it.',
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        });
      }
      request.log.info({ reason: error.reason }, 'access token rejected');
      return await reject(request, `access_token_${error.reason}`, 'access');
    }

    const session = await failClosed(request, () =>
      deps.sessions.revalidate(claims.sessionId, claims.userId),
    );
    if (session === null) return await reject(request, 'session_not_live', 'access');

    if (transport === 'cookie' && !SAFE_METHODS.has(request.method)) {
      const origin = request.headers.origin;
      if (origin !== deps.identity.publicOrigin) {
        return await rejectCsrf(request, 'origin_mismatch', session.userId);
      }
      const csrf = request.headers[CSRF_HEADER];
      if (
        typeof csrf !== 'string' ||
        !looksLikeToken(csrf) ||
        !tokenMatches(csrf, session.csrfSha256)
      ) {
        return await rejectCsrf(request, 'csrf_token_invalid', session.userId);
      }
    }

    return {
      type: 'user',
      userId: session.userId,
      email: session.email,
      channel: 'api',
      grantsVersion: session.grantsVersion,
      heldRoles: session.heldRoles,
      credential: {
        kind: 'session',
        sessionId: session.sessionId,
        assurance: session.assurance,
        transport,
      },
    };
  };

  const rejectCsrf = async (
    request: FastifyRequest,
    reasonCode: string,
    userId: string,
  ): Promise<never> => {
    await deps.securityEvents.recordDenial({
      actor: { type: 'user', userId, email: '', channel: 'api' },
      action: 'auth.token_rejected',
      outcome: 'denied',
      reasonCode,
      context: requestContext(request),
      details: {
        credential: 'csrf',
        method: request.method,
        route: request.routeOptions.url ?? null,
      },
    });
    throw new AppError('CSRF_REJECTED', {
      detail: `A request authenticated by cookie must come from ${deps.identity.publicOrigin} and carry the session's X-CSRF-Token header.`,
    });
  };

  return async (request) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      // The scheme name is case-insensitive (RFC 9110, section 11.1).
      const match = /^bearer ([\x21-\x7E]+)$/i.exec(authorization);
      if (match?.[1] === undefined) {
        throw new AppError('UNAUTHENTICATED', {
          detail: 'The Authorization header must be "Bearer <token>" with one token.',
          headers: { 'www-authenticate': 'Bearer error="invalid_request"' },
        });
      }
      const token = match[1];
      return token.startsWith(API_TOKEN_PREFIX)
        ? await fromApiToken(request, token)
        : await fromAccessToken(request, token, 'bearer');
    }

    const cookie = request.cookies[ACCESS_COOKIE];
    if (cookie !== undefined && cookie !== '') {
      return await fromAccessToken(request, cookie, 'cookie');
    }
    return null;
  };
}
