import type { Logger } from 'pino';
import type { IdentityConfig } from '../../../platform/config/config.ts';
import type { Db, Tx } from '../../../platform/db/database.ts';
import type { AuthMethod, SessionRevokedReason } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { isRole, type Role } from '../../access/permissions.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../actor.ts';
import type { AccessTokens } from './access-tokens.ts';
import { newSecretToken, tokenHash } from './secret-tokens.ts';
import { createSessionStateLoader } from './session-state-loader.ts';
import {
  findRefreshTokenSession,
  insertRefreshToken,
  insertSession,
  readSessionState,
  revokeSession,
  revokeUserSessions,
  rotateRefreshToken,
  touchSession,
} from './sessions.repository.ts';

/** Tokens a client receives when a session starts or its refresh token rotates. */
export interface IssuedTokens {
  sessionId: string;
  userId: string;
  assurance: 'full' | 'enrolment_only';
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  /**
   * Sent back in X-CSRF-Token on state-changing requests that use cookies.
   * Issued once per session, so null after a refresh.
   */
  csrfToken: string | null;
  sessionExpiresAt: Date;
}

/** The session's state as read on one request. */
export interface LiveSession {
  sessionId: string;
  userId: string;
  email: string;
  assurance: 'full' | 'enrolment_only';
  grantsVersion: string;
  heldRoles: Role[];
  csrfSha256: Buffer;
}

export interface StartSessionInput {
  userId: string;
  assurance: 'full' | 'enrolment_only';
  authMethods: AuthMethod[];
  context: RequestContext;
}

export interface SessionService {
  /** Create a session and its first refresh token inside the caller's transaction. */
  start(
    tx: Tx,
    input: StartSessionInput,
  ): Promise<Omit<IssuedTokens, 'accessToken' | 'accessTokenExpiresAt'>>;
  /** Sign an access token for a session that `start` or `refresh` returned. */
  withAccessToken(
    session: Omit<IssuedTokens, 'accessToken' | 'accessTokenExpiresAt'>,
  ): Promise<IssuedTokens>;
  /**
   * Exchange a refresh token for a new one and a new access token. A token
   * that was already rotated revokes its whole session.
   */
  refresh(refreshToken: string, context: RequestContext): Promise<IssuedTokens>;
  /**
   * Read the session on every request: returns it when the session is live
   * and its user active, else null. Database errors propagate, so the
   * caller fails closed.
   */
  revalidate(sessionId: string, userId: string): Promise<LiveSession | null>;
  logout(actor: Actor, sessionId: string, context: RequestContext): Promise<void>;
  /** Revoke every live session of a user; returns how many were revoked. */
  revokeAll(
    actor: Actor,
    userId: string,
    reason: SessionRevokedReason,
    context: RequestContext,
    tx?: Tx,
  ): Promise<number>;
}

const UNAUTHENTICATED_REFRESH =
  'The refresh token is not valid, or its session has ended. Sign in again.';

