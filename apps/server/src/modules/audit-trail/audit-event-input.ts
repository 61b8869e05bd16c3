import { isIP } from 'node:net';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { AuditAction } from './audit-actions.ts';
import type { AuditRecord } from './chain/audit-record.ts';

/** Every field of an event except the two that the database assigns. */
export type AuditFields = Omit<AuditRecord, 'seq' | 'occurredAt'>;

export interface AuditEventInput {
  actor: Actor;
  action: AuditAction;
  outcome: 'success' | 'denied' | 'failure';
  reasonCode?: string;
  target?: { type: string; id: string };
  entityId?: string;
  context?: RequestContext;
  details?: Record<string, unknown>;
}

const USER_AGENT_MAX_LENGTH = 1024;
const SECRET_KEY_PATTERN = /(password|secret|token|key|authorization|cookie)/i;
// A key such as setupSecretId or api_key_id names the id of a record that
// contains a secret, not the secret itself, so its value is kept.
const IDENTIFIER_KEY_PATTERN = /(Id|_id)s?$/;
// Audit vocabulary where "key" means a business key, not key material: a
// test's key, its key columns, an exception's key values or key hash, a
// change request's target key. Their values are what an auditor searches
// for, so they are kept.
const BUSINESS_KEY_PATTERN =
  /^(test|template|target|setting|object)_?keys?$|^key_?(columns?|values?|hash(es)?)$/i;

function isSecretKey(key: string): boolean {
  return (
    SECRET_KEY_PATTERN.test(key) &&
    !IDENTIFIER_KEY_PATTERN.test(key) &&
    !BUSINESS_KEY_PATTERN.test(key)
  );
}

/**
 * Make a string storable and hashable as given: PostgreSQL text refuses
 * NUL, and UTF-8 cannot carry a lone surrogate, so either would make the
 * stored value differ from the hashed one.
 */
function cleanText(value: string): string {
  return value.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

function cleanOptional(value: string | undefined): string | null {
  return value === undefined ? null : cleanText(value);
}

/** Nesting deeper than this is cut, so details stay cheap to canonicalize. */
const MAX_DETAILS_DEPTH = 16;

/** Replace values under secret-looking keys, at any depth, and cut deep nesting. */
export function redactDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DETAILS_DEPTH) return '[TOO DEEP]';
  if (Array.isArray(value)) return value.map((item) => redactDetails(item, depth + 1));

  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      cleanText(key),
      isSecretKey(key) ? '[REDACTED]' : redactDetails(inner, depth + 1),
    ]),
  );
}

/**
 * Reduce details to plain JSON first (dates become ISO strings, undefined
 * members go, non-finite numbers become null), so the value read back from
 * the jsonb column canonicalizes to the same text that was hashed.
 */
function cleanDetails(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (details === undefined) return {};
  const plain: unknown = JSON.parse(JSON.stringify(details));
  return redactDetails(plain) as Record<string, unknown>;
}

function actorFields(actor: Actor): Pick<AuditFields, 'actorType' | 'actorId' | 'onBehalfOf'> {
  switch (actor.type) {
    case 'user':
      return { actorType: 'user', actorId: actor.userId, onBehalfOf: null };
    case 'ai':
      return { actorType: 'ai', actorId: null, onBehalfOf: actor.onBehalfOf };
    default:
      return { actorType: actor.type, actorId: null, onBehalfOf: null };
  }
}

/**
 * Accept an address only in a form PostgreSQL's inet type also accepts:
 * node:net takes IPv6 zone ids such as fe80::1%eth0, and inet does not.
 */
function isStorableAddress(address: string | undefined): address is string {
  return address !== undefined && isIP(address) !== 0 && !address.includes('%');
}

/** Build the stored and hashed fields of an event, cleaned and redacted. */
export function toAuditFields(event: AuditEventInput): AuditFields {
  const context = event.context ?? {};
  const ipAddress = isStorableAddress(context.ipAddress) ? context.ipAddress : null;
  const userAgent = context.userAgent?.slice(0, USER_AGENT_MAX_LENGTH);

  return {
    ...actorFields(event.actor),
    channel: event.actor.channel,
    action: event.action,
    outcome: event.outcome,
    reasonCode: cleanOptional(event.reasonCode),
    targetType: cleanOptional(event.target?.type),
    targetId: cleanOptional(event.target?.id),
    entityId: event.entityId ?? null,
    requestId: cleanOptional(context.requestId),
    correlationId: cleanOptional(context.correlationId),
    ipAddress,
    userAgent: cleanOptional(userAgent),
    details: cleanDetails(event.details),
  };
}
