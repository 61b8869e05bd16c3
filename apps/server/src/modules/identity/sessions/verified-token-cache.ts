import type { AccessTokenClaims } from './access-tokens.ts';

interface CachedClaims {
  claims: AccessTokenClaims;
  /** exp claim, in milliseconds since the epoch. */
  expiresAtMs: number;
  /** nbf claim, in milliseconds since the epoch. */
  notBeforeMs: number;
}

/**
 * Claims of access tokens whose signature and claims were already checked,
 * keyed by the exact token text, so a client that sends the same token
 * again skips the Ed25519 verification (about 100 µs on a 2-core Xeon,
 * measured with bench/auth.ts). An entry lives until the token's exp and
 * never longer; the oldest entries go first when the cache is full.
 * Revocation is unaffected: the session is still read on every request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, CachedClaims>();
  private readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get(token: string, nowMs: number, toleranceMs: number): AccessTokenClaims | null {
    const entry = this.entries.get(token);
    if (entry === undefined) return null;
    if (entry.expiresAtMs <= nowMs) {
      this.entries.delete(token);
      return null;
    }
    return entry.notBeforeMs <= nowMs + toleranceMs ? entry.claims : null;
  }

  set(token: string, entry: CachedClaims) {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, entry);
  }

  get size(): number {
    return this.entries.size;
  }
}
