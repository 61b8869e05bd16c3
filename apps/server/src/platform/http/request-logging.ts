import type { FastifyInstance } from 'fastify';

/**
 * Log one line per response, at a level chosen by outcome: 5xx error,
 * 4xx warn, otherwise info. Health probes log at debug, because load
 * balancers call them every few seconds.
 */
export function registerRequestLogging(app: FastifyInstance) {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const fields = {
      method: request.method,
      url: request.routeOptions.url ?? request.url.split('?')[0],
      statusCode: status,
      durationMs: Math.round(reply.elapsedTime),
      actor: request.actorId ?? null,
    };
    if (status >= 500) {
      request.log.error(fields, 'request completed');
    } else if (status >= 400) {
      request.log.warn(fields, 'request completed');
    } else if (request.url.startsWith('/health/')) {
      request.log.debug(fields, 'request completed');
    } else {
      request.log.info(fields, 'request completed');
    }
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Id of the authenticated actor, once the identity hook has run. */
    actorId?: string;
  }
}
