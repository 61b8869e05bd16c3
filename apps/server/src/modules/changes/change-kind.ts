import type { z } from 'zod';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** The change a kind derives from a request's input, before the request is stored. */
export interface ProposedChange {
  /** The entity whose scope both the requester and the approver must cover. */
  entityId: string;
  targetType: string;
  /** Identifies the target within the kind; one pending request per kind and key. */
  targetKey: string;
  /** The target's current state, as readState returns it. */
  before: JsonValue;
  /** The state that applying the change produces. */
  after: JsonValue;
}

/** The stored request that a kind's approval and apply steps receive. */
export interface StoredChange {
  id: string;
  kind: string;
  entityId: string;
  targetType: string;
  targetKey: string;
  before: unknown;
  after: unknown;
  requestedBy: string;
}

export interface KindContext {
  context?: RequestContext | undefined;
}

/**
 * One kind of governed change. The change-request service owns the
 * lifecycle: storage, diff hash, staleness, expiry, status transitions and
 * the approver rules common to every kind. A kind owns what is specific to
 * its target. Every method runs inside the actor-scoped transaction of the
 * call.
 */
export interface ChangeKind<Input> {
  /** `domain.verb`, such as grant.add; stored in change_requests.kind. */
  kind: string;
  inputSchema: z.ZodType<Input>;
  /**
   * Load the target in the requester's scope, authorize the requester
   * (permission and separation of duties), check business rules, and
   * return the change to store.
   */
  propose(tx: Tx, actor: Actor, input: Input, options: KindContext): Promise<ProposedChange>;
  /**
   * Read the target's current state in the same shape as `before`, and
   * lock what the kind can lock, so the state holds until apply commits.
   */
  readState(tx: Tx, change: StoredChange): Promise<JsonValue>;
  /**
   * Checks on the decider, approving or rejecting, beyond
   * change_requests.decide on the entity, the human-approver rule and the
   * author rule, which the service applies to every kind. Rejections pass
   * the same checks, so no one can veto a change they could not approve,
   * such as the revocation of their own grant.
   */
  authorizeApprover(
    tx: Tx,
    actor: Actor,
    change: StoredChange,
    options: KindContext,
  ): Promise<void>;
  /** Make the target match `after`, and append the kind's own audit event. */
  apply(tx: Tx, approver: Actor, change: StoredChange, options: KindContext): Promise<void>;
}

/** A kind with its input type erased, so kinds of different inputs share one registry. */
export interface RegisteredChangeKind {
  kind: string;
  propose(tx: Tx, actor: Actor, input: unknown, options: KindContext): Promise<ProposedChange>;
  readState(tx: Tx, change: StoredChange): Promise<JsonValue>;
  authorizeApprover(
    tx: Tx,
    actor: Actor,
    change: StoredChange,
    options: KindContext,
  ): Promise<void>;
  apply(tx: Tx, approver: Actor, change: StoredChange, options: KindContext): Promise<void>;
}

/** Validate the input against the kind's schema; callers other than routes (the CLI, AI features) rely on it. */
function parseInput<Input>(definition: ChangeKind<Input>, input: unknown): Input {
  const parsed = definition.inputSchema.safeParse(input);
  if (parsed.success) return parsed.data;

  const errors = parsed.error.issues.map((issue) => ({
    path: issue.path.join('.'),
    message: issue.message,
  }));
  const first = errors[0];
  throw new AppError('VALIDATION_FAILED', {
    detail: `Invalid ${definition.kind} request${first ? ` at ${first.path || 'the input'}: ${first.message}` : ''}. Correct the listed fields and retry.`,
    extensions: { errors },
  });
}

export function registerChangeKind<Input>(definition: ChangeKind<Input>): RegisteredChangeKind {
  return {
    kind: definition.kind,
    propose: (tx, actor, input, options) =>
      definition.propose(tx, actor, parseInput(definition, input), options),
    readState: (tx, change) => definition.readState(tx, change),
    authorizeApprover: (tx, actor, change, options) =>
      definition.authorizeApprover(tx, actor, change, options),
    apply: (tx, approver, change, options) => definition.apply(tx, approver, change, options),
  };
}

/**
 * Parse a stored state with the kind's schema before acting on it. A
 * mismatch means the row was written by other code or a changed kind, so
 * it is an internal error, not the caller's.
 */
export function parseStoredState<State>(
  schema: z.ZodType<State>,
  value: unknown,
  what: string,
): State {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new AppError('INTERNAL_ERROR', {
      detail:
        'The change request holds a state this server cannot read. Quote the request id to support.',
      internal: new Error(`stored ${what} does not match its schema: ${parsed.error.message}`),
    });
  }
  return parsed.data;
}
