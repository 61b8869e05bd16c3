/** The channel a request arrived through; recorded on every audit event. */
export type Channel = 'api' | 'cli' | 'worker' | 'scim' | 'sso';

/**
 * The principal behind an action. A user acts for themselves, and `ai`
 * always acts on behalf of a user and may only propose changes. `system`
 * and `scim` are service principals.
 */
export type Actor =
  | { type: 'user'; userId: string; email: string; channel: Channel }
  | { type: 'ai'; onBehalfOf: string; channel: Channel }
  | { type: 'system'; channel: Channel }
  | { type: 'scim'; channel: Channel };

/** Request metadata that audit events carry. */
export interface RequestContext {
  requestId?: string;
  correlationId?: string;
  ipAddress?: string;
  userAgent?: string;
}
