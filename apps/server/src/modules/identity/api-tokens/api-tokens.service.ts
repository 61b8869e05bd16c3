import { sql } from 'kysely';
import type { Db } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { heldRoles } from '../../access/actor-scope.ts';
import {
  isPermission,
  isRole,
  type Permission,
  type Role,
  rolesHold,
} from '../../access/permissions.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { RequestContext, UserActor } from '../actor.ts';
import { newSecretToken, tokenHash } from '../sessions/secret-tokens.ts';

/** Prefix that makes a leaked token easy to recognize for secret scanners. */
export const API_TOKEN_PREFIX = 'ptx_';
export const API_TOKEN_MAX_DAYS = 365;

export interface ApiTokenSummary {
  id: string;
  name: string;
  permissions: string[];
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiTokenPrincipal {
  tokenId: string;
  userId: string;
  email: string;
  permissions: string[];
  grantsVersion: string;
  heldRoles: Role[];
}

export interface ApiTokenService {
  create(
    actor: UserActor,
    input: { name: string; permissions: string[]; expiresInDays: number },
    context: RequestContext,
  ): Promise<ApiTokenSummary & { token: string }>;
  list(actor: UserActor): Promise<ApiTokenSummary[]>;
  revoke(actor: UserActor, tokenId: string, context: RequestContext): Promise<void>;
  /** Resolve a presented token in one indexed read; null when unknown, expired, revoked or its user inactive. */
  authenticate(token: string): Promise<ApiTokenPrincipal | null>;
}

const summaryColumns = [
  'id',
  'name',
  'permissions',
  'created_at',
  'expires_at',
  'last_used_at',
  'revoked_at',
] as const;

function toSummary(row: {
  id: string;
  name: string;
  permissions: string[];
  created_at: Date;
  expires_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    permissions: row.permissions,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export function createApiTokenService(deps: { db: Db }): ApiTokenService {
  const { db } = deps;

  return {
    async create(actor, input, context) {
      const unknown = input.permissions.filter((permission) => !isPermission(permission));
      if (unknown.length > 0) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `Unknown permission ${JSON.stringify(unknown[0])}. Use names from GET /api/v1/account/api-tokens/permissions.`,
        });
      }
      if (input.expiresInDays < 1 || input.expiresInDays > API_TOKEN_MAX_DAYS) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `expiresInDays is ${input.expiresInDays}; use 1 to ${API_TOKEN_MAX_DAYS}.`,
        });
      }
      const permissions = [...new Set(input.permissions as Permission[])].sort();
      // A token carries only what its user holds now, so it cannot wait
      // for a later grant; requests still check the user's current roles.
      const roles = await heldRoles(db, actor.userId);
      const notHeld = permissions.filter((permission) => !rolesHold(roles, permission));
      if (notHeld.length > 0) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `You hold no role with the permission ${notHeld.join(', ')} on any entity, so a token cannot carry it. Remove it from permissions.`,
        });
      }
      const token = newSecretToken(API_TOKEN_PREFIX);
      const expiresAt = new Date(Date.now() + input.expiresInDays * 86_400_000);

      return await db.transaction().execute(async (tx) => {
        const row = await tx
          .insertInto('api_tokens')
          .values({
            user_id: actor.userId,
            name: input.name,
            token_sha256: tokenHash(token),
            permissions,
            expires_at: expiresAt,
          })
          .returning(summaryColumns)
          .executeTakeFirstOrThrow();
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.api_token_created',
          outcome: 'success',
          target: { type: 'api_token', id: row.id },
          context,
          details: { name: input.name, permissions, expiresAt: expiresAt.toISOString() },
        });
        return { ...toSummary(row), token };
      });
    },

    async list(actor) {
      const rows = await db
        .selectFrom('api_tokens')
        .select(summaryColumns)
        .where('user_id', '=', actor.userId)
        .orderBy('created_at', 'desc')
        .limit(500)
        .execute();
      return rows.map(toSummary);
    },

    async revoke(actor, tokenId, context) {
      await db.transaction().execute(async (tx) => {
        const revoked = await tx
          .updateTable('api_tokens')
          .set({ revoked_at: sql`now()` })
          .where('id', '=', tokenId)
          .where('user_id', '=', actor.userId)
          .where('revoked_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (revoked === undefined) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: `You have no live API token with id ${tokenId}. List yours with GET /api/v1/account/api-tokens.`,
          });
        }
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.api_token_revoked',
          outcome: 'success',
          target: { type: 'api_token', id: tokenId },
          context,
        });
      });
    },

    async authenticate(token) {
      const row = await db
        .selectFrom('api_tokens')
        .innerJoin('users', 'users.id', 'api_tokens.user_id')
        .select([
          'api_tokens.id',
          'api_tokens.user_id',
          'api_tokens.permissions',
          'users.email',
          'users.grants_version',
          sql<string[]>`peytonix_held_roles(users.id)`.as('held_roles'),
          sql<boolean>`api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < now() - interval '60 seconds'`.as(
            'touch_due',
          ),
        ])
        .where('api_tokens.token_sha256', '=', tokenHash(token))
        .where('api_tokens.revoked_at', 'is', null)
        .where(sql<boolean>`api_tokens.expires_at > now()`)
        .where('users.status', '=', 'active')
        .executeTakeFirst();
      if (row === undefined) return null;

      if (row.touch_due) {
        await db
          .updateTable('api_tokens')
          .set({ last_used_at: sql`now()` })
          .where('id', '=', row.id)
          .execute();
      }
      return {
        tokenId: row.id,
        userId: row.user_id,
        email: row.email,
        permissions: row.permissions,
        grantsVersion: String(row.grants_version),
        heldRoles: row.held_roles.filter(isRole),
      };
    },
  };
}
