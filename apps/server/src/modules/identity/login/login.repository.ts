import { sql } from 'kysely';
import type { Db, Tx } from '../../../platform/db/database.ts';

/** Find the user behind an email, with their password hash and enrolled second factors. */
export async function findSignInCandidate(db: Db | Tx, email: string) {
  return await db
    .selectFrom('users')
    .leftJoin('password_credentials', 'password_credentials.user_id', 'users.id')
    .select([
      'users.id',
      'users.email',
      'users.status',
      'password_credentials.password_hash',
      sql<boolean>`EXISTS (SELECT 1 FROM totp_credentials t
                           WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL)`.as(
        'has_totp',
      ),
      sql<boolean>`EXISTS (SELECT 1 FROM passkey_credentials p WHERE p.user_id = users.id)`.as(
        'has_passkey',
      ),
    ])
    .where((eb) => eb(eb.fn('lower', ['users.email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function insertMfaChallenge(
  tx: Tx,
  userId: string,
  tokenSha256: Buffer,
  expiresAt: Date,
) {
  return await tx
    .insertInto('mfa_challenges')
    .values({ user_id: userId, token_sha256: tokenSha256, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** Read a usable challenge without locking it; undefined when spent, expired or unknown. */
export async function findOpenMfaChallenge(db: Db | Tx, tokenSha256: Buffer, maxFailures: number) {
  return await db
    .selectFrom('mfa_challenges')
    .innerJoin('users', 'users.id', 'mfa_challenges.user_id')
    .select(['mfa_challenges.user_id', 'users.email'])
    .where('mfa_challenges.token_sha256', '=', tokenSha256)
    .where('mfa_challenges.completed_at', 'is', null)
    .where('mfa_challenges.failed_attempts', '<', maxFailures)
    .where(sql<boolean>`mfa_challenges.expires_at > now()`)
    .executeTakeFirst();
}

/** Lock a usable challenge for the rest of the transaction; undefined when spent, expired or unknown. */
export async function lockOpenMfaChallenge(tx: Tx, tokenSha256: Buffer, maxFailures: number) {
  return await tx
    .selectFrom('mfa_challenges')
    .innerJoin('users', 'users.id', 'mfa_challenges.user_id')
    .select(['mfa_challenges.id', 'mfa_challenges.user_id', 'users.email', 'users.status'])
    .where('mfa_challenges.token_sha256', '=', tokenSha256)
    .where('mfa_challenges.completed_at', 'is', null)
    .where('mfa_challenges.failed_attempts', '<', maxFailures)
    .where(sql<boolean>`mfa_challenges.expires_at > now()`)
    .forUpdate('mfa_challenges')
    .executeTakeFirst();
}

export async function completeMfaChallenge(tx: Tx, challengeId: string) {
  await tx
    .updateTable('mfa_challenges')
    .set({ completed_at: sql`now()` })
    .where('id', '=', challengeId)
    .execute();
}

export async function countMfaFailure(tx: Tx, challengeId: string) {
  await tx
    .updateTable('mfa_challenges')
    .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
    .where('id', '=', challengeId)
    .execute();
}

export async function recordLogin(tx: Tx, userId: string) {
  await tx
    .updateTable('users')
    .set({ last_login_at: sql`now()` })
    .where('id', '=', userId)
    .execute();
}

export async function replacePasswordHash(tx: Tx | Db, userId: string, passwordHash: string) {
  await tx
    .insertInto('password_credentials')
    .values({ user_id: userId, password_hash: passwordHash })
    .onConflict((conflict) =>
      conflict
        .column('user_id')
        .doUpdateSet({ password_hash: passwordHash, updated_at: sql`now()` }),
    )
    .execute();
}