export function createSessionService(deps: {
  db: Db;
  logger: Logger;
  identity: IdentityConfig;
  accessTokens: AccessTokens;
  securityEvents: SecurityEvents;
}): SessionService {
  const { db, identity } = deps;
  const loadSessionState = createSessionStateLoader(db, identity.sessionIdleMs);

  const withAccessToken: SessionService['withAccessToken'] = async (session) => {
    const { token, expiresAt } = await deps.accessTokens.issue({
      userId: session.userId,
      sessionId: session.sessionId,
    });
    return { ...session, accessToken: token, accessTokenExpiresAt: expiresAt };
  };

  const rejectRefresh = async (reasonCode: string, context: RequestContext, userId?: string) => {
    await deps.securityEvents.recordDenial({
      actor: userId
        ? { type: 'user', userId, email: '', channel: 'api' }
        : { type: 'anonymous', channel: 'api' },
      action: 'auth.token_rejected',
      outcome: 'denied',
      reasonCode,
      context,
      details: { credential: 'refresh' },
    });
    throw new AppError('UNAUTHENTICATED', { detail: UNAUTHENTICATED_REFRESH });
  };

  /** Revoke the family of a reused refresh token, in its own committed transaction. */
  const revokeReusedFamily = async (sessionId: string, userId: string, context: RequestContext) => {
    const actor: Actor = { type: 'user', userId, email: '', channel: 'api' };
    const revoked = await db.transaction().execute(async (tx) => {
      const changed = await revokeSession(tx, sessionId, 'refresh_reuse');
      if (changed) {
        await appendAuditEvent(tx, {
          actor,
          action: 'session.refresh_reuse_detected',
          outcome: 'denied',
          reasonCode: 'refresh_token_reused',
          target: { type: 'session', id: sessionId },
          context,
          details: { revokedFamily: true },
        });
      }
      return changed;
    });
    if (!revoked) {
      await deps.securityEvents.recordDenial({
        actor,
        action: 'session.refresh_reuse_detected',
        outcome: 'denied',
        reasonCode: 'refresh_token_reused',
        target: { type: 'session', id: sessionId },
        context,
        details: { revokedFamily: false },
      });
    }
    deps.logger.warn(
      { sessionId, userId, requestId: context.requestId },
      'refresh token reuse revoked a session',
    );
  };

  return {
    async start(tx, input) {
      const refreshToken = newSecretToken();
      const csrfToken = newSecretToken();
      const created = await insertSession(tx, {
        userId: input.userId,
        assurance: input.assurance,
        authMethods: input.authMethods,
        csrfSha256: tokenHash(csrfToken),
        expiresAt: new Date(Date.now() + identity.sessionMaxMs),
        ipAddress: input.context.ipAddress ?? null,
        userAgent: input.context.userAgent?.slice(0, 512) ?? null,
      });
      await insertRefreshToken(tx, created.id, tokenHash(refreshToken));
      return {
        sessionId: created.id,
        userId: input.userId,
        assurance: input.assurance,
        refreshToken,
        csrfToken,
        sessionExpiresAt: new Date(created.expires_at),
      };
    },

    withAccessToken,

    async refresh(refreshToken, context) {
      const presented = tokenHash(refreshToken);
      const nextToken = newSecretToken();

      const outcome = await db.transaction().execute(async (tx) => {
        const rotated = await rotateRefreshToken(tx, presented);
        if (rotated === undefined) return { kind: 'not_rotated' as const };

        const state = await readSessionState(tx, rotated.session_id, identity.sessionIdleMs);
        if (
          state === undefined ||
          state.revoked_at !== null ||
          state.status !== 'active' ||
          !state.within_lifetime ||
          !state.within_idle
        ) {
          return { kind: 'session_ended' as const, userId: state?.user_id };
        }

        await insertRefreshToken(tx, rotated.session_id, tokenHash(nextToken));
        await touchSession(tx, rotated.session_id);
        await appendAuditEvent(tx, {
          actor: { type: 'user', userId: state.user_id, email: state.email, channel: 'api' },
          action: 'auth.token_refreshed',
          outcome: 'success',
          target: { type: 'session', id: rotated.session_id },
          context,
        });
        return {
          kind: 'rotated' as const,
          sessionId: rotated.session_id,
          userId: state.user_id,
          assurance: state.assurance,
          expiresAt: new Date(state.expires_at),
        };
      });

      if (outcome.kind === 'session_ended') {
        return await rejectRefresh('session_ended', context, outcome.userId);
      }
      if (outcome.kind === 'not_rotated') {
        const known = await findRefreshTokenSession(db, presented);
        if (known === undefined) return await rejectRefresh('unknown_refresh_token', context);
        await revokeReusedFamily(known.session_id, known.user_id, context);
        throw new AppError('UNAUTHENTICATED', { detail: UNAUTHENTICATED_REFRESH });
      }

      return await withAccessToken({
        sessionId: outcome.sessionId,
        userId: outcome.userId,
        assurance: outcome.assurance,
        refreshToken: nextToken,
        csrfToken: null,
        sessionExpiresAt: outcome.expiresAt,
      });
    },

    async revalidate(sessionId, userId) {
      const state = await loadSessionState(sessionId);
      if (
        state === undefined ||
        state.user_id !== userId ||
        state.revoked_at !== null ||
        state.status !== 'active' ||
        !state.within_lifetime ||
        !state.within_idle
      ) {
        return null;
      }
      if (state.touch_due) {
        await touchSession(db, sessionId);
      }
      return {
        sessionId,
        userId,
        email: state.email,
        assurance: state.assurance,
        grantsVersion: String(state.grants_version),
        heldRoles: state.held_roles.filter(isRole),
        csrfSha256: state.csrf_sha256,
      };
    },

    async logout(actor, sessionId, context) {
      await db.transaction().execute(async (tx) => {
        await revokeSession(tx, sessionId, 'logout');
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.logout',
          outcome: 'success',
          target: { type: 'session', id: sessionId },
          context,
        });
      });
    },

    async revokeAll(actor, userId, reason, context, outerTx) {
      const run = async (tx: Tx) => {
        const revoked = await revokeUserSessions(tx, userId, reason);
        await appendAuditEvent(tx, {
          actor,
          action: 'session.revoked',
          outcome: 'success',
          reasonCode: reason,
          target: { type: 'user', id: userId },
          context,
          details: { sessionIds: revoked },
        });
        return revoked.length;
      };
      return outerTx ? await run(outerTx) : await db.transaction().execute(run);
    },
  };
}
