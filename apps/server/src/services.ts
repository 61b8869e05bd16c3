import {
  createEntitiesService,
  type EntitiesService,
} from './modules/entities/entities.service.ts';
import {
  createIdentityService,
  type IdentityService,
} from './modules/identity/identity.service.ts';
import type { Db } from './platform/db/database.ts';

/** Every module's service, built once per process from the shared dependencies. */
export interface Services {
  identity: IdentityService;
  entities: EntitiesService;
}

export function createServices(deps: { db: Db }): Services {
  return {
    identity: createIdentityService(deps),
    entities: createEntitiesService(deps),
  };
}
