import type { Logger } from 'pino';
import type { IdentityConfig } from '../../../platform/config/config.ts';
import type { Db, Tx } from '../../../platform/db/database.ts';
import type { AuthMethod } from '../../../platform/db/schema.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../../audit-trail/security-events.ts';
import type { Actor, RequestContext, UserActor } from '../actor.ts';
import type { PasswordHasher } from '../passwords/password-hasher.ts';
import { newSecretToken, tokenHash } from '../sessions/secret-tokens.ts';
import type { IssuedTokens, SessionService } from '../sessions/session.service.ts';
import {
  completeMfaChallenge,
  countMfaFailure,
  findOpenMfaChallenge,
  findSignInCandidate,
  insertMfaChallenge,
  lockOpenMfaChallenge,
  recordLogin,
  replacePasswordHash,
} from './login.repository.ts';
import {
  type AttemptDecision,
  accountKey,
  attemptSucceeded,
  beginAttempt,
  DEFAULT_THROTTLE_POLICY,
  networkKey,
  type ThrottlePolicy,
} from './login-throttle.ts';

export type SecondFactor = 'totp' | 'passkey' | 'recovery_code';

export type LoginResult =
  | { status: 'signed_in'; tokens: IssuedTokens }
  | { status: 'mfa_required'; mfaToken: string; methods: SecondFactor[]; expiresAt: Date };

/** Outcome of checking a second factor inside the challenge's transaction. */
export type FactorCheck = { ok: true } | { ok: false; reasonCode: string };

/** How long the second-factor step may take after a correct password. */
const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong second factors allowed per challenge; then the password step starts again. */
export const MFA_CHALLENGE_MAX_FAILURES = 5;

const INVALID_CREDENTIALS = 'The email or password is not correct.';
const INVALID_MFA =
  'The second-factor check failed, or the sign-in step expired. Try again, or sign in with your password again.';

export interface LoginService {
  /** Check email and password: returns a session, or a challenge for the second factor. */
  signInWithPassword(
    email: string,
    password: string,
    context: RequestContext,
  ): Promise<LoginResult>;
  /**
   * Finish a sign-in whose password was correct. `check` verifies the
   * factor inside the transaction that spends the challenge, so a challenge
   * and a factor are each used once.
   */
  completeSecondFactor(
    mfaToken: string,
    method: SecondFactor,
    context: RequestContext,
    check: (tx: Tx, userId: string) => Promise<FactorCheck>,
  ): Promise<IssuedTokens>;
  /**
   * Check a signed-in user's password again before a sensitive change. It
   * counts against the same throttle as sign-in, so a stolen session cannot
   * guess the password at full speed.
   */
  verifyCurrentPassword(actor: UserActor, password: string, context: RequestContext): Promise<void>;
  /** The user id behind an open challenge, for building passkey options; null when not usable. */
  challengeUser(mfaToken: string): Promise<{ userId: string } | null>;
}

function throttleReason(decision: AttemptDecision): string {
  return `${decision.scope}_${decision.locked ? 'locked' : 'delay'}`;
}

