import type { FastifyInstance } from 'fastify';
import { isDatabaseUnavailableError } from '../db/connection-errors.ts';
import { AppError } from './app-error.ts';

const CURRENT_FOR_MS = 5_000;

/**
 * Refuse every /api/v1 request with 503 unless the database responds and its
 * schema is the one this build expects. A success is remembered for a few
 * seconds, so the check costs one query per interval, not per request.
 */
export function registerSchemaGate(app: FastifyInstance, checkSchemaCurrent: () => Promise<void>) {
  let currentUntil = 0;

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/v1/')) return;
    if (Date.now() < currentUntil) return;

    try {
      await checkSchemaCurrent();
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw error;
      throw new AppError('SCHEMA_NOT_CURRENT', {
        detail:
          'The database schema does not match this server version. Retry after the operator runs peytonix migrate.',
        internal: error,
        headers: { 'retry-after': '30' },
      });
    }
    currentUntil = Date.now() + CURRENT_FOR_MS;
  });
}
