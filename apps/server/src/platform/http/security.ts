import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { AppError } from './app-error.ts';

/**
 * Security headers and per-client rate limiting. The content security
 * policy allows only same-origin scripts, so the web app and the API
 * reference page load nothing from elsewhere.
 */
export async function registerSecurity(app: FastifyInstance, config: Config) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...storageOrigins(config)],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });

  await app.register(rateLimit, {
    global: true,
    max: config.http.rateLimit.max,
    timeWindow: config.http.rateLimit.windowMs,
    allowList: (request) => request.url === '/health/live',
    errorResponseBuilder: (_request, context) =>
      new AppError('RATE_LIMITED', {
        detail: `More than ${context.max} requests in ${context.after}. Retry after that interval.`,
        headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
      }),
  });
}

/**
 * Origins the browser must reach to upload and download objects: none for
 * local storage, whose signed URLs point at this server, and the bucket's
 * endpoint for S3 (virtual-hosted on AWS, the configured endpoint for an
 * S3-compatible server). The bucket's CORS rules must allow this app too.
 */
export function storageOrigins(config: Config): string[] {
  const storage = config.storage;
  if (storage.kind !== 's3') return [];
  if (storage.endpoint !== undefined) return [new URL(storage.endpoint).origin];
  // The SDK addresses a bucket whose name contains a dot by path, since
  // such a name breaks the wildcard certificate of the virtual host.
  return storage.bucket.includes('.')
    ? [`https://s3.${storage.region}.amazonaws.com`]
    : [`https://${storage.bucket}.s3.${storage.region}.amazonaws.com`];
}
