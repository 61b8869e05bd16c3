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
    /**
     * onRequest hook for protected routes: resolve the actor before the
     * request is parsed or validated, and throw UNAUTHENTICATED (401) when
     * there is none, so an anonymous caller learns nothing from validation.
     */
    authenticate(request: FastifyRequest): Promise<void>;
    /** Return the request's actor; throws UNAUTHENTICATED (401) when there is none. */
    requireActor(request: FastifyRequest): Promise<Actor>;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator) {
  const resolve = async (request: FastifyRequest): Promise<Actor> => {
    const actor = request.actor ?? (await authenticate(request));
    if (actor === null) {
      throw new AppError('UNAUTHENTICATED', {
        detail: 'This endpoint needs a signed-in session, and the request carried none.',
      });
    }
    request.actor = actor;
    request.actorId = actor.type === 'user' ? actor.userId : actor.type;
    return actor;
  };

  app.decorateRequest('actor', null);
  app.decorate('authenticate', async (request: FastifyRequest) => {
    await resolve(request);
  });
  app.decorate('requireActor', resolve);
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
