import { isIPv6 } from 'node:net';
import { sql } from 'kysely';
import type { Db } from '../../../platform/db/database.ts';

/**
 * Limits on failed sign-ins for one key. After
 * `freeFailures` failures, each attempt must wait 2^(n - freeFailures)
 * seconds after the previous one, up to `maxDelaySeconds`. At `lockAfter`
 * failures the key is locked for `lockSeconds`. Failures older than
 * `windowSeconds` are forgotten.
 */
export interface ThrottleRule {
  freeFailures: number;
  maxDelaySeconds: number;
  lockAfter: number;
  /** The first lock; each consecutive one lasts twice as long, up to `maxLockSeconds`. */
  lockSeconds: number;
  maxLockSeconds: number;
  windowSeconds: number;
}

export interface ThrottlePolicy {
  /** Per normalized email, whether or not such a user exists. */
  account: ThrottleRule;
  /** Per client IPv4 address or IPv6 /64 network. */
  network: ThrottleRule;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  account: {
    freeFailures: 3,
    maxDelaySeconds: 60,
    lockAfter: 10,
    lockSeconds: 900,
    maxLockSeconds: 14_400,
    windowSeconds: 900,
  },
  network: {
    freeFailures: 20,
    maxDelaySeconds: 60,
    lockAfter: 200,
    lockSeconds: 900,
    maxLockSeconds: 14_400,
    windowSeconds: 900,
  },
};

export type ThrottleScope = keyof ThrottlePolicy;

export interface AttemptDecision {
  scope: ThrottleScope;
  allowed: boolean;
  retryAfterSeconds: number;
  failures: number;
  /** The key is locked, or this attempt's failure locks it. */
  locked: boolean;
}

/**
 * Return the throttle key of a client address: IPv4 as is, IPv6 by its /64,
 * because one host usually owns a whole /64 and can rotate within it.
 */
export function networkKey(ipAddress: string): string {
  if (!isIPv6(ipAddress)) return ipAddress;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ipAddress);
  if (mapped?.[1] !== undefined) return mapped[1];

  const [head = '', tail = ''] = ipAddress.split('%')[0]?.split('::') ?? [];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = ipAddress.includes('::') ? [...headGroups, ...zeros, ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

export function accountKey(email: string): string {
  return email.trim().toLowerCase().slice(0, 320);
}

/**
 * Count one attempt against the key before the password is checked, and
 * return whether it may go ahead. Counting first means parallel guesses
 * each see the ones before them; `attemptSucceeded` takes the count back.
 */
export async function beginAttempt(
  db: Db,
  scope: ThrottleScope,
  key: string,
  rule: ThrottleRule,
): Promise<AttemptDecision> {
  const result = await sql<{
    allowed: boolean;
    retry_after_seconds: number;
    failures: number;
    locked: boolean;
  }>`SELECT * FROM login_attempt_begin(${scope}, ${key}, ${rule.freeFailures}::int,
      ${rule.maxDelaySeconds}::int, ${rule.lockAfter}::int, ${rule.lockSeconds}::int,
      ${rule.maxLockSeconds}::int, ${rule.windowSeconds}::int)`.execute(db);
  const row = result.rows[0];
  if (row === undefined) {
    throw new Error('login_attempt_begin returned no row');
  }
  return {
    scope,
    allowed: row.allowed,
    retryAfterSeconds: row.retry_after_seconds,
    failures: row.failures,
    locked: row.locked,
  };
}

export async function attemptSucceeded(db: Db, scope: ThrottleScope, key: string) {
  await sql`SELECT login_attempt_succeeded(${scope}, ${key})`.execute(db);
}
