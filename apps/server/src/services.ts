import type { Logger } from 'pino';
import { type AccessControl, createAccessControl } from './modules/access/access-control.ts';
import { createGrantChangeKinds } from './modules/access/grant-changes.ts';
import { createGrantsService, type GrantsService } from './modules/access/grants.service.ts';
import {
  createSeparationOfDuties,
  type SeparationOfDuties,
} from './modules/access/separation-of-duties.ts';
import {
  type AuditTrailReader,
  createAuditTrailReader,
} from './modules/audit-trail/audit-reader.service.ts';
import {
  createSecurityEvents,
  type SecurityEvents,
} from './modules/audit-trail/security-events.ts';
import {
  type ChangeRequestsService,
  createChangeRequestsService,
} from './modules/changes/change-requests.service.ts';
import {
  createDatasetsService,
  type DatasetsService,
} from './modules/datasets/datasets.service.ts';
import {
  createEntitiesService,
  type EntitiesService,
} from './modules/entities/entities.service.ts';
import { createEntityMoveChange } from './modules/entities/entity-move-change.ts';
import { createExceptionTransitions } from './modules/exceptions/exception-transitions.ts';
import {
  createExceptionsService,
  type ExceptionsService,
} from './modules/exceptions/exceptions.service.ts';
import {
  createExceptionExportService,
  type ExceptionExportService,
} from './modules/exceptions/export/exceptions-export.service.ts';
import {
  createSignOffsService,
  type SignOffsService,
} from './modules/exceptions/sign-offs/sign-offs.service.ts';
import {
  createExceptionSummariesService,
  type ExceptionSummariesService,
} from './modules/exceptions/summaries/exception-summaries.service.ts';
import {
  createIdentityService,
  type IdentityService,
} from './modules/identity/identity.service.ts';
import { type AuthServices, createAuthServices } from './modules/identity/identity-services.ts';
import type { ThrottlePolicy } from './modules/identity/login/login-throttle.ts';
import { createRunsService, type RunsService } from './modules/runs/runs.service.ts';
import { createSettingUpdateChange } from './modules/settings/setting-change.ts';
import {
  createSettingsService,
  type SettingsService,
} from './modules/settings/settings.service.ts';
import { createSettingsReader } from './modules/settings/settings-reader.ts';
import { createTestActivationChange } from './modules/tests/test-activation-change.ts';
import {
  createTestDefinitionsService,
  type TestDefinitionsService,
} from './modules/tests/test-definitions.service.ts';
import { createTestScheduler, type TestScheduler } from './modules/tests/test-scheduler.ts';
import type { IdentityConfig, RunsConfig } from './platform/config/config.ts';
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
  /** Queues runs on the cron schedules of active test versions; the `test-schedules` job ticks it. */
  testScheduler: TestScheduler;
  entities: EntitiesService;
  changeRequests: ChangeRequestsService;
  grants: GrantsService;
  settings: SettingsService;
  /** Read-only exception counts, ageing and run trends for dashboards. */
  exceptionSummaries: ExceptionSummariesService;
  /** The exception workflow: assignment, dispositions, review, comments and retests. */
  exceptions: ExceptionsService;
  signOffs: SignOffsService;
  /** CSV and XLSX exports of a test's or a run's exceptions. */
  exceptionExports: ExceptionExportService;
  auditTrail: AuditTrailReader;
  securityEvents: SecurityEvents;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
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
  /** Run time limits and the preview cap; the configuration's defaults when absent. */
  runs?: RunsConfig;
  /** Send a queued run to the job queue; absent where nothing dispatches, as in some tests. */
  dispatchRun?: (runId: string, requestedBy: string) => Promise<void>;
  /** Overrides the sign-in throttle, for tests that cannot wait minutes. */
  throttlePolicy?: ThrottlePolicy;
}

export function createServices(deps: ServiceDeps): Services {
  const securityEvents = createSecurityEvents(deps);
  const access = createAccessControl({ securityEvents });
  const separationOfDuties = createSeparationOfDuties({ securityEvents });
  const shared = { ...deps, securityEvents, access, separationOfDuties };
  const settingsReader = createSettingsReader(deps);
  const changeRequests = createChangeRequestsService({
    ...shared,
    settings: settingsReader,
    kinds: [
      ...createGrantChangeKinds(shared),
      createEntityMoveChange(shared),
      createSettingUpdateChange({ ...shared, settings: settingsReader }),
      createTestActivationChange(shared),
    ],
  });
  const governed = { ...shared, changeRequests };
  const runs = createRunsService(shared);
  const exceptionTransitions = createExceptionTransitions(shared);
  return {
    identity: createIdentityService(deps),
    auth: createAuthServices(shared),
    datasets: createDatasetsService(shared),
    runs,
    testDefinitions: createTestDefinitionsService(governed),
    testScheduler: createTestScheduler({ db: deps.db, logger: deps.logger, runs }),
    entities: createEntitiesService(governed),
    changeRequests,
    grants: createGrantsService(governed),
    settings: createSettingsService({ ...governed, settings: settingsReader }),
    exceptionSummaries: createExceptionSummariesService(shared),
    exceptions: createExceptionsService({ ...shared, transitions: exceptionTransitions, runs }),
    signOffs: createSignOffsService(shared),
    exceptionExports: createExceptionExportService(shared),
    auditTrail: createAuditTrailReader(shared),
    securityEvents,
    access,
    separationOfDuties,
    close: () => securityEvents.close(),
  };
}
