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
  createSignedExportService,
  type SignedExportService,
} from './modules/audit-trail/export/signed-export.service.ts';
import {
  createSecurityEvents,
  type SecurityEvents,
} from './modules/audit-trail/security-events.ts';
import {
  type ChangeRequestsService,
  createChangeRequestsService,
} from './modules/changes/change-requests.service.ts';
import {
  createDatasetUploadsService,
  type DatasetUploadsService,
} from './modules/datasets/dataset-uploads.ts';
import {
  createDatasetsService,
  type DatasetsService,
} from './modules/datasets/datasets.service.ts';
import {
  createEntitiesService,
  type EntitiesService,
} from './modules/entities/entities.service.ts';
import { createEntityMoveChange } from './modules/entities/entity-move-change.ts';
import {
  createEvidenceService,
  type EvidenceService,
} from './modules/evidence/evidence.service.ts';
import {
  type EvidenceContentPolicy,
  type EvidenceContentPolicyOptions,
  evidenceContentPolicy,
} from './modules/evidence/evidence-file-types.ts';
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
import type {
  DatasetImportsConfig,
  EvidenceConfig,
  IdentityConfig,
  RunsConfig,
} from './platform/config/config.ts';
import { ConfigError } from './platform/config/config-error.ts';
import { VARIABLES } from './platform/config/variables.ts';
import type { Db } from './platform/db/database.ts';
import type { DataKeyProvider } from './platform/keys/data-key-provider.ts';
import type { SigningKey } from './platform/keys/signing-key.ts';
import { type ClamdScanner, createUnconfiguredScanner } from './platform/scanning/clamd-client.ts';
import type { ObjectStorage } from './platform/storage/object-storage.ts';

/** Every module's service, built once per process from the shared dependencies. */
export interface Services {
  identity: IdentityService;
  auth: AuthServices;
  datasets: DatasetsService;
  /** Browser uploads of dataset files: declaration, preview and import. */
  datasetUploads: DatasetUploadsService;
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
  /** Evidence files: declaration, verification and scanning, download. */
  evidence: EvidenceService;
  /** Object storage for dataset and evidence files; opened on first use. */
  storage: () => Promise<ObjectStorage>;
  auditTrail: AuditTrailReader;
  auditExports: SignedExportService;
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
  /** Object storage for dataset and evidence files; opened on first use. */
  storage: () => Promise<ObjectStorage>;
  /** The malware scanner for evidence; without one, every scan fails and files stay undownloadable. */
  scanner?: ClamdScanner;
  /** Evidence limits; the configuration's defaults when absent. */
  evidence?: EvidenceConfig;
  /** Directory for temporary work files such as imports in progress. */
  workRoot: string;
  /** Run time limits and the preview cap; the configuration's defaults when absent. */
  runs?: RunsConfig;
  /** Limits of dataset imports and previews; the configuration's defaults when absent. */
  datasetImports?: DatasetImportsConfig;
  /** Send a queued run to the job queue; absent where nothing dispatches, as in some tests. */
  dispatchRun?: (runId: string, requestedBy: string) => Promise<void>;
  /** How often the server verifies the whole audit chain, in milliseconds; the default when absent. */
  auditVerifyIntervalMs?: number;
  /** Overrides the sign-in throttle, for tests that cannot wait minutes. */
  throttlePolicy?: ThrottlePolicy;
}

/** The evidence limits of the configuration's defaults. */
export const DEFAULT_EVIDENCE_CONFIG: EvidenceConfig = {
  maxBytes: 100 * 1024 ** 2,
  uploadUrlSeconds: 900,
  downloadUrlSeconds: 60,
};

/**
 * Build the evidence allowlists, turning a type or extension the evidence
 * module cannot verify into a configuration error that names its variable,
 * so startup stops with exit code 2.
 */
function evidencePolicy(limits: EvidenceConfig): EvidenceContentPolicy {
  const typesOnly: EvidenceContentPolicyOptions =
    limits.contentTypes === undefined
      ? { maxBytes: limits.maxBytes }
      : { maxBytes: limits.maxBytes, contentTypes: limits.contentTypes };
  const attempts = [
    ['PEYTONIX_EVIDENCE_CONTENT_TYPES', typesOnly],
    ['PEYTONIX_EVIDENCE_EXTENSIONS', limits],
  ] as const;
  for (const [variable, options] of attempts) {
    try {
      evidenceContentPolicy(options);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      const value =
        variable === 'PEYTONIX_EVIDENCE_EXTENSIONS' ? limits.extensions : limits.contentTypes;
      throw new ConfigError([
        {
          variable,
          value: value?.join(','),
          problem: error.message.replace(/\.$/, ''),
          fix: VARIABLES[variable].fix,
        },
      ]);
    }
  }
  return evidenceContentPolicy(limits);
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
  const datasets = createDatasetsService(shared);
  const evidenceLimits = deps.evidence ?? DEFAULT_EVIDENCE_CONFIG;
  const exceptionTransitions = createExceptionTransitions(shared);
  return {
    identity: createIdentityService(deps),
    auth: createAuthServices(shared),
    datasets,
    datasetUploads: createDatasetUploadsService({ ...shared, datasets }),
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
    evidence: createEvidenceService({
      ...shared,
      scanner: deps.scanner ?? createUnconfiguredScanner(),
      policy: evidencePolicy(evidenceLimits),
      limits: evidenceLimits,
    }),
    storage: deps.storage,
    auditTrail: createAuditTrailReader(shared),
    auditExports: createSignedExportService(shared),
    securityEvents,
    access,
    separationOfDuties,
    close: () => securityEvents.close(),
  };
}
