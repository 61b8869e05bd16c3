import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Create a fresh 256-bit secret, base64url without padding (43 characters). */
export function newSecretToken(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Hash a secret token for storage: SHA-256 of its text. */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Compare a presented token with a stored hash in constant time. */
export function tokenMatches(token: string, storedHash: Buffer): boolean {
  const presented = tokenHash(token);
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash);
}

/** Tokens are base64url text of bounded length; anything else is rejected before hashing. */
export function looksLikeToken(value: unknown, prefix = ''): value is string {
  return (
    typeof value === 'string' &&
    value.length <= prefix.length + 64 &&
    value.startsWith(prefix) &&
    /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length))
  );
}
