import type { Writable } from 'node:stream';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { SigningKey } from '../../platform/keys/signing-key.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { StoredAuditEvent } from './audit-events.repository.ts';
import {
  type ConsistencyProofResult,
  type InclusionProofResult,
  proveConsistency,
  proveInclusion,
} from './audit-proofs.ts';
import { type AuditReadScope, auditReadScope } from './audit-read-scope.ts';
import { type AuditSearchFilters, encodeCursor, searchAuditEvents } from './audit-search.ts';
import type { AuditRecord } from './chain/audit-record.ts';
import type { SignedCheckpoint } from './checkpoints/checkpoint-body.ts';
import { listCheckpoints } from './checkpoints/checkpoints.repository.ts';
import { writeExport } from './export/write-export.ts';
import { sealPendingEvents } from './sealing/seal-pending.ts';
import type { SecurityEvents } from './security-events.ts';

export type AuditEventView = AuditRecord & { prevHash: string; hash: string };

export interface AuditTrailReader {
  search(
    actor: Actor,
    filters: AuditSearchFilters,
    context?: RequestContext,
  ): Promise<{ events: AuditEventView[]; nextCursor: string | null }>;
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

function withContext(context: RequestContext | undefined) {
  return context === undefined ? {} : { context };
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
}): AuditTrailReader {
  const { db, securityEvents } = deps;

  const requireScope = async (actor: Actor, needsAll: boolean, context?: RequestContext) => {
    const scope = await auditReadScope(db, actor);
    if (scope.kind === 'all' || (scope.kind === 'subtrees' && !needsAll)) {
      await sealOrFail();
      return scope;
    }

    await securityEvents.recordDenial({
      actor,
      action: 'authorization.denied',
      outcome: 'denied',
      reasonCode: 'ROLE_REQUIRED',
      ...withContext(context),
      details: { permission: needsAll ? 'audit_trail.read_all' : 'audit_trail.read' },
    });
    throw new AppError('FORBIDDEN', {
      detail: needsAll
        ? 'This needs the administrator or management role on the organization root.'
        : 'Reading the audit trail needs the administrator or management role.',
    });
  };

  // A reader sees every event whose change has committed, sealed or not.
  const sealOrFail = async () => {
    try {
      await sealPendingEvents(db);
    } catch (error) {
      throw new AppError('AUDIT_TRAIL_UNAVAILABLE', {
        detail:
          'Pending audit events could not be sealed into the chain, so the trail cannot be read completely. Check /health/ready.',
        internal: error,
      });
    }
  };

  const assertEventVisible = async (
    scope: Exclude<AuditReadScope, { kind: 'none' }>,
    seq: number,
  ) => {
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

    async exportTrail(actor, out, context) {
      await requireScope(actor, true, context);
      await recordRead(actor, 'audit.exported', {}, context);
      return writeExport(db, out);
    },

    async publicKeyPem() {
      try {
        const key = await deps.checkpointKey();
        return key.publicKeyPem;
      } catch (error) {
        throw new AppError('SERVICE_UNAVAILABLE', {
          detail:
            'The checkpoint signing key is not available. Check the key provider configuration and the server log.',
          internal: error,
        });
      }
    },
  };
}
