import { sql } from 'kysely';
import type { Db } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { DataKeyProvider } from '../../../platform/keys/data-key-provider.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { RequestContext, UserActor } from '../actor.ts';
import { replacePasswordHash } from '../login/login.repository.ts';
import { countUnusedRecoveryCodes, replaceRecoveryCodes } from '../mfa/recovery-codes.ts';
import { beginTotpEnrolment, checkTotpCode, type TotpEnrolment } from '../mfa/totp.ts';
import type { PasswordHasher } from '../passwords/password-hasher.ts';
import { findPasswordProblem } from '../passwords/password-policy.ts';
import { tokenHash } from '../sessions/secret-tokens.ts';
import {
  listLiveSessions,
  revokeSession,
  revokeUserSessions,
  upgradeSessionAssurance,
} from '../sessions/sessions.repository.ts';

export interface AccountOverview {
  userId: string;
  email: string;
  displayName: string;
  session: { id: string; assurance: 'full' | 'enrolment_only' } | null;
  mfa: { totp: boolean; passkeys: number; recoveryCodesLeft: number };
}

export interface AccountService {
  overview(actor: UserActor): Promise<AccountOverview>;
  /** Set the first password with the one-time setup secret from `admin create` or an administrator. */
  setPasswordWithSetupSecret(
    setupSecret: string,
    password: string,
    context: RequestContext,
  ): Promise<void>;
  changePassword(
    actor: UserActor,
    current: string,
    next: string,
    context: RequestContext,
  ): Promise<void>;
  beginTotp(actor: UserActor, context: RequestContext): Promise<TotpEnrolment>;
  /** Confirm TOTP with a first code; returns the ten recovery codes, shown once. */
  confirmTotp(actor: UserActor, code: string, context: RequestContext): Promise<string[]>;
  /** Remove TOTP after checking the password again; the user's other sessions end. */
  removeTotp(actor: UserActor, password: string, context: RequestContext): Promise<void>;
  regenerateRecoveryCodes(actor: UserActor, context: RequestContext): Promise<string[]>;
  listSessions(actor: UserActor): Promise<Awaited<ReturnType<typeof listLiveSessions>>>;
  revokeOwnSession(actor: UserActor, sessionId: string, context: RequestContext): Promise<void>;
  signOutEverywhere(actor: UserActor, context: RequestContext): Promise<number>;
}

function sessionIdOf(actor: UserActor): string | null {
  return actor.credential?.kind === 'session' ? actor.credential.sessionId : null;
}

