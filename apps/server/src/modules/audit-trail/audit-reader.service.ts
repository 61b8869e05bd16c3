import type { Writable } from 'node:stream';
import type { AuditVerification } from '@peytonix/contracts';
import { VARIABLES } from '../../platform/config/variables.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SigningKey } from '../../platform/keys/signing-key.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { createAuditAccess, type GrantedAuditScope, withContext } from './audit-access.ts';
import { type ActorName, readActorNames } from './audit-actor-names.ts';
import type { StoredAuditEvent } from './audit-events.repository.ts';
import {
  type ConsistencyProofResult,
  type InclusionProofResult,
  proveConsistency,
  proveInclusion,
} from './audit-proofs.ts';
import { type AuditSearchFilters, encodeCursor, searchAuditEvents } from './audit-search.ts';
import type { AuditRecord } from './chain/audit-record.ts';
import type { SignedCheckpoint } from './checkpoints/checkpoint-body.ts';
import { listCheckpoints } from './checkpoints/checkpoints.repository.ts';
import { openSigningKey } from './export/sign-new-events.ts';
import { writeExport } from './export/write-export.ts';
import type { SecurityEvents } from './security-events.ts';
import { latestVerificationResult } from './verification/verification-results.ts';
import { verificationView } from './verification/verification-state.ts';

const DEFAULT_VERIFY_INTERVAL_MS =
  Number(VARIABLES.PEYTONIX_AUDIT_VERIFY_SECONDS.defaultValue) * 1000;

export type AuditEventView = AuditRecord & { prevHash: string; hash: string };

export interface AuditTrailReader {
  search(
    actor: Actor,
    filters: AuditSearchFilters,
    context?: RequestContext,
  ): Promise<{
    events: AuditEventView[];
    nextCursor: string | null;
    actors: Record<string, ActorName>;
  }>;
  inclusionProof(
    actor: Actor,
    seq: number,
    treeSize?: number,
    context?: RequestContext,
  ): Promise<InclusionProofResult>;
  consistencyProof(
    actor: Actor,
    firstSize: number,
    secondSize: number,
    context?: RequestContext,
  ): Promise<ConsistencyProofResult>;
  checkpoints(actor: Actor, context?: RequestContext): Promise<SignedCheckpoint[]>;
  /** The latest stored result of the full chain verification, and whether it is recent. */
  verification(actor: Actor, context?: RequestContext): Promise<AuditVerification>;
  exportTrail(
    actor: Actor,
    out: Writable,
    context?: RequestContext,
  ): Promise<{ events: number; checkpoints: number }>;
  publicKeyPem(): Promise<string>;
}

export function toEventView(event: StoredAuditEvent): AuditEventView {
  return {
    ...event.record,
    prevHash: event.prevHash.toString('hex'),
    hash: event.hash.toString('hex'),
  };
}

/**
 * Create the audit-trail reader. Administrators and management read the
 * events of the subtrees their grants cover. A grant on the organization
 * root covers everything, including events that name no entity. Every
 * read is itself written to the trail before the response goes out.
 */
export function createAuditTrailReader(deps: {
  db: Db;
  securityEvents: SecurityEvents;
  checkpointKey: () => Promise<SigningKey>;
  /** How often the server verifies the whole chain; PEYTONIX_AUDIT_VERIFY_SECONDS in milliseconds. */
  auditVerifyIntervalMs?: number;
}): AuditTrailReader {
  const { db, securityEvents } = deps;
  const { requireScope } = createAuditAccess(deps);

  const assertEventVisible = async (scope: GrantedAuditScope, seq: number) => {
    const { events } = await searchAuditEvents(db, scope, { beforeSeq: seq + 1, limit: 1 });
    // An event outside the reader's scope is reported exactly like a missing one.
    if (events[0]?.record.seq !== seq) {
      throw new AppError('RESOURCE_NOT_FOUND', {
        detail: `No audit event ${seq} is visible to you.`,
      });
    }
  };

  const recordRead = (
    actor: Actor,
    action: 'audit.events_searched' | 'audit.proof_requested' | 'audit.exported',
    details: Record<string, unknown>,
    context?: RequestContext,
  ) =>
    securityEvents.record({ actor, action, outcome: 'success', ...withContext(context), details });

  return {
    async search(actor, filters, context) {
      const scope = await requireScope(actor, false, context);
      const { events, more } = await searchAuditEvents(db, scope, filters);
      await recordRead(
        actor,
        'audit.events_searched',
        { filters, returned: events.length },
        context,
      );

      const last = events.at(-1);
      return {
        events: events.map(toEventView),
        nextCursor: more && last !== undefined ? encodeCursor(last.record.seq) : null,
        actors: await readActorNames(db, events),
      };
    },

    async inclusionProof(actor, seq, treeSize, context) {
      const scope = await requireScope(actor, false, context);
      await assertEventVisible(scope, seq);
      const result = await proveInclusion(db, seq, treeSize);
      await recordRead(
        actor,
        'audit.proof_requested',
        { proof: 'inclusion', seq, treeSize: result.treeSize },
        context,
      );
      return result;
    },

    async consistencyProof(actor, firstSize, secondSize, context) {
      await requireScope(actor, false, context);
      const result = await proveConsistency(db, firstSize, secondSize);
      await recordRead(
        actor,
        'audit.proof_requested',
        { proof: 'consistency', firstSize, secondSize },
        context,
      );
      return result;
    },

    async checkpoints(actor, context) {
      await requireScope(actor, false, context);
      const stored = await listCheckpoints(db);
      return stored.map(({ checkpoint, signature }) => ({ checkpoint, signature }));
    },

    async verification(actor, context) {
      await requireScope(actor, false, context);
      const latest = await latestVerificationResult(db);
      return verificationView(
        latest,
        new Date(),
        deps.auditVerifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS,
      );
    },

    async exportTrail(actor, out, context) {
      await requireScope(actor, true, context);
      await recordRead(actor, 'audit.exported', {}, context);
      return writeExport(db, out);
    },

    async publicKeyPem() {
      const key = await openSigningKey(deps.checkpointKey);
      return key.publicKeyPem;
    },
  };
}
