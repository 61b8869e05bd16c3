import type { CreateEntityInput, Entity } from '@peytonix/contracts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { findRolesCovering } from '../access/grants.repository.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import {
  type EntityRow,
  findEntityByCode,
  insertEntity,
  listEntitiesInUserScope,
} from './entities.repository.ts';

export interface EntitiesService {
  listInScope(actor: Actor): Promise<(Entity & { depth: number })[]>;
  create(actor: Actor, input: CreateEntityInput, context?: RequestContext): Promise<Entity>;
}

export function toEntity(row: EntityRow): Entity {
  return {
    id: row.id,
    parentId: row.parent_id,
    type: row.type,
    code: row.code,
    name: row.name,
    status: row.status,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === '23505';
}

/**
 * Entity tree operations. NOTE: authorization here is the interim rule
 * (any grant reads its subtree; administrator on the parent creates) until
 * the permission catalogue replaces it.
 */
export function createEntitiesService(deps: {
  db: Db;
  securityEvents: SecurityEvents;
}): EntitiesService {
  const { db } = deps;

  return {
    async listInScope(actor) {
      if (actor.type !== 'user') return [];

      const rows = await listEntitiesInUserScope(db, actor.userId);
      return rows.map((row) => ({ ...toEntity(row), depth: row.depth }));
    },

    async create(actor, input, context) {
      const parent = await findEntityByCode(db, input.parentCode);
      const roles =
        parent && actor.type === 'user' ? await findRolesCovering(db, actor.userId, parent.id) : [];

      // A parent outside the actor's scope is reported exactly like a missing
      // one, so the response does not reveal that it exists.
      if (!parent || roles.length === 0) {
        throw new AppError('RESOURCE_NOT_FOUND', {
          detail: `No entity with code ${JSON.stringify(input.parentCode)} is visible to you. Check the parent code with "peytonix entities list".`,
        });
      }
      if (!roles.includes('administrator')) {
        await deps.securityEvents.recordDenial({
          actor,
          action: 'entity.create_denied',
          outcome: 'denied',
          reasonCode: 'ROLE_REQUIRED',
          target: { type: 'entity', id: parent.id },
          entityId: parent.id,
          ...(context ? { context } : {}),
          details: { requiredRole: 'administrator', code: input.code },
        });
        throw new AppError('FORBIDDEN', {
          detail: `Creating an entity below ${parent.code} requires the administrator role on it or above it.`,
        });
      }
      if (parent.status !== 'active') {
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: `Entity ${parent.code} is archived. Choose an active parent.`,
        });
      }

      try {
        return await db.transaction().execute(async (tx) => {
          const row = await insertEntity(tx, {
            parentId: parent.id,
            type: input.type,
            code: input.code,
            name: input.name,
          });
          await appendAuditEvent(tx, {
            actor,
            action: 'entity.created',
            outcome: 'success',
            target: { type: 'entity', id: row.id },
            entityId: row.id,
            ...(context ? { context } : {}),
            details: { parentId: parent.id, type: row.type, code: row.code, name: row.name },
          });
          return toEntity(row);
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new AppError('CONFLICT', {
            detail: `An entity with code ${JSON.stringify(input.code)} already exists. Choose another code.`,
          });
        }
        throw error;
      }
    },
  };
}