export function createAccountService(deps: {
  db: Db;
  passwords: PasswordHasher;
  dataKeys: () => Promise<DataKeyProvider>;
  /** Check the signed-in user's password again, throttled like sign-in. */
  reauthenticate: (actor: UserActor, password: string, context: RequestContext) => Promise<void>;
}): AccountService {
  const { db } = deps;

  const requirePasswordAccepted = (
    password: string,
    context: { email: string; displayName?: string },
  ) => {
    const problem = findPasswordProblem(password, context);
    if (problem !== null) throw new AppError('WEAK_PASSWORD', { detail: problem });
  };

  return {
    async overview(actor) {
      const row = await db
        .selectFrom('users')
        .select([
          'id',
          'email',
          'display_name',
          sql<boolean>`EXISTS (SELECT 1 FROM totp_credentials t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL)`.as(
            'totp',
          ),
          sql<string>`(SELECT count(*) FROM passkey_credentials p WHERE p.user_id = users.id)`.as(
            'passkeys',
          ),
          sql<string>`(SELECT count(*) FROM recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL)`.as(
            'recovery',
          ),
        ])
        .where('id', '=', actor.userId)
        .executeTakeFirstOrThrow();
      const credential = actor.credential;
      return {
        userId: row.id,
        email: row.email,
        displayName: row.display_name,
        session:
          credential?.kind === 'session'
            ? { id: credential.sessionId, assurance: credential.assurance }
            : null,
        mfa: {
          totp: row.totp,
          passkeys: Number(row.passkeys),
          recoveryCodesLeft: Number(row.recovery),
        },
      };
    },

    async setPasswordWithSetupSecret(setupSecret, password, context) {
      const secret = await db
        .selectFrom('user_setup_secrets')
        .innerJoin('users', 'users.id', 'user_setup_secrets.user_id')
        .select([
          'user_setup_secrets.id',
          'users.id as user_id',
          'users.email',
          'users.display_name',
          'users.status',
        ])
        .where('user_setup_secrets.secret_sha256', '=', tokenHash(setupSecret))
        .where('user_setup_secrets.used_at', 'is', null)
        .where(sql<boolean>`user_setup_secrets.expires_at > now()`)
        .executeTakeFirst();
      if (secret === undefined || secret.status !== 'active') {
        throw new AppError('INVALID_CREDENTIALS', {
          detail:
            'The setup secret is not valid, was already used, or has expired. Ask an administrator for a new one.',
        });
      }
      requirePasswordAccepted(password, { email: secret.email, displayName: secret.display_name });
      const passwordHash = await deps.passwords.hash(password);

      await db.transaction().execute(async (tx) => {
        const spent = await tx
          .updateTable('user_setup_secrets')
          .set({ used_at: sql`now()` })
          .where('id', '=', secret.id)
          .where('used_at', 'is', null)
          .executeTakeFirst();
        if (spent.numUpdatedRows === 0n) {
          throw new AppError('INVALID_CREDENTIALS', {
            detail: 'The setup secret was already used. Ask an administrator for a new one.',
          });
        }
        await replacePasswordHash(tx, secret.user_id, passwordHash);
        await revokeUserSessions(tx, secret.user_id, 'password_changed');
        await appendAuditEvent(tx, {
          actor: { type: 'user', userId: secret.user_id, email: secret.email, channel: 'api' },
          action: 'auth.password_set',
          outcome: 'success',
          target: { type: 'user', id: secret.user_id },
          context,
          details: { setupSecretId: secret.id },
        });
      });
    },

    async changePassword(actor, current, next, context) {
      await deps.reauthenticate(actor, current, context);
      const stored = await db
        .selectFrom('users')
        .select('display_name')
        .where('id', '=', actor.userId)
        .executeTakeFirst();
      requirePasswordAccepted(next, {
        email: actor.email,
        ...(stored ? { displayName: stored.display_name } : {}),
      });
      const passwordHash = await deps.passwords.hash(next);
      const keep = sessionIdOf(actor);

      await db.transaction().execute(async (tx) => {
        await replacePasswordHash(tx, actor.userId, passwordHash);
        const revoked = await revokeUserSessions(
          tx,
          actor.userId,
          'password_changed',
          keep ?? undefined,
        );
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.password_changed',
          outcome: 'success',
          target: { type: 'user', id: actor.userId },
          context,
          details: { revokedSessionIds: revoked },
        });
      });
    },

    async beginTotp(actor, context) {
      const dataKeys = await deps.dataKeys();
      return await db.transaction().execute(async (tx) => {
        const enrolment = await beginTotpEnrolment(tx, dataKeys, {
          id: actor.userId,
          email: actor.email,
        });
        if (enrolment === null) {
          throw new AppError('CONFLICT', {
            detail:
              'TOTP is already enrolled for this account. Remove it first to enrol a new authenticator.',
          });
        }
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.mfa_enrolled',
          outcome: 'success',
          reasonCode: 'totp_pending',
          target: { type: 'user', id: actor.userId },
          context,
          details: { method: 'totp', confirmed: false },
        });
        return enrolment;
      });
    },

    async confirmTotp(actor, code, context) {
      const dataKeys = await deps.dataKeys();
      return await db
        .transaction()
        .execute(async (tx) => {
          const check = await checkTotpCode(tx, dataKeys, actor.userId, code, {
            requireConfirmed: false,
          });
          if (check !== 'accepted') {
            await appendAuditEvent(tx, {
              actor,
              action: 'auth.mfa_failed',
              outcome: 'failure',
              reasonCode: `totp_${check}`,
              target: { type: 'user', id: actor.userId },
              context,
              details: { method: 'totp', step: 'enrolment' },
            });
            return null;
          }
          const codes = await replaceRecoveryCodes(tx, actor.userId);
          const sessionId = sessionIdOf(actor);
          if (sessionId !== null) await upgradeSessionAssurance(tx, sessionId, 'totp');
          await appendAuditEvent(tx, {
            actor,
            action: 'auth.mfa_enrolled',
            outcome: 'success',
            target: { type: 'user', id: actor.userId },
            context,
            details: { method: 'totp', confirmed: true, recoveryCodes: codes.length },
          });
          return codes;
        })
        .then((codes) => {
          if (codes === null) {
            throw new AppError('INVALID_CREDENTIALS', {
              detail:
                'The code is not valid or was already used. Enter the current code from your authenticator app.',
            });
          }
          return codes;
        });
    },

    async removeTotp(actor, password, context) {
      await deps.reauthenticate(actor, password, context);

      await db.transaction().execute(async (tx) => {
        const removed = await tx
          .deleteFrom('totp_credentials')
          .where('user_id', '=', actor.userId)
          .returning('user_id')
          .executeTakeFirst();
        if (removed === undefined) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: 'This account has no TOTP authenticator. See GET /api/v1/account.',
          });
        }
        const revoked = await revokeUserSessions(
          tx,
          actor.userId,
          'mfa_removed',
          sessionIdOf(actor) ?? undefined,
        );
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.mfa_removed',
          outcome: 'success',
          target: { type: 'user', id: actor.userId },
          context,
          details: { method: 'totp', revokedSessionIds: revoked },
        });
      });
    },

    async regenerateRecoveryCodes(actor, context) {
      return await db.transaction().execute(async (tx) => {
        const previousUnused = await countUnusedRecoveryCodes(tx, actor.userId);
        const codes = await replaceRecoveryCodes(tx, actor.userId);
        await appendAuditEvent(tx, {
          actor,
          action: 'auth.recovery_codes_generated',
          outcome: 'success',
          target: { type: 'user', id: actor.userId },
          context,
          details: { count: codes.length, previousUnused },
        });
        return codes;
      });
    },

    listSessions: (actor) => listLiveSessions(db, actor.userId),

    async revokeOwnSession(actor, sessionId, context) {
      await db.transaction().execute(async (tx) => {
        const owned = await tx
          .selectFrom('sessions')
          .select('id')
          .where('id', '=', sessionId)
          .where('user_id', '=', actor.userId)
          .executeTakeFirst();
        if (owned === undefined || !(await revokeSession(tx, sessionId, 'sign_out_everywhere'))) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: `You have no live session with id ${sessionId}. List yours with GET /api/v1/account/sessions.`,
          });
        }
        await appendAuditEvent(tx, {
          actor,
          action: 'session.revoked',
          outcome: 'success',
          reasonCode: 'own_session',
          target: { type: 'session', id: sessionId },
          context,
        });
      });
    },

    async signOutEverywhere(actor, context) {
      return await db.transaction().execute(async (tx) => {
        const revoked = await revokeUserSessions(tx, actor.userId, 'sign_out_everywhere');
        await appendAuditEvent(tx, {
          actor,
          action: 'session.revoked',
          outcome: 'success',
          reasonCode: 'sign_out_everywhere',
          target: { type: 'user', id: actor.userId },
          context,
          details: { sessionIds: revoked },
        });
        return revoked.length;
      });
    },
  };
}
