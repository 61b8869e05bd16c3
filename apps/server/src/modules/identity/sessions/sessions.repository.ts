import { sql } from 'kysely';
import type { Db, Tx } from '../../../platform/db/database.ts';
import type { AuthMethod, SessionRevokedReason } from '../../../platform/db/schema.ts';

export interface NewSession {
  userId: string;
  assurance: 'full' | 'enrolment_only';
  authMethods: AuthMethod[];
  csrfSha256: Buffer;
  expiresAt: Date;
  ipAddress: string | null;
  userAgent: string | null;
}

export async function insertSession(tx: Tx, session: NewSession) {
  return await tx
    .insertInto('sessions')
    .values({
      user_id: session.userId,
      assurance: session.assurance,
      auth_methods: session.authMethods,
      csrf_sha256: session.csrfSha256,
      expires_at: session.expiresAt,
      ip_address: session.ipAddress,
      user_agent: session.userAgent,
    })
    .returning(['id', 'created_at', 'expires_at'])
    .executeTakeFirstOrThrow();
}

export async function insertRefreshToken(tx: Tx, sessionId: string, tokenSha256: Buffer) {
  await tx
    .insertInto('refresh_tokens')
    .values({ session_id: sessionId, token_sha256: tokenSha256 })
    .execute();
}

/**
 * Mark a live refresh token rotated and return its session. Concurrent
 * calls with the same token serialize on the row, and only the first one
 * gets a row back.
 */
export async function rotateRefreshToken(tx: Tx, tokenSha256: Buffer) {
  return await tx
    .updateTable('refresh_tokens')
    .set({ rotated_at: sql`now()` })
    .where('token_sha256', '=', tokenSha256)
    .where('rotated_at', 'is', null)
    .returning('session_id')
    .executeTakeFirst();
}

export async function findRefreshTokenSession(db: Db | Tx, tokenSha256: Buffer) {
  return await db
    .selectFrom('refresh_tokens')
    .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
    .select(['refresh_tokens.session_id', 'sessions.user_id'])
    .where('refresh_tokens.token_sha256', '=', tokenSha256)
    .executeTakeFirst();
}

function sessionStateQuery(db: Db | Tx, idleMs: number) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.user_id',
      'sessions.assurance',
      'sessions.csrf_sha256',
      'sessions.revoked_at',
      'sessions.expires_at',
      'users.email',
      'users.status',
      'users.grants_version',
      sql<string[]>`peytonix_held_roles(users.id)`.as('held_roles'),
      sql<boolean>`sessions.expires_at > now()`.as('within_lifetime'),
      sql<boolean>`sessions.last_seen_at > now() - make_interval(secs => ${idleMs / 1000})`.as(
        'within_idle',
      ),
      // Written at most once a minute, and often enough for short idle timeouts.
      sql<boolean>`sessions.last_seen_at < now() - make_interval(secs => ${Math.min(60, idleMs / 4000)})`.as(
        'touch_due',
      ),
    ]);
}

export type SessionStateRow = NonNullable<Awaited<ReturnType<typeof readSessionState>>>;

/**
 * Read the state that authenticated requests check: the session joined to
 * its user, by primary key. Liveness is computed with the database clock,
 * so all instances agree.
 */
export async function readSessionState(db: Db | Tx, sessionId: string, idleMs: number) {
  return await sessionStateQuery(db, idleMs)
    .where('sessions.id', '=', sessionId)
    .executeTakeFirst();
}

/** Read the states of several sessions in one query, for requests that arrived together. */
export async function readSessionStates(
  db: Db | Tx,
  sessionIds: readonly string[],
  idleMs: number,
) {
  return await sessionStateQuery(db, idleMs).where('sessions.id', 'in', sessionIds).execute();
}

export async function touchSession(db: Db | Tx, sessionId: string) {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: sql`now()` })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeSession(db: Db | Tx, sessionId: string, reason: SessionRevokedReason) {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revoke every live session of a user, except `keepSessionId` when given; return their ids. */
export async function revokeUserSessions(
  db: Db | Tx,
  userId: string,
  reason: SessionRevokedReason,
  keepSessionId?: string,
): Promise<string[]> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepSessionId !== undefined) query = query.where('id', '<>', keepSessionId);
  const rows = await query.returning('id').execute();
  return rows.map((row) => row.id);
}

export async function upgradeSessionAssurance(tx: Tx, sessionId: string, method: AuthMethod) {
  await tx
    .updateTable('sessions')
    .set({
      assurance: 'full',
      auth_methods: sql`array_append(array_remove(auth_methods, ${method}::text), ${method}::text)`,
    })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function listLiveSessions(db: Db | Tx, userId: string) {
  return await db
    .selectFrom('sessions')
    .select([
      'id',
      'assurance',
      'auth_methods',
      'created_at',
      'expires_at',
      'last_seen_at',
      'ip_address',
      'user_agent',
    ])
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where(sql<boolean>`expires_at > now()`)
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}
