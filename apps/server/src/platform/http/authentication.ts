import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, RequestContext } from '../../modules/identity/actor.ts';
import { AppError } from './app-error.ts';

/** Resolves the actor behind a request, or null when it carries no valid session. */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | null>;

/**
 * The authenticator until sessions exist: no request is authenticated, so
 * every protected route returns 401. Failing closed is the point.
 * NOTE: no session verification exists yet; it replaces this default.
 */
export const noSessions: Authenticator = async () => null;

declare module 'fastify' {
  interface FastifyInstance {
    /** The request's actor; throws UNAUTHENTICATED (401) when there is none. */
    requireActor(request: FastifyRequest): Promise<Actor>;
  }
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator) {
  app.decorate('requireActor', async (request: FastifyRequest) => {
    const actor = await authenticate(request);
    if (actor === null) {
      throw new AppError('UNAUTHENTICATED', {
        detail:
          'This endpoint needs a signed-in session. Sign in and send the access token as a Bearer token.',
      });
    }
    request.actorId = actor.type === 'user' ? actor.userId : actor.type;
    return actor;
  });
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Collect the request metadata that audit events record. */
export function requestContext(request: FastifyRequest): RequestContext {
  const correlationId = request.headers['x-correlation-id'];
  const userAgent = request.headers['user-agent'];
  return {
    requestId: request.id,
    ipAddress: request.ip,
    ...(typeof correlationId === 'string' && CORRELATION_ID.test(correlationId)
      ? { correlationId }
      : {}),
    ...(typeof userAgent === 'string' ? { userAgent } : {}),
  };
}
