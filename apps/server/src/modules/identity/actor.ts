import type { Role } from '../access/permissions.ts';

/** The channel a request arrived through; recorded on every audit event. */
export type Channel = 'api' | 'cli' | 'worker' | 'scim' | 'sso';

/**
 * How a user's request proved who it is. A session is a sign-in with a
 * password and, under the MFA policy, a second factor; an API token is a
 * personal token that carries a fixed list of permissions.
 */
export type Credential =
  | {
      kind: 'session';
      sessionId: string;
      /** enrolment_only: the user must enrol a second factor before anything else. */
      assurance: 'full' | 'enrolment_only';
      transport: 'cookie' | 'bearer';
    }
  | { kind: 'api_token'; tokenId: string; permissions: readonly string[] };

/**
 * The principal behind an action. A user acts for themselves, and `ai`
 * always acts on behalf of a user and may only propose changes. `system`
 * and `scim` are service principals. `anonymous` is the caller of a
 * sign-in that has not succeeded; it only ever appears in audit events.
 */
export type Actor =
  | {
      type: 'user';
      userId: string;
      email: string;
      channel: Channel;
      /** Absent for the CLI, whose operator acts through `--as`. */
      credential?: Credential;
      /** users.grants_version when the request was authenticated. */
      grantsVersion?: string;
      /**
       * The roles the user holds on any entity, read with the session on
       * each request, for the route's coarse permission check. Services
       * check the target's entity in the database.
       */
      heldRoles?: readonly Role[];
    }
  | { type: 'ai'; onBehalfOf: string; channel: Channel }
  | { type: 'system'; channel: Channel }
  | { type: 'scim'; channel: Channel }
  | { type: 'anonymous'; channel: Channel };

export type UserActor = Extract<Actor, { type: 'user' }>;

/** Request metadata that audit events carry. */
export interface RequestContext {
  requestId?: string;
  correlationId?: string;
  ipAddress?: string;
  userAgent?: string;
}
