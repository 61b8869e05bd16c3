import type { Db, Tx } from '../../platform/db/database.ts';

export async function findUserByEmail(db: Db | Tx, email: string) {
  return await db
    .selectFrom('users')
    .select(['id', 'email', 'display_name', 'status'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function insertUser(tx: Tx, user: { email: string; displayName: string }) {
  return await tx
    .insertInto('users')
    .values({ email: user.email, display_name: user.displayName })
    .returning(['id', 'email', 'display_name', 'status', 'created_at'])
    .executeTakeFirstOrThrow();
}

export async function insertSetupSecret(
  tx: Tx,
  secret: { userId: string; sha256: Buffer; expiresAt: Date },
) {
  return await tx
    .insertInto('user_setup_secrets')
    .values({ user_id: secret.userId, secret_sha256: secret.sha256, expires_at: secret.expiresAt })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
}
