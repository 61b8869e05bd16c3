import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { type AuditReadScope, auditReadScope } from './audit-read-scope.ts';
import { sealPendingEvents } from './sealing/seal-pending.ts';
import type { SecurityEvents } from './security-events.ts';

export type GrantedAuditScope = Exclude<AuditReadScope, { kind: 'none' }>;

export interface AuditAccess {
  /**
   * Resolve the actor's read scope and seal pending events, or record the
   * denial and throw FORBIDDEN. `needsAll` requires the organization root,
   * and `deniedDetail` replaces the default message of that denial.
   */
  requireScope(
    actor: Actor,
    needsAll: boolean,
    context?: RequestContext,
    deniedDetail?: string,
  ): Promise<GrantedAuditScope>;
}

export function withContext(context: RequestContext | undefined) {
  return context === undefined ? {} : { context };
}

export function createAuditAccess(deps: { db: Db; securityEvents: SecurityEvents }): AuditAccess {
  const { db, securityEvents } = deps;

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

  return {
    async requireScope(actor, needsAll, context, deniedDetail) {
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
      const defaultDetail = needsAll
        ? 'This needs the administrator or management role on the organization root.'
        : 'Reading the audit trail needs the administrator or management role.';
      throw new AppError('FORBIDDEN', { detail: deniedDetail ?? defaultDetail });
    },
  };
}
