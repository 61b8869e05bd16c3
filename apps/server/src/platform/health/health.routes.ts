import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../http/app-error.ts';
import { sendProblem } from '../http/problem-handler.ts';
import { evaluateReadiness, type ReadinessCheck } from './readiness.ts';

const checkResultSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail']),
  detail: z.string().optional(),
});

/**
 * Liveness reports that the process runs, and readiness that it can serve data. A
 * failing readiness check returns 503 problem+json naming the check, so a
 * load balancer stops routing traffic here.
 */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly ReadinessCheck[]) {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/health/live',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness probe',
        response: { 200: z.object({ status: z.literal('live') }) },
      },
    },
    async () => ({ status: 'live' as const }),
  );

  typed.get(
    '/health/ready',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness probe: database, migrations and job queue',
        response: {
          200: z.object({ status: z.literal('ready'), checks: z.array(checkResultSchema) }),
        },
      },
    },
    async (request, reply) => {
      const report = await evaluateReadiness(checks);
      reply.header('cache-control', 'no-store');
      if (!report.ready) {
        return sendProblem(
          request,
          reply,
          new AppError('SERVICE_UNAVAILABLE', {
            detail: `Not ready: the ${report.failedCheck} check failed.`,
            extensions: { failedCheck: report.failedCheck, checks: report.checks },
          }),
        );
      }
      return { status: 'ready' as const, checks: report.checks };
    },
  );
}
