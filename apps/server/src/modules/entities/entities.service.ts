import type {
  ChangeRequest,
  CreateEntityInput,
  Entity,
  EntityMoveRequestInput,
  RenameEntityInput,
} from '@peytonix/contracts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { ChangeRequestsService } from '../changes/change-requests.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import {
  type EntityRow,
  findEntityByCode,
  insertEntity,
  listVisibleEntities,
} from './entities.repository.ts';
import {
  archiveEntity,
  countActiveChildren,
  lockEntity,
  renameEntity,
} from './entity-tree.repository.ts';

export interface EntitiesService {
  listInScope(actor: Actor): Promise<(Entity & { depth: number })[]>;
  create(actor: Actor, input: CreateEntityInput, context?: RequestContext): Promise<Entity>;
  rename(
    actor: Actor,
    entityId: string,
    input: RenameEntityInput,
    context?: RequestContext,
  ): Promise<Entity>;
  /** Archive an entity; the root and entities with active children stay. */
  archive(actor: Actor, entityId: string, context?: RequestContext): Promise<Entity>;
  /** Request a move of the entity below another parent, as an entity.move change request. */
  requestMove(
    actor: Actor,
    entityId: string,
    input: EntityMoveRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
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

/** An entity code that is missing and one outside the actor's scope read the same. */
export function entityNotVisible(code: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No entity with code ${JSON.stringify(code)} is visible to you. Check the code with "peytonix entities list" or GET /api/v1/entities.`,
  });
}

/**
 * Load the entity with `code` in the actor's scope and authorize
 * `permission` on it. A missing code and one outside the scope raise the
 * same not-found error.
 */
export async function loadAuthorizedEntity(
  tx: Tx,
  access: AccessControl,
  request: {
    actor: Actor;
    entityCode: string;
    permission: Permission;
    context?: RequestContext | undefined;
  },
) {
  const entity = await findEntityByCode(tx, request.entityCode);
  if (!entity) throw entityNotVisible(request.entityCode);

  await access.authorize(
    tx,
    request.actor,
    request.permission,
    { type: 'entity', id: entity.id, entityId: entity.id },
    { context: request.context, notFound: () => entityNotVisible(request.entityCode) },
  );
  return entity;
}

/** Build the not-found error for an entity id. A missing id and one outside the actor's scope get the same error. */
function entityIdNotVisible(id: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No entity with id ${id} is visible to you. List entities with GET /api/v1/entities.`,
  });
}

/**
 * The entity tree: reading it in scope, creating, renaming and archiving
 * entities, and requesting moves, which another person approves.
 */
export function createEntitiesService(deps: {
  db: Db;
  access: AccessControl;
  changeRequests: ChangeRequestsService;
}): EntitiesService {
  const { db, access, changeRequests } = deps;

  /** Authorize entities.manage on the entity, then load and lock it. */
  const loadForManagement = async (
    tx: Tx,
    actor: Actor,
    entityId: string,
    context: RequestContext | undefined,
  ): Promise<EntityRow> => {
    await access.authorize(
      tx,
      actor,
      'entities.manage',
      { type: 'entity', id: entityId, entityId },
      { context, notFound: () => entityIdNotVisible(entityId) },
    );
    const entity = await lockEntity(tx, entityId);
    if (entity === undefined) throw entityIdNotVisible(entityId);
    return entity;
  };

  return {
    async listInScope(actor) {
      return await withActor(db, actor, async (tx) => {
        const readable = new Set(await access.entitiesWith(tx, actor, 'entities.read'));
        const rows = await listVisibleEntities(tx);
        return rows
          .filter((row) => readable.has(row.id))
          .map((row) => ({ ...toEntity(row), depth: row.depth }));
      });
    },

    async create(actor, input, context) {
      try {
        return await withActor(db, actor, async (tx) => {
          const parent = await findEntityByCode(tx, input.parentCode);
          if (!parent) throw entityNotVisible(input.parentCode);

          await access.authorize(
            tx,
            actor,
            'entities.manage',
            { type: 'entity', id: parent.id, entityId: parent.id },
            { context, notFound: () => entityNotVisible(input.parentCode) },
          );
          if (parent.status !== 'active') {
            throw new AppError('BUSINESS_RULE_VIOLATED', {
              detail: `Entity ${parent.code} is archived. Choose an active parent.`,
            });
          }

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

    async rename(actor, entityId, input, context) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadForManagement(tx, actor, entityId, context);
        if (entity.status !== 'active') {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: `Entity ${entity.code} is archived; archived entities keep their name.`,
          });
        }
        if (entity.name === input.name) return toEntity(entity);

        const row = await renameEntity(tx, entity.id, input.name);
        await appendAuditEvent(tx, {
          actor,
          action: 'entity.updated',
          outcome: 'success',
          target: { type: 'entity', id: entity.id },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: { code: entity.code, from: { name: entity.name }, to: { name: row.name } },
        });
        return toEntity(row);
      });
    },

    async archive(actor, entityId, context) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadForManagement(tx, actor, entityId, context);
        if (entity.parent_id === null) {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: `Entity ${entity.code} is the organization root, which cannot be archived.`,
          });
        }
        if (entity.status === 'archived') {
          throw new AppError('CONFLICT', { detail: `Entity ${entity.code} is already archived.` });
        }
        const activeChildren = await countActiveChildren(tx, entity.id);
        if (activeChildren > 0) {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: `Entity ${entity.code} has ${activeChildren} active child entities. Archive or move them first.`,
            extensions: { activeChildren },
          });
        }

        const row = await archiveEntity(tx, entity.id);
        await appendAuditEvent(tx, {
          actor,
          action: 'entity.archived',
          outcome: 'success',
          target: { type: 'entity', id: entity.id },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: { code: entity.code, parentId: entity.parent_id },
        });
        return toEntity(row);
      });
    },

    async requestMove(actor, entityId, input, context) {
      let newParentId = input.newParentId;
      if (newParentId === undefined) {
        const code = input.newParentCode ?? '';
        const parent = await withActor(db, actor, (tx) => findEntityByCode(tx, code));
        if (parent === undefined) throw entityNotVisible(code);
        newParentId = parent.id;
      }
      return await changeRequests.create(
        actor,
        {
          kind: 'entity.move',
          input: { entityId, newParentId },
          justification: input.justification,
        },
        context,
      );
    },
  };
}
