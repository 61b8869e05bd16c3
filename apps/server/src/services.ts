import type { Logger } from 'pino';
import {
  type AuditTrailReader,
  createAuditTrailReader,
} from './modules/audit-trail/audit-reader.service.ts';
import {
  createSecurityEvents,
  type SecurityEvents,
} from './modules/audit-trail/security-events.ts';
import {
  createDatasetsService,
  type DatasetsService,
} from './modules/datasets/datasets.service.ts';
import {
  createEntitiesService,
  type EntitiesService,
} from './modules/entities/entities.service.ts';
import {
  createIdentityService,
  type IdentityService,
} from './modules/identity/identity.service.ts';
import { type AuthServices, createAuthServices } from './modules/identity/identity-services.ts';
import type { ThrottlePolicy } from './modules/identity/login/login-throttle.ts';
import { createRunsService, type RunsService } from './modules/runs/runs.service.ts';
import {
  createTestDefinitionsService,
  type TestDefinitionsService,
} from './modules/tests/test-definitions.service.ts';
import type { IdentityConfig } from './platform/config/config.ts';
import type { Db } from './platform/db/database.ts';
import type { DataKeyProvider } from './platform/keys/data-key-provider.ts';
import type { SigningKey } from './platform/keys/signing-key.ts';
import type { ObjectStorage } from './platform/storage/object-storage.ts';

/** Every module's service, built once per process from the shared dependencies. */
export interface Services {
  identity: IdentityService;
  auth: AuthServices;
  datasets: DatasetsService;
  runs: RunsService;
  testDefinitions: TestDefinitionsService;
  entities: EntitiesService;
  auditTrail: AuditTrailReader;
  securityEvents: SecurityEvents;
  /** Write what is still buffered (suppressed denial counts) and stop timers. */
  close(): Promise<void>;
}

export interface ServiceDeps {
  db: Db;
  logger: Logger;
  /** The checkpoint signing key; opened on first use. */
  checkpointKey: () => Promise<SigningKey>;
  identity: IdentityConfig;
  /** The envelope-encryption provider for sealed secrets; opened on first use. */
  dataKeys: () => Promise<DataKeyProvider>;
  /** Object storage for dataset files; opened on first use. */
  storage: () => Promise<ObjectStorage>;
  /** Directory for temporary work files such as imports in progress. */
  workRoot: string;
  /** Send a queued run to the job queue; absent where nothing dispatches, as in some tests. */
  dispatchRun?: (runId: string) => Promise<void>;
  /** Overrides the sign-in throttle, for tests that cannot wait minutes. */
  throttlePolicy?: ThrottlePolicy;
}

export function createServices(deps: ServiceDeps): Services {
  const securityEvents = createSecurityEvents(deps);
  return {
    identity: createIdentityService(deps),
    auth: createAuthServices({ ...deps, securityEvents }),
    datasets: createDatasetsService({ ...deps, securityEvents }),
    runs: createRunsService({ ...deps, securityEvents }),
    testDefinitions: createTestDefinitionsService(deps),
    entities: createEntitiesService({ ...deps, securityEvents }),
    auditTrail: createAuditTrailReader({ ...deps, securityEvents }),
    securityEvents,
    close: () => securityEvents.close(),
  };
}
