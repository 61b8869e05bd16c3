import type { Logger } from 'pino';
import type { Db } from '../../platform/db/database.ts';
import type { Actor } from '../identity/actor.ts';
import { type AuditEventInput, appendAuditEvent } from './audit-trail.service.ts';

export interface DenialLimit {
  /** Denials per actor written one by one before limiting starts. */
  burst: number;
  /** Denials per actor per second written one by one after that. */
  perSecond: number;
}

export const DEFAULT_DENIAL_LIMIT: DenialLimit = { burst: 20, perSecond: 1 };

interface Bucket {
  tokens: number;
  updatedAt: number;
  suppressed: number;
  firstSuppressedAt: string | null;
  lastSuppressedAt: string | null;
  actions: Set<string>;
  actor: Actor;
}

export interface SecurityEvents {
  /**
   * Append an event that has no change of its own (a failed login, a
   * download) in its own transaction. Await it before responding: a
   * failure throws AUDIT_TRAIL_UNAVAILABLE and the request must fail.
   */
  record(event: AuditEventInput): Promise<void>;
  /**
   * Record an authorization denial. Past the per-actor limit, denials are
   * counted instead of written one by one, and the count is written as an
   * `audit.denials_suppressed` event: nothing is dropped unrecorded.
   */
  recordDenial(event: AuditEventInput): Promise<void>;
  /** Write the pending suppressed counts now; also runs on a timer. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

function actorKey(actor: Actor): string {
  switch (actor.type) {
    case 'user':
      return `user:${actor.userId}`;
    case 'ai':
      return `ai:${actor.onBehalfOf}`;
    default:
      return actor.type;
  }
}

export function createSecurityEvents(
  deps: { db: Db; logger: Logger },
  limit: DenialLimit = DEFAULT_DENIAL_LIMIT,
  flushIntervalMs = 10_000,
): SecurityEvents {
  const buckets = new Map<string, Bucket>();

  const record = async (event: AuditEventInput) => {
    await deps.db.transaction().execute((tx) => appendAuditEvent(tx, event));
  };

  const writeSummary = async (bucket: Bucket) => {
    if (bucket.suppressed === 0) return;
    const summary = {
      suppressedCount: bucket.suppressed,
      firstSuppressedAt: bucket.firstSuppressedAt,
      lastSuppressedAt: bucket.lastSuppressedAt,
      actions: [...bucket.actions].sort(),
    };
    await record({
      actor: bucket.actor,
      action: 'audit.denials_suppressed',
      outcome: 'denied',
      details: summary,
    });
    bucket.suppressed = 0;
    bucket.firstSuppressedAt = null;
    bucket.lastSuppressedAt = null;
    bucket.actions.clear();
  };

  const refill = (bucket: Bucket, now: number) => {
    const earned = ((now - bucket.updatedAt) / 1000) * limit.perSecond;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + earned);
    bucket.updatedAt = now;
  };

  const flush = async () => {
    for (const [key, bucket] of buckets) {
      await writeSummary(bucket);
      refill(bucket, Date.now());
      if (bucket.tokens >= limit.burst) buckets.delete(key);
    }
  };

  const timer = setInterval(() => {
    flush().catch((error: unknown) =>
      deps.logger.error({ err: error }, 'suppressed denial counts not written; will retry'),
    );
  }, flushIntervalMs);
  timer.unref();

  return {
    record,
    flush,

    async recordDenial(event) {
      const key = actorKey(event.actor);
      const now = Date.now();
      const bucket = buckets.get(key) ?? {
        tokens: limit.burst,
        updatedAt: now,
        suppressed: 0,
        firstSuppressedAt: null,
        lastSuppressedAt: null,
        actions: new Set<string>(),
        actor: event.actor,
      };
      buckets.set(key, bucket);
      refill(bucket, now);

      if (bucket.tokens < 1) {
        const at = new Date(now).toISOString();
        bucket.suppressed += 1;
        bucket.firstSuppressedAt ??= at;
        bucket.lastSuppressedAt = at;
        bucket.actions.add(event.action);
        deps.logger.warn(
          { actor: key, action: event.action, suppressed: bucket.suppressed },
          'denial counted, not written singly',
        );
        return;
      }

      bucket.tokens -= 1;
      await writeSummary(bucket);
      await record(event);
    },

    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