export function createLoginService(deps: {
  db: Db;
  logger: Logger;
  identity: IdentityConfig;
  passwords: PasswordHasher;
  sessions: SessionService;
  securityEvents: SecurityEvents;
  throttlePolicy?: ThrottlePolicy;
}): LoginService {
  const { db, sessions } = deps;
  const policy = deps.throttlePolicy ?? DEFAULT_THROTTLE_POLICY;
  const anonymous: Actor = { type: 'anonymous', channel: 'api' };

  const throttle = async (email: string, context: RequestContext) => {
    const decisions = [
      await beginAttempt(db, 'network', networkKey(context.ipAddress ?? 'unknown'), policy.network),
    ];
    if (decisions[0]?.allowed) {
      decisions.push(await beginAttempt(db, 'account', accountKey(email), policy.account));
    }
    const refused = decisions.find((decision) => !decision.allowed);
    if (refused === undefined) return decisions;

    await deps.securityEvents.recordDenial({
      actor: anonymous,
      action: 'auth.login_throttled',
      outcome: 'denied',
      reasonCode: throttleReason(refused),
      context,
      details: {
        email: accountKey(email),
        failures: refused.failures,
        retryAfterSeconds: refused.retryAfterSeconds,
      },
    });
    throw new AppError('LOGIN_THROTTLED', {
      detail: `Too many sign-in attempts. Wait ${refused.retryAfterSeconds} seconds, then try again.`,
      headers: { 'retry-after': String(refused.retryAfterSeconds) },
    });
  };

  const recordFailure = async (
    email: string,
    userId: string | undefined,
    reasonCode: string,
    decisions: AttemptDecision[],
    context: RequestContext,
  ) => {
    await deps.securityEvents.record({
      actor: anonymous,
      action: 'auth.login_failed',
      outcome: 'failure',
      reasonCode,
      ...(userId ? { target: { type: 'user', id: userId } } : {}),
      context,
      details: { email: accountKey(email) },
    });
    await recordLocks(email, userId, decisions, context);
  };

  const recordLocks = async (
    email: string,
    userId: string | undefined,
    decisions: AttemptDecision[],
    context: RequestContext,
  ) => {
    for (const decision of decisions.filter((item) => item.locked)) {
      await deps.securityEvents.record({
        actor: anonymous,
        action: 'auth.account_locked',
        outcome: 'denied',
        reasonCode: decision.scope,
        ...(userId && decision.scope === 'account' ? { target: { type: 'user', id: userId } } : {}),
        context,
        details: {
          email: accountKey(email),
          failures: decision.failures,
          lockSeconds: policy[decision.scope].lockSeconds,
        },
      });
    }
  };

  const takeBack = async (
    decisions: AttemptDecision[],
    email: string,
    context: RequestContext,
    scopes: AttemptDecision['scope'][],
  ) => {
    for (const decision of decisions.filter((item) => scopes.includes(item.scope))) {
      const key =
        decision.scope === 'account'
          ? accountKey(email)
          : networkKey(context.ipAddress ?? 'unknown');
      await attemptSucceeded(db, decision.scope, key);
    }
  };

  const startSession = async (
    user: { id: string; email: string },
    assurance: 'full' | 'enrolment_only',
    authMethods: AuthMethod[],
    context: RequestContext,
    inTx?: (tx: Tx) => Promise<void>,
  ) => {
    const started = await db.transaction().execute(async (tx) => {
      await inTx?.(tx);
      const session = await sessions.start(tx, {
        userId: user.id,
        assurance,
        authMethods,
        context,
      });
      await recordLogin(tx, user.id);
      await appendAuditEvent(tx, {
        actor: { type: 'user', userId: user.id, email: user.email, channel: 'api' },
        action: 'auth.login_succeeded',
        outcome: 'success',
        target: { type: 'session', id: session.sessionId },
        context,
        details: { methods: authMethods, assurance },
      });
      return session;
    });
    return await sessions.withAccessToken(started);
  };

  return {
    async signInWithPassword(email, password, context) {
      const decisions = await throttle(email, context);

      const candidate = await findSignInCandidate(db, email);
      const check = await deps.passwords.verify(candidate?.password_hash ?? null, password);
      if (!check.matches || candidate === undefined) {
        await recordFailure(email, candidate?.id, 'invalid_credentials', decisions, context);
        throw new AppError('INVALID_CREDENTIALS', { detail: INVALID_CREDENTIALS });
      }
      if (candidate.status !== 'active') {
        // The password was right, but the response stays the same as for a
        // wrong one, so a suspended account cannot be distinguished.
        await recordFailure(email, candidate.id, `user_${candidate.status}`, decisions, context);
        throw new AppError('INVALID_CREDENTIALS', { detail: INVALID_CREDENTIALS });
      }

      const user = { id: candidate.id, email: candidate.email };
      if (check.needsRehash) {
        await db.transaction().execute(async (tx) => {
          await replacePasswordHash(tx, user.id, await deps.passwords.hash(password));
          await appendAuditEvent(tx, {
            actor: { type: 'user', userId: user.id, email: user.email, channel: 'api' },
            action: 'auth.password_rehashed',
            outcome: 'success',
            target: { type: 'user', id: user.id },
            context,
          });
        });
      }

      const methods: SecondFactor[] = [];
      if (candidate.has_totp) methods.push('totp');
      if (candidate.has_passkey) methods.push('passkey');
      // With a second factor still to come, the account keeps this attempt
      // counted until the factor succeeds, so guessing codes across many
      // password sign-ins still runs into the account lock.
      await takeBack(
        decisions,
        email,
        context,
        methods.length > 0 ? ['network'] : ['network', 'account'],
      );
      if (methods.length > 0) {
        methods.push('recovery_code');
        const mfaToken = newSecretToken();
        const expiresAt = new Date(Date.now() + MFA_CHALLENGE_TTL_MS);
        await db
          .transaction()
          .execute((tx) => insertMfaChallenge(tx, user.id, tokenHash(mfaToken), expiresAt));
        return { status: 'mfa_required', mfaToken, methods, expiresAt };
      }

      const assurance = deps.identity.mfaRequired ? 'enrolment_only' : 'full';
      return {
        status: 'signed_in',
        tokens: await startSession(user, assurance, ['password'], context),
      };
    },

    async completeSecondFactor(mfaToken, method, context, check) {
      const tokenSha256 = tokenHash(mfaToken);
      const pending = await findOpenMfaChallenge(db, tokenSha256, MFA_CHALLENGE_MAX_FAILURES);
      // The second factor counts against the same account and network
      // throttle as the password, so a locked account cannot finish either.
      const decisions = pending ? await throttle(pending.email, context) : [];

      const result = await db.transaction().execute(async (tx) => {
        const challenge = await lockOpenMfaChallenge(tx, tokenSha256, MFA_CHALLENGE_MAX_FAILURES);
        if (challenge === undefined) {
          return { ok: false as const, reasonCode: 'challenge_not_open' };
        }
        if (challenge.status !== 'active') {
          return {
            ok: false as const,
            reasonCode: `user_${challenge.status}`,
            userId: challenge.user_id,
          };
        }

        const factor = await check(tx, challenge.user_id);
        if (!factor.ok) {
          return {
            ok: false as const,
            reasonCode: factor.reasonCode,
            userId: challenge.user_id,
            challengeId: challenge.id,
          };
        }
        await completeMfaChallenge(tx, challenge.id);
        await appendAuditEvent(tx, {
          actor: {
            type: 'user',
            userId: challenge.user_id,
            email: challenge.email,
            channel: 'api',
          },
          action: method === 'recovery_code' ? 'auth.recovery_code_used' : 'auth.mfa_verified',
          outcome: 'success',
          target: { type: 'user', id: challenge.user_id },
          context,
          details: { method },
        });
        return { ok: true as const, user: { id: challenge.user_id, email: challenge.email } };
      });

      if (!result.ok) {
        if ('challengeId' in result && result.challengeId !== undefined) {
          const challengeId = result.challengeId;
          await db.transaction().execute((tx) => countMfaFailure(tx, challengeId));
        }
        await deps.securityEvents.record({
          actor: anonymous,
          action: 'auth.mfa_failed',
          outcome: 'failure',
          reasonCode: result.reasonCode,
          ...('userId' in result && result.userId
            ? { target: { type: 'user', id: result.userId } }
            : {}),
          context,
          details: { method },
        });
        if (pending) await recordLocks(pending.email, pending.user_id, decisions, context);
        throw new AppError('INVALID_CREDENTIALS', { detail: INVALID_MFA });
      }

      await takeBack(decisions, result.user.email, context, ['network', 'account']);
      return await startSession(result.user, 'full', ['password', method], context);
    },

    async verifyCurrentPassword(actor, password, context) {
      const decisions = await throttle(actor.email, context);
      const stored = await db
        .selectFrom('password_credentials')
        .select('password_hash')
        .where('user_id', '=', actor.userId)
        .executeTakeFirst();
      const check = await deps.passwords.verify(stored?.password_hash ?? null, password);
      if (!check.matches) {
        await deps.securityEvents.record({
          actor,
          action: 'auth.login_failed',
          outcome: 'failure',
          reasonCode: 'current_password_invalid',
          target: { type: 'user', id: actor.userId },
          context,
        });
        await recordLocks(actor.email, actor.userId, decisions, context);
        throw new AppError('INVALID_CREDENTIALS', {
          detail: 'The current password is not correct.',
        });
      }
      await takeBack(decisions, actor.email, context, ['network', 'account']);
    },

    async challengeUser(mfaToken) {
      return await db.transaction().execute(async (tx) => {
        const challenge = await lockOpenMfaChallenge(
          tx,
          tokenHash(mfaToken),
          MFA_CHALLENGE_MAX_FAILURES,
        );
        return challenge && challenge.status === 'active' ? { userId: challenge.user_id } : null;
      });
    },
  };
}
