import {
  changeRequestSchema,
  settingChangeInputSchema,
  settingListSchema,
  settingParamsSchema,
} from '@peytonix/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../platform/http/authentication.ts';
import type { SettingsService } from './settings.service.ts';

/** Register the settings routes: read the settings, and request changes for approval. */
export function registerSettingRoutes(app: FastifyInstance, settings: SettingsService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/settings',
    {
      onRequest: app.authenticate,
      config: { permission: 'settings.read' },
      schema: {
        tags: ['settings'],
        summary: 'Every platform setting with its value, default and version',
        response: { 200: settingListSchema },
      },
    },
    async (request) => ({ items: await settings.list(await app.requireActor(request)) }),
  );

  routes.post(
    '/api/v1/settings/:key/change-requests',
    {
      onRequest: app.authenticate,
      config: { permission: 'settings.request' },
      schema: {
        tags: ['settings'],
        summary: 'Request a new value for a setting',
        description:
          'Creates a setting.update change request; the value applies when another person approves it.',
        params: settingParamsSchema,
        body: settingChangeInputSchema,
        response: { 201: changeRequestSchema },
      },
    },
    async (request, reply) => {
      const created = await settings.requestChange(
        await app.requireActor(request),
        request.params.key,
        request.body,
        requestContext(request),
      );
      return reply.code(201).send(created);
    },
  );
}
