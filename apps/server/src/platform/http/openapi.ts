import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

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
    },
    transform: jsonSchemaTransform,
  });

  await app.register(swaggerUi, {
    routePrefix: API_REFERENCE_PATH,
    staticCSP: true,
    uiConfig: { url: OPENAPI_PATH, docExpansion: 'list', deepLinking: false },
  });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
