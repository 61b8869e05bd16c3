import { z } from 'zod';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import {
  type ChangeKind,
  parseStoredState,
  type RegisteredChangeKind,
  registerChangeKind,
} from '../changes/change-kind.ts';
import type { EntityRow } from './entities.repository.ts';
import { findEntityById } from './entities.repository.ts';
import {
  isEntityCycleError,
  isInSubtree,
  lockEntity,
  moveEntity,
} from './entity-tree.repository.ts';

const uuid = z.uuid().transform((id) => id.toLowerCase());

const entityMoveInputSchema = z.strictObject({ entityId: uuid, newParentId: uuid });

/**
 * The moved entity as requester and approver both see it. Only ids name
 * other entities, because the old parent may be outside the scope of one
 * of them, and the state must read the same for both.
 */
const entityStateSchema = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  status: z.enum(['active', 'archived']),
  parentId: z.string().nullable(),
});

/** After a move the entity always has a parent. */
const movedStateSchema = entityStateSchema.extend({ parentId: z.string() });

type EntityState = z.infer<typeof entityStateSchema>;

function toState(row: EntityRow): EntityState {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    status: row.status,
    parentId: row.parent_id,
  };
}

function entityNotFound(id: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No entity with id ${id} is visible to you. List entities with GET /api/v1/entities.`,
  });
}

function moveRejected(detail: string): AppError {
  return new AppError('BUSINESS_RULE_VIOLATED', { detail });
}

/** The rules a move must meet both when requested and when applied. */
async function assertMovable(tx: Tx, entity: EntityRow, newParentId: string) {
  if (entity.parent_id === null) {
    throw moveRejected(`Entity ${entity.code} is the organization root, which cannot move.`);
  }
  if (entity.status !== 'active') {
    throw moveRejected(`Entity ${entity.code} is archived; only active entities move.`);
  }
  const newParent = await findEntityById(tx, newParentId);
  if (newParent === undefined) throw entityNotFound(newParentId);
  if (newParent.status !== 'active') {
    throw moveRejected(`Entity ${newParent.code} is archived; choose an active new parent.`);
  }
  if (await isInSubtree(tx, entity.id, newParent.id)) {
    throw moveRejected(
      `Entity ${entity.code} cannot move below ${newParent.code}, because ${newParent.code} is ${entity.code} itself or below it. Choose a parent outside its subtree.`,
    );
  }
}

/**
 * entity.move: put an entity (with its subtree) below another parent. The
 * requester needs entities.manage on the entity and on the new parent; the
 * approver needs change_requests.decide on both.
 */
function entityMove(deps: {
  access: AccessControl;
}): ChangeKind<z.infer<typeof entityMoveInputSchema>> {
  const { access } = deps;

  return {
    kind: 'entity.move',
    inputSchema: entityMoveInputSchema,

    async propose(tx, actor, input, options) {
      for (const id of [input.entityId, input.newParentId]) {
        await access.authorize(
          tx,
          actor,
          'entities.manage',
          { type: 'entity', id, entityId: id },
          {
            context: options.context,
            notFound: () => entityNotFound(id),
            draftsChangeRequest: true,
          },
        );
      }
      const entity = await findEntityById(tx, input.entityId);
      if (entity === undefined) throw entityNotFound(input.entityId);
      if (entity.parent_id === input.newParentId) {
        throw moveRejected(`Entity ${entity.code} is already below that parent.`);
      }
      await assertMovable(tx, entity, input.newParentId);

      const before = toState(entity);
      return {
        entityId: entity.id,
        targetType: 'entity',
        targetKey: entity.id,
        before,
        after: { ...before, parentId: input.newParentId },
      };
    },

    async readState(tx, change) {
      const entity = await lockEntity(tx, change.targetKey);
      return entity === undefined ? null : toState(entity);
    },

    async authorizeApprover(tx, actor, change, options) {
      const after = parseStoredState(movedStateSchema, change.after, 'entity.move state');
      const newParentId = after.parentId;
      await access.authorize(
        tx,
        actor,
        'change_requests.decide',
        { type: 'entity', id: newParentId, entityId: newParentId },
        {
          context: options.context,
          notFound: () =>
            new AppError('FORBIDDEN', {
              detail: `Approving this move needs the permission change_requests.decide on the new parent ${newParentId} as well, which is outside your scope.`,
              extensions: { permission: 'change_requests.decide' },
            }),
        },
      );
    },

    async apply(tx, approver, change, options) {
      const before = parseStoredState(entityStateSchema, change.before, 'entity.move state');
      const after = parseStoredState(movedStateSchema, change.after, 'entity.move state');
      const entity = await lockEntity(tx, after.id);
      if (entity === undefined) throw entityNotFound(after.id);
      const newParentId = after.parentId;
      await assertMovable(tx, entity, newParentId);

      try {
        await moveEntity(tx, entity.id, newParentId);
      } catch (error) {
        if (!isEntityCycleError(error)) throw error;
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: `Entity ${entity.code} cannot move below ${newParentId}, because that entity is now inside its subtree. Reject this request.`,
          internal: error,
        });
      }
      await appendAuditEvent(tx, {
        actor: approver,
        action: 'entity.moved',
        outcome: 'success',
        target: { type: 'entity', id: entity.id },
        entityId: entity.id,
        ...(options.context ? { context: options.context } : {}),
        details: {
          code: entity.code,
          fromParentId: before.parentId,
          toParentId: newParentId,
          changeRequestId: change.id,
          requestedBy: change.requestedBy,
        },
      });
    },
  };
}

export function createEntityMoveChange(deps: { access: AccessControl }): RegisteredChangeKind {
  return registerChangeKind(entityMove(deps));
}
