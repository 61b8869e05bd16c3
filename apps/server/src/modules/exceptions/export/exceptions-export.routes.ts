import { PassThrough, type Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestContext } from '../../../platform/http/authentication.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import {
  DEFAULT_STALL_TIMEOUT_MS,
  type ExceptionExportRequest,
  type ExceptionExportService,
} from './exceptions-export.service.ts';
import type { ExportFile } from './export-file.ts';
import { exceptionExportQuerySchema, exportFilterOf } from './export-query.ts';

/**
 * Start an export and resolve once its file is open, with the body to send.
 * An error before that (404, 403, 422, 429) rejects, so it still becomes a
 * problem document. A later failure destroys the body, which the service
 * has already logged and audited, so the client sees the transfer break off.
 * The export is delivered when `response` has handed its last byte to the
 * operating system, and stalls while the response's buffer does not shrink.
 */
function openExport(
  exports: ExceptionExportService,
  actor: Actor,
  request: ExceptionExportRequest,
  context: RequestContext,
  response: Writable,
): Promise<{ file: ExportFile; body: PassThrough }> {
  const body = new PassThrough();

  return new Promise((resolve, reject) => {
    let opened = false;
    const openOutput = (file: ExportFile) => {
      opened = true;
      resolve({ file, body });
      return { stream: body, destination: response };
    };

    exports.exportExceptions(actor, request, openOutput, context).then(
      () => {
        if (!opened) reject(new Error('the export finished without opening its output'));
      },
      (error: unknown) => {
        if (!opened) reject(error);
      },
    );
  });
}

/** Register the download of a test's or a run's exceptions as CSV or XLSX. */
export function registerExceptionExportRoutes(
  app: FastifyInstance,
  exports: ExceptionExportService,
) {
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.get(
    '/api/v1/exceptions/export',
    {
      onRequest: app.authenticate,
      config: { permission: 'exceptions.read' },
      // A HEAD request would run and audit a whole export only to drop its body.
      exposeHeadRoute: false,
      schema: {
        tags: ['exceptions'],
        summary: 'Download the exceptions of a test or a run as CSV or XLSX',
        description: `Give format=csv or format=xlsx, and either entity and test (every exception of the test, with its current payload and the last run that flagged it) or run (the exceptions that run flagged, with the payload as it saw it). The body streams as an attachment. Text that a spreadsheet would read as a formula starts with an apostrophe. A transfer that breaks off means the export failed, as when the client read nothing for ${DEFAULT_STALL_TIMEOUT_MS / 1000} seconds. The audit trail records it as exceptions.exported with outcome failure.`,
        querystring: exceptionExportQuerySchema,
      },
    },
    async (request, reply) => {
      const actor = await app.requireActor(request);
      const exportRequest = {
        format: request.query.format,
        filter: exportFilterOf(request.query),
      };

      const { file, body } = await openExport(
        exports,
        actor,
        exportRequest,
        requestContext(request),
        reply.raw,
      );

      return reply
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
