import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
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
    /**
     * What the route requires, declared on every route: a permission from
     * the access catalogue, `self` (any signed-in user, on their own
     * account) or `public` (no sign-in). Startup fails on a route without
     * one. A personal API token reaches only routes whose permission it
     * carries.
     */
    permission?: string;
  }
}

/**
 * The access module's checks of route declarations, passed in so the
 * platform does not import a module.
 */
export interface RouteAccessPolicy {
  /** True for a valid declaration: a catalogue permission, `self` or `public`. */
  isDeclaration(value: unknown): boolean;
  /**
   * Throw FORBIDDEN when the actor has the route's permission on no
   * entity at all. Services then check the loaded target's entity.
   */
  assertMayReach(
    actor: Actor,
    permission: string,
    route: string,
    context: RequestContext,
  ): Promise<void>;
}

/** Thrown at startup for a route that declares no valid access. */
export class RouteDeclarationError extends Error {}

/**
 * Refuse to start with a route that declares no access, or whose
 * declaration disagrees with its hooks: a `public` route must not
 * authenticate, and every other route must. Routes are checked when the
 * app is ready, after every onRoute hook (such as declarePublicRoutes) ran.
 */
export function requireRouteDeclarations(app: FastifyInstance, policy: RouteAccessPolicy) {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });

  app.addHook('onReady', async () => {
    const problems: string[] = [];
    for (const route of routes) {
      const declared = route.config?.permission;
      const where = `${String(route.method)} ${route.url}`;
      const hooks = [route.onRequest ?? []].flat();
      const authenticates = hooks.some((hook) => hook.name === AUTHENTICATE_HOOK_NAME);

      if (!policy.isDeclaration(declared)) {
        problems.push(`${where} declares no valid permission (${JSON.stringify(declared)})`);
      } else if (declared === 'public' && authenticates) {
        problems.push(`${where} is public but authenticates`);
      } else if (declared !== 'public' && !authenticates) {
        problems.push(`${where} requires ${String(declared)} but does not authenticate`);
      }
    }
    if (problems.length > 0) {
      throw new RouteDeclarationError(
        `Every route must declare config.permission: a catalogue permission, "self" or "public". ${problems.join('; ')}.`,
      );
    }
  });
}

/**
 * Declare every route that a third-party plugin registers in `scope` as
 * public, for plugins that serve static files (the web app, the API
 * reference) and cannot take a route config.
 */
export function declarePublicRoutes(scope: FastifyInstance) {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, permission: 'public' };
  });
}

/**
 * Apply the limits of the request's credential to the route: an
 * enrolment-only session reaches only enrolment routes, and an API token
 * only routes that declare a catalogue permission the token carries.
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
    if (
      permission === undefined ||
      permission === 'self' ||
      !credential.permissions.includes(permission)
    ) {
      throw new AppError('FORBIDDEN', {
        detail:
          permission === undefined || permission === 'self'
            ? `API tokens cannot call ${request.method} ${request.routeOptions.url ?? request.url}; use a signed-in session.`
            : `This API token does not carry the permission ${permission}. Create a token that names it.`,
      });
    }
  }
}

export function registerAuthentication(
  app: FastifyInstance,
  authenticate: Authenticator,
  policy: RouteAccessPolicy,
) {
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
    const permission = request.routeOptions.config.permission;
    if (permission !== undefined && permission !== 'self' && permission !== 'public') {
      await policy.assertMayReach(
        actor,
        permission,
        `${request.method} ${request.routeOptions.url ?? request.url}`,
        requestContext(request),
      );
    }
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
