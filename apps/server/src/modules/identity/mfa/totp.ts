import { sql } from 'kysely';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Db, Tx } from '../../../platform/db/database.ts';
import type { DataKeyProvider } from '../../../platform/keys/data-key-provider.ts';
import { openSealedSecret, sealSecret } from '../../../platform/keys/sealed-secret.ts';

/** RFC 6238 defaults that every authenticator app supports: SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
/** Accept the previous and next step too, for clock drift between phone and server. */
const TOLERANCE_SECONDS = 30;
const ISSUER = 'Peytonix';

function sealContext(userId: string): string {
  return `totp:${userId}`;
}

export interface TotpEnrolment {
  /** Base32 seed, for typing into an app that cannot scan. */
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

export type TotpCheck = 'accepted' | 'invalid' | 'replayed' | 'not_enrolled';

/**
 * Start or restart TOTP enrolment: store a new sealed seed, unconfirmed.
 * A confirmed seed is never replaced here; the user removes it first.
 */
export async function beginTotpEnrolment(
  tx: Tx,
  dataKeys: DataKeyProvider,
  user: { id: string; email: string },
): Promise<TotpEnrolment | null> {
  const existing = await tx
    .selectFrom('totp_credentials')
    .select('confirmed_at')
    .where('user_id', '=', user.id)
    .forUpdate()
    .executeTakeFirst();
  if (existing?.confirmed_at) return null;

  const secret = generateSecret({ length: 20 });
  const sealed = await sealSecret(dataKeys, Buffer.from(secret, 'utf8'), sealContext(user.id));
  await tx.deleteFrom('totp_credentials').where('user_id', '=', user.id).execute();
  await tx
    .insertInto('totp_credentials')
    .values({ user_id: user.id, secret_sealed: sealed })
    .execute();

  const otpauthUri = generateURI({
    issuer: ISSUER,
    label: user.email,
    secret,
    period: PERIOD_SECONDS,
  });
  const qrCodeSvg = await QRCode.toString(otpauthUri, {
    type: 'svg',
    errorCorrectionLevel: 'M',
    margin: 2,
  });
  return { secret, otpauthUri, qrCodeSvg };
}

/**
 * Check a code and spend its time step. The UPDATE accepts a step only when
 * it is later than the last one used, so the same code, or an older one,
 * is rejected on every server instance. `requireConfirmed` is false only
 * for the code that confirms enrolment.
 */
export async function checkTotpCode(
  tx: Tx | Db,
  dataKeys: DataKeyProvider,
  userId: string,
  code: string,
  options: { requireConfirmed: boolean },
): Promise<TotpCheck> {
  const credential = await tx
    .selectFrom('totp_credentials')
    .select(['secret_sealed', 'confirmed_at', 'last_used_step'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (credential === undefined || (options.requireConfirmed && credential.confirmed_at === null)) {
    return 'not_enrolled';
  }
  if (!/^\d{6}$/.test(code)) return 'invalid';

  const secret = (
    await openSealedSecret(dataKeys, credential.secret_sealed, sealContext(userId))
  ).toString('utf8');
  const result = await verify({
    secret,
    token: code,
    period: PERIOD_SECONDS,
    epochTolerance: TOLERANCE_SECONDS,
  });
  if (!result.valid || !('timeStep' in result)) return 'invalid';
  const step = result.timeStep;

  const spent = await tx
    .updateTable('totp_credentials')
    .set({
      last_used_step: step,
      confirmed_at: sql`coalesce(confirmed_at, now())`,
    })
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', String(step))]),
    )
    .executeTakeFirst();
  return spent.numUpdatedRows > 0n ? 'accepted' : 'replayed';
}
