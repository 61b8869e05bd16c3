import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { declarePublicRoutes } from './authentication.ts';

/**
 * Serve the built single-page app from `root`. Paths under /api and /health
 * keep their problem+json 404; any other GET for HTML gets index.html, so
 * client-side routes survive a reload.
 */
export async function registerWebApp(app: FastifyInstance, root: string): Promise<boolean> {
  if (!existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'web app is not built; run npm run build -w @peytonix/web');
    return false;
  }

  // In one scope, so the static routes are declared public and the
  // catch-all route can use sendFile.
  await app.register(async (scope) => {
    declarePublicRoutes(scope);
    await scope.register(fastifyStatic, { root, wildcard: false, index: ['index.html'] });
    scope.get('/*', { config: { permission: 'public' } }, (request, reply) => {
      const isApi = request.url.startsWith('/api/') || request.url.startsWith('/health/');
      const acceptsHtml = (request.headers.accept ?? '').includes('text/html');
      if (isApi || !acceptsHtml) {
        return reply.callNotFound();
      }
      return reply.sendFile('index.html');
    });
  });
  return true;
}
