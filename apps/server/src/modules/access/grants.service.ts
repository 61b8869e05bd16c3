import type {
  ChangeRequest,
  Grant,
  GrantListQuery,
  GrantRequestInput,
  OwnAccess,
  RevokeRequestInput,
} from '@peytonix/contracts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { ChangeRequestsService } from '../changes/change-requests.service.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import { entityNotVisible } from '../entities/entities.service.ts';
import { listSubtreeIds } from '../entities/entity-tree.repository.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { AccessControl } from './access-control.ts';
import { withActor } from './actor-scope.ts';
import { type GrantRow, listVisibleGrants } from './grants.repository.ts';
import { isRole, PERMISSION_NAMES, type Role, roleHolds } from './permissions.ts';
import type { SeparationOfDuties } from './separation-of-duties.ts';
import {
  grantAsSoleApprover,
  type SoleApproverGrant,
  type SoleApproverGrantInput,
} from './sole-approver-grant.ts';

export interface GrantsService {
  /** Grants on entities where the actor holds grants.read, optionally for one user or below one entity. */
  list(actor: Actor, query: GrantListQuery): Promise<Grant[]>;
  /** The signed-in user's own grants, with the permissions each role gives. */
  own(actor: Actor): Promise<OwnAccess>;
  /** Request a role for a user on an entity; another person approves it. */
  requestGrant(
    actor: Actor,
    input: GrantRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
  /**
   * Grant a role at once, only when no one but the actor could approve a
   * request for it, such as in an organization with one administrator.
   */
  grantAsSoleApprover(
    actor: Actor,
    input: SoleApproverGrantInput,
    context?: RequestContext,
  ): Promise<SoleApproverGrant>;
  /** Request that a grant be revoked; another person approves it. */
  requestRevocation(
    actor: Actor,
    grantId: string,
    input: RevokeRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
}

function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    userId: row.user_id,
    role: row.role,
    entityId: row.entity_id,
    grantedBy: row.granted_by,
    changeRequestId: row.change_request_id,
    createdAt: row.created_at.toISOString(),
  };
}

/** Reading role grants, and requesting grants and revocations as change requests. */
export function createGrantsService(deps: {
  db: Db;
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
  changeRequests: ChangeRequestsService;
}): GrantsService {
  const { db, access, changeRequests } = deps;

  return {
    async grantAsSoleApprover(actor, input, context) {
      return await grantAsSoleApprover(deps, actor, input, context);
    },

    async list(actor, query) {
      return await withActor(db, actor, async (tx) => {
        const readable = new Set(await access.entitiesWith(tx, actor, 'grants.read'));
        let entityIds = [...readable];
        if (query.entityId !== undefined) {
          const entityId = query.entityId;
          await access.authorize(
            tx,
            actor,
            'grants.read',
            { type: 'entity', id: entityId, entityId },
            {
              notFound: () =>
                new AppError('RESOURCE_NOT_FOUND', {
                  detail: `No entity with id ${entityId} is visible to you. List entities with GET /api/v1/entities.`,
                }),
            },
          );
          const subtree = await listSubtreeIds(tx, entityId);
          entityIds = subtree.filter((id) => readable.has(id));
        }
        const rows = await listVisibleGrants(tx, {
          entityIds,
          ...(query.userId !== undefined ? { userId: query.userId } : {}),
        });
        return rows.map(toGrant);
      });
    },

    async own(actor) {
      if (actor.type !== 'user') return { grants: [], permissions: [] };
      return await withActor(db, actor, async (tx) => {
        const rows = await tx
          .selectFrom('role_grants as g')
          .innerJoin('entities as e', 'e.id', 'g.entity_id')
          .select(['g.entity_id', 'e.code', 'g.role'])
          .where('g.user_id', '=', actor.userId)
          .orderBy('e.code')
          .orderBy('g.role')
          .execute();
        const grants = rows.flatMap((row) =>
          isRole(row.role)
            ? [
                {
                  entityId: row.entity_id,
                  entityCode: row.code,
                  role: row.role,
                  permissions: PERMISSION_NAMES.filter((name) => roleHolds(row.role as Role, name)),
                },
              ]
            : [],
        );
        const permissions = [...new Set(grants.flatMap((grant) => grant.permissions))].sort();
        return { grants, permissions };
      });
    },

    async requestGrant(actor, input, context) {
      let entityId = input.entityId;
      if (entityId === undefined) {
        const code = input.entityCode ?? '';
        const entity = await withActor(db, actor, (tx) => findEntityByCode(tx, code));
        if (entity === undefined) throw entityNotVisible(code);
        entityId = entity.id;
      }
      return await changeRequests.create(
        actor,
        {
          kind: 'grant.add',
          input: { userId: input.userId, role: input.role, entityId },
          justification: input.justification,
        },
        context,
      );
    },

    async requestRevocation(actor, grantId, input, context) {
      return await changeRequests.create(
        actor,
        { kind: 'grant.revoke', input: { grantId }, justification: input.justification },
        context,
      );
    },
  };
}
