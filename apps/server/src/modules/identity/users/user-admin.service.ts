import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import { withActor } from '../../access/actor-scope.ts';
import type { Permission } from '../../access/permissions.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import { findRootEntity } from '../../entities/entities.repository.ts';
import type { RequestContext, UserActor } from '../actor.ts';
import { SETUP_SECRET_TTL_MS } from '../identity.service.ts';
import { revokeUserSessions } from '../sessions/sessions.repository.ts';
import { findUserByEmail, insertSetupSecret, insertUser } from '../users.repository.ts';

export interface UserSummary {
  id: string;
  email: string;
  displayName: string;
  status: 'active' | 'suspended' | 'deprovisioned';
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface UserAdminService {
  list(actor: UserActor): Promise<UserSummary[]>;
  create(
    actor: UserActor,
    input: { email: string; displayName: string },
    context: RequestContext,
  ): Promise<UserSummary & { setupSecret: string; setupSecretExpiresAt: Date }>;
  setStatus(
    actor: UserActor,
    userId: string,
    status: 'active' | 'suspended' | 'deprovisioned',
    context: RequestContext,
  ): Promise<UserSummary>;
  revokeSessions(actor: UserActor, userId: string, context: RequestContext): Promise<number>;
}

const STATUS_ACTIONS = {
  active: 'user.reactivated',
  suspended: 'user.suspended',
  deprovisioned: 'user.deprovisioned',
} as const;

const columns = ['id', 'email', 'display_name', 'status', 'created_at', 'last_login_at'] as const;

function toSummary(row: {
  id: string;
  email: string;
  display_name: string;
  status: UserSummary['status'];
  created_at: Date;
  last_login_at: Date | null;
}): UserSummary {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    status: row.status,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

/**
 * User administration: create users with a setup secret, suspend,
 * reactivate and deprovision them, and revoke their sessions. Users are
 * organization-wide identities, so these need users.read or users.manage
 * on the organization root; grants per subtree are change requests.
 */
export function createUserAdminService(deps: { db: Db; access: AccessControl }): UserAdminService {
  const { db, access } = deps;

  const authorize = async (
    tx: Tx,
    actor: UserActor,
    permission: Permission,
    context?: RequestContext,
  ): Promise<string> => {
    const forbidden = () =>
      new AppError('FORBIDDEN', {
        detail: `Managing users needs the permission ${permission} on the organization root, which the administrator role there holds.`,
        extensions: { permission },
      });
    const root = await findRootEntity(tx);
    if (root === undefined) throw forbidden();

    await access.authorize(
      tx,
      actor,
      permission,
      { type: 'entity', id: root.id, entityId: root.id },
      { context, notFound: forbidden },
    );
    return root.id;
  };

  const loadUser = async (tx: Tx, userId: string) => {
    const user = await tx
      .selectFrom('users')
      .select(columns)
      .where('id', '=', userId)
      .forUpdate()
      .executeTakeFirst();
    if (user === undefined) {
      throw new AppError('RESOURCE_NOT_FOUND', {
        detail: `No user has the id ${userId}. List users with GET /api/v1/users.`,
      });
    }
    return user;
  };

  return {
    async list(actor) {
      return await withActor(db, actor, async (tx) => {
        await authorize(tx, actor, 'users.read');
        // NOTE: the first 1,000 by email; paging comes with the user screens.
        const rows = await tx
          .selectFrom('users')
          .select(columns)
          .orderBy('email')
          .limit(1000)
          .execute();
        return rows.map(toSummary);
      });
    },

    async create(actor, input, context) {
      return await withActor(db, actor, async (tx) => {
        const organizationId = await authorize(tx, actor, 'users.manage', context);
        if (await findUserByEmail(tx, input.email)) {
          throw new AppError('CONFLICT', {
            detail: `A user with email ${input.email} already exists. Use another email address.`,
          });
        }
        const created = await insertUser(tx, {
          email: input.email,
          displayName: input.displayName,
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'user.created',
          outcome: 'success',
          target: { type: 'user', id: created.id },
          entityId: organizationId,
          context,
          details: { email: created.email, displayName: created.display_name },
        });

        const setupSecret = randomBytes(32).toString('base64url');
        const stored = await insertSetupSecret(tx, {
          userId: created.id,
          sha256: createHash('sha256').update(setupSecret).digest(),
          expiresAt: new Date(Date.now() + SETUP_SECRET_TTL_MS),
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'identity.setup_secret_issued',
          outcome: 'success',
          target: { type: 'user', id: created.id },
          entityId: organizationId,
          context,
          details: { setupSecretId: stored.id },
        });
        const row = await tx
          .selectFrom('users')
          .select(columns)
          .where('id', '=', created.id)
          .executeTakeFirstOrThrow();
        return {
          ...toSummary(row),
          setupSecret,
          setupSecretExpiresAt: new Date(stored.expires_at),
        };
      });
    },

    async setStatus(actor, userId, status, context) {
      return await withActor(db, actor, async (tx) => {
        const organizationId = await authorize(tx, actor, 'users.manage', context);
        if (userId.toLowerCase() === actor.userId.toLowerCase()) {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: 'You cannot change the status of your own account. Ask another administrator.',
            extensions: { rule: 'SOD_SELF_STATUS_CHANGE' },
          });
        }
        const user = await loadUser(tx, userId);
        if (user.status === status) return toSummary(user);
        if (user.status === 'deprovisioned') {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: `User ${userId} is deprovisioned, which is final. Create a new account instead.`,
          });
        }

        await tx
          .updateTable('users')
          .set({ status, updated_at: sql`now()` })
          .where('id', '=', userId)
          .execute();
        const revoked =
          status === 'active'
            ? []
            : await revokeUserSessions(
                tx,
                userId,
                status === 'suspended' ? 'user_suspended' : 'user_deprovisioned',
              );
        if (status === 'deprovisioned') {
          await tx
            .updateTable('api_tokens')
            .set({ revoked_at: sql`now()` })
            .where('user_id', '=', userId)
            .where('revoked_at', 'is', null)
            .execute();
        }
        await appendAuditEvent(tx, {
          actor,
          action: STATUS_ACTIONS[status],
          outcome: 'success',
          target: { type: 'user', id: userId },
          entityId: organizationId,
          context,
          details: { previousStatus: user.status, revokedSessionIds: revoked },
        });
        return toSummary({ ...user, status });
      });
    },

    async revokeSessions(actor, userId, context) {
      return await withActor(db, actor, async (tx) => {
        const organizationId = await authorize(tx, actor, 'users.manage', context);
        await loadUser(tx, userId);
        const revoked = await revokeUserSessions(tx, userId, 'administrator');
        await appendAuditEvent(tx, {
          actor,
          action: 'session.revoked',
          outcome: 'success',
          reasonCode: 'administrator',
          target: { type: 'user', id: userId },
          entityId: organizationId,
          context,
          details: { sessionIds: revoked },
        });
        return revoked.length;
      });
    },
  };
}
