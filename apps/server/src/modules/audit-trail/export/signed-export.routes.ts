import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import {
  DEFAULT_SIGNED_EXPORT_STALL_MS,
  type SignedExportFile,
  type SignedExportService,
} from './signed-export.service.ts';

/**
 * Start a signed export and resolve once its file is open, with the body to
 * send. An error before that (403, 429, 503) rejects, so it still becomes a
 * problem document. A later failure destroys the body, which the service
 * has already logged and audited, so the client sees the transfer break off.
 */
function openSignedExport(
  exports: SignedExportService,
  actor: Actor,
  context: RequestContext,
  response: Writable,
): Promise<{ file: SignedExportFile; body: PassThrough }> {
  const body = new PassThrough();

  return new Promise((resolve, reject) => {
    let opened = false;
    const openOutput = (file: SignedExportFile) => {
      opened = true;
      resolve({ file, body });
      return { stream: body, destination: response };
    };

    exports.exportSignedTrail(actor, openOutput, context).then(
      () => {
        if (!opened) reject(new Error('the signed export finished without opening its output'));
      },
      (error: unknown) => {
        if (!opened) reject(error);
      },
    );
  });
}

/** Register the signed export of the whole audit trail. */
export function registerSignedExportRoutes(app: FastifyInstance, exports: SignedExportService) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/audit/export',
    {
      onRequest: app.authenticate,
      config: { permission: 'audit_trail.read' },
      // A HEAD request would sign, read and audit a whole export only to drop its body.
      exposeHeadRoute: false,
      schema: {
        tags: ['audit trail'],
        summary: 'Download the whole audit trail as a signed export',
        querystring: z.strictObject({}),
        description: `Needs the administrator or management role on the organization root; a grant on a subtree gets 403. Signs a checkpoint over any unsigned events first, then streams JSON Lines from one snapshot: every event up to the newest signed checkpoint, then every checkpoint up to that tree size, in the format that peytonix audit verify --export checks. X-Audit-Tree-Size gives the number of events. A transfer that breaks off means the export failed, as when the client read nothing for ${DEFAULT_SIGNED_EXPORT_STALL_MS / 1000} seconds. The audit trail records each export as audit.exported with outcome success or failure.`,
      },
    },
    async (request, reply) => {
      const actor = await app.requireActor(request);
      const { file, body } = await openSignedExport(
        exports,
        actor,
        requestContext(request),
        reply.raw,
      );

      return reply
        .header('content-type', 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('cache-control', 'no-store')
        .header('x-audit-tree-size', String(file.treeSize))
        .send(body);
    },
  );
}
