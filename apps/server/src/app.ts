import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerGrantRoutes } from './modules/access/grants.routes.ts';
import { createRouteAccessPolicy } from './modules/access/route-access.ts';
import { registerAuditTrailRoutes } from './modules/audit-trail/audit-trail.routes.ts';
import { registerSignedExportRoutes } from './modules/audit-trail/export/signed-export.routes.ts';
import { registerChangeRequestRoutes } from './modules/changes/change-requests.routes.ts';
import { registerDatasetUploadRoutes } from './modules/datasets/dataset-uploads.routes.ts';
import { registerDatasetRoutes } from './modules/datasets/datasets.routes.ts';
import { registerEntityRoutes } from './modules/entities/entities.routes.ts';
import { registerEvidenceRoutes } from './modules/evidence/evidence.routes.ts';
import { registerExceptionRoutes } from './modules/exceptions/exceptions.routes.ts';
import { registerExceptionExportRoutes } from './modules/exceptions/export/exceptions-export.routes.ts';
import { registerSignOffRoutes } from './modules/exceptions/sign-offs/sign-offs.routes.ts';
import { registerExceptionSummaryRoutes } from './modules/exceptions/summaries/exception-summaries.routes.ts';
import { registerAccountRoutes } from './modules/identity/http/account.routes.ts';
import { registerAuthRoutes } from './modules/identity/http/auth.routes.ts';
import { registerPasskeyRoutes } from './modules/identity/http/passkey.routes.ts';
import { createRequestAuthenticator } from './modules/identity/http/request-authenticator.ts';
import { registerUserRoutes } from './modules/identity/http/users.routes.ts';
import { registerIdentityRoutes } from './modules/identity/identity.routes.ts';
import { registerRunRoutes } from './modules/runs/runs.routes.ts';
import { registerSettingRoutes } from './modules/settings/settings.routes.ts';
import { registerTestRoutes } from './modules/tests/tests.routes.ts';
import type { Config } from './platform/config/config.ts';
import type { Db } from './platform/db/database.ts';
import type { MigrationFile } from './platform/db/migrations.ts';
import { registerHealthRoutes } from './platform/health/health.routes.ts';
import { checkSchemaCurrent } from './platform/health/platform-checks.ts';
import type { ReadinessCheck } from './platform/health/readiness.ts';
import { AppError } from './platform/http/app-error.ts';
import {
  type Authenticator,
  registerAuthentication,
  requireRouteDeclarations,
} from './platform/http/authentication.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import { registerProblemHandler, sendProblem } from './platform/http/problem-handler.ts';
import { generateRequestId } from './platform/http/request-id.ts';
import { registerRequestLogging } from './platform/http/request-logging.ts';
import { registerSchemaGate } from './platform/http/schema-gate.ts';
import { registerSecurity } from './platform/http/security.ts';
import { registerWebApp } from './platform/http/web-app.ts';
import { registerObjectUrlRoutes } from './platform/storage/object-url.routes.ts';
import type { Services } from './services.ts';
import { PEYTONIX_VERSION } from './version.ts';

export interface AppDeps {
  logger: Logger;
  db: Db;
  services: Services;
  migrationFiles: MigrationFile[];
  readinessChecks: readonly ReadinessCheck[];
  /** Directory of the built web app; omitted in API-only tests. */
  webRoot?: string;
  /** Route registrations; defaults to every module's routes. */
  routeModules?: readonly RouteModule[];
  /** Resolves request actors; defaults to sessions, access tokens and API tokens. */
  authenticate?: Authenticator;
}

/** Registers one module's routes against its services. */
export type RouteModule = (app: FastifyInstance, services: Services) => void;

export const ROUTE_MODULES: readonly RouteModule[] = [
  (app, services) => registerIdentityRoutes(app, services.identity),
  (app, services) => registerAuthRoutes(app, services.auth),
  (app, services) => registerAccountRoutes(app, services.auth),
  (app, services) => registerUserRoutes(app, services.auth),
  (app, services) => registerPasskeyRoutes(app, services.auth),
  (app, services) => registerAuditTrailRoutes(app, services.auditTrail),
  (app, services) => registerSignedExportRoutes(app, services.auditExports),
  (app, services) => registerDatasetRoutes(app, services.datasets),
  (app, services) => registerDatasetUploadRoutes(app, services.datasetUploads),
  (app, services) => registerRunRoutes(app, services.runs),
  (app, services) => registerTestRoutes(app, services.testDefinitions),
  (app, services) => registerEntityRoutes(app, services.entities),
  (app, services) => registerGrantRoutes(app, services.grants),
  (app, services) => registerSettingRoutes(app, services.settings),
  (app, services) => registerChangeRequestRoutes(app, services.changeRequests),
  (app, services) => registerExceptionExportRoutes(app, services.exceptionExports),
  (app, services) => registerExceptionRoutes(app, services.exceptions),
  (app, services) => registerSignOffRoutes(app, services.signOffs),
  (app, services) => registerExceptionSummaryRoutes(app, services.exceptionSummaries),
  (app, services) => registerEvidenceRoutes(app, services.evidence),
  (app, services) => registerObjectUrlRoutes(app, services.storage),
];

/** Trust the nearest `hops` proxies, as proxy-addr does for a number. */
function trustHops(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

/**
 * Build the HTTP application without listening, so tests can drive it with
 * `inject` and the CLI can call `listen`.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify's own request lines are off; registerRequestLogging writes one per response.
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'requestId',
    }),
    genReqId: generateRequestId,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy:
      typeof config.http.trustProxy === 'number'
        ? trustHops(config.http.trustProxy)
        : config.http.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    // A URL the router cannot decode never reaches the error handler or
    // the onSend hook, so this sets the request id header itself.
    frameworkErrors: (error, request, reply) =>
      sendProblem(
        request,
        reply.header('x-request-id', request.id),
        new AppError('VALIDATION_FAILED', {
          detail:
            'The request URL is not valid percent-encoding. Encode the path correctly and retry.',
          internal: error,
        }),
      ),
  }).withTypeProvider<ZodTypeProvider>();

  // First, so that every route registered after it must declare its access.
  const routeAccessPolicy = createRouteAccessPolicy(deps.services);
  requireRouteDeclarations(app, routeAccessPolicy);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  registerProblemHandler(app);
  registerRequestLogging(app);
  await registerSecurity(app, config);
  await registerOpenApi(app, PEYTONIX_VERSION);
  registerSchemaGate(app, () => checkSchemaCurrent(deps.db, deps.migrationFiles));

  await app.register(cookie);
  registerAuthentication(
    app,
    deps.authenticate ??
      createRequestAuthenticator({
        identity: deps.services.auth.config,
        logger: deps.logger,
        accessTokens: deps.services.auth.accessTokens,
        sessions: deps.services.auth.sessions,
        apiTokens: deps.services.auth.apiTokens,
        securityEvents: deps.services.securityEvents,
      }),
    routeAccessPolicy,
  );
  registerHealthRoutes(app, deps.readinessChecks);
  for (const registerRoutes of deps.routeModules ?? ROUTE_MODULES) {
    registerRoutes(app, deps.services);
  }

  if (deps.webRoot) {
    await registerWebApp(app, deps.webRoot);
  }

  await app.ready();
  return app;
}
