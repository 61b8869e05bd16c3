import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, RequestContext } from '../../modules/identity/actor.ts';
import { AppError } from './app-error.ts';

/** Name of the onRequest hook that protected routes use. */
export const AUTHENTICATE_HOOK_NAME = 'authenticateRequest';

/** Resolves the actor behind a request, or null when it carries no credential at all. */
export type Authenticator = (request: FastifyRequest) => Promise<Actor | null>;

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
  interface FastifyContextConfig {
    /** The route serves sessions that may only enrol a second factor. */
    allowEnrolmentOnly?: boolean;
    /** The permission a personal API token must carry to call this route. */
    permission?: string;
  }
}

/**
 * Apply the limits of the request's credential to the route: an
 * enrolment-only session reaches only enrolment routes, and an API token
 * only routes that declare a permission the token carries.
 */
function assertCredentialReachesRoute(request: FastifyRequest, actor: Actor) {
  if (actor.type !== 'user' || actor.credential === undefined) return;
  const config = request.routeOptions.config;
  const credential = actor.credential;

  if (
    credential.kind === 'session' &&
    credential.assurance === 'enrolment_only' &&
    config.allowEnrolmentOnly !== true
  ) {
    throw new AppError('MFA_ENROLMENT_REQUIRED', {
      detail:
        'Enrol a second factor first: POST /api/v1/account/mfa/totp or /api/v1/account/passkeys/options. Until then this session reaches only enrolment routes.',
    });
  }
  if (credential.kind === 'api_token') {
    const permission = config.permission;
    if (permission === undefined || !credential.permissions.includes(permission)) {
      throw new AppError('FORBIDDEN', {
        detail:
          permission === undefined
            ? `API tokens cannot call ${request.method} ${request.routeOptions.url ?? request.url}; use a signed-in session.`
            : `This API token does not carry the permission ${permission}. Create a token that names it.`,
      });
    }
  }
}

export function registerAuthentication(app: FastifyInstance, authenticate: Authenticator) {
  const resolve = async (request: FastifyRequest): Promise<Actor> => {
    const actor = request.actor ?? (await authenticate(request));
    if (actor === null) {
      throw new AppError('UNAUTHENTICATED', {
        detail:
          'This endpoint needs a signed-in session or an API token, and the request carried none.',
        headers: { 'www-authenticate': 'Bearer realm="peytonix"' },
      });
    }
    request.actor = actor;
    request.actorId = actor.type === 'user' ? actor.userId : actor.type;
    assertCredentialReachesRoute(request, actor);
    return actor;
  };

  // Named, so the OpenAPI transform can tell protected routes by their hook.
  async function authenticateRequest(request: FastifyRequest) {
    await resolve(request);
  }
  app.decorateRequest('actor', null);
  app.decorate('authenticate', authenticateRequest);
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
