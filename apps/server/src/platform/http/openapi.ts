import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { AUTHENTICATE_HOOK_NAME, declarePublicRoutes } from './authentication.ts';

export const OPENAPI_PATH = '/api/openapi.json';
export const API_REFERENCE_PATH = '/api/docs';

/**
 * OpenAPI 3.1 generated from the routes' zod schemas, served as JSON and as
 * a reference page whose assets come from the installed package.
 */
export async function registerOpenApi(app: FastifyInstance, version: string) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Peytonix API',
        version,
        description:
          'Internal-audit and controls-testing platform. Errors are application/problem+json (RFC 9457) with a stable code and the request id.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An access token (EdDSA JWT) from sign-in, or a personal API token (ptx_...).',
          },
          cookie: {
            type: 'apiKey',
            in: 'cookie',
            name: '__Host-peytonix-access',
            description:
              'The browser session cookie. State-changing requests also need Origin and X-CSRF-Token.',
          },
        },
      },
    },
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      const hooks = [input.route.onRequest ?? []].flat();
      if (!hooks.some((hook) => hook.name === AUTHENTICATE_HOOK_NAME)) return transformed;
      return {
        ...transformed,
        schema: { ...transformed.schema, security: [{ bearer: [] }, { cookie: [] }] },
      };
    },
  });

  await app.register(async (scope) => {
    declarePublicRoutes(scope);
    await scope.register(swaggerUi, {
      routePrefix: API_REFERENCE_PATH,
      staticCSP: true,
      uiConfig: { url: OPENAPI_PATH, docExpansion: 'list', deepLinking: false },
    });
  });

  app.get(OPENAPI_PATH, { schema: { hide: true }, config: { permission: 'public' } }, async () =>
    app.swagger(),
  );
}
