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
  createEntitiesService,
  type EntitiesService,
} from './modules/entities/entities.service.ts';
import {
  createIdentityService,
  type IdentityService,
} from './modules/identity/identity.service.ts';
import type { Db } from './platform/db/database.ts';
import type { SigningKey } from './platform/keys/signing-key.ts';

/** Every module's service, built once per process from the shared dependencies. */
export interface Services {
  identity: IdentityService;
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
}

export function createServices(deps: ServiceDeps): Services {
  const securityEvents = createSecurityEvents(deps);
  return {
    identity: createIdentityService(deps),
    entities: createEntitiesService({ ...deps, securityEvents }),
    auditTrail: createAuditTrailReader({ ...deps, securityEvents }),
    securityEvents,
    close: () => securityEvents.close(),
  };
}
