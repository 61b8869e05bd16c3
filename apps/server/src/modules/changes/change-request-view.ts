import type { ChangeRequest, ChangeRequestSummary } from '@peytonix/contracts';
import { AppError } from '../../platform/http/app-error.ts';
import type { StoredChange } from './change-kind.ts';
import type { ChangeRequestRow } from './change-requests.repository.ts';

/** Build the not-found error for a request id. A missing request and one outside the actor's scope get the same error. */
export function changeRequestNotFound(id: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No change request with id ${id} is visible to you. List requests with GET /api/v1/change-requests.`,
  });
}

export function changeRequestClosed(id: string, status: string): AppError {
  return new AppError('CHANGE_REQUEST_CLOSED', {
    detail: `Change request ${id} is ${status}, so it can no longer be approved or rejected. Make a new request if the change is still needed.`,
    extensions: { requestStatus: status },
  });
}

export function toSummary(row: ChangeRequestRow): ChangeRequestSummary {
  return {
    id: row.id,
    kind: row.kind,
    entityId: row.entity_id,
    targetType: row.target_type,
    targetKey: row.target_key,
    status: row.past_expiry ? 'expired' : row.status,
    justification: row.justification,
    requestedBy: row.requested_by,
    requestedByType: row.requested_by_type,
    requestedAt: row.requested_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at?.toISOString() ?? null,
    decisionNote: row.decision_note,
    appliedAt: row.applied_at?.toISOString() ?? null,
  };
}

export function toChangeRequest(row: ChangeRequestRow): ChangeRequest {
  return {
    ...toSummary(row),
    before: row.before_state,
    after: row.after_state,
    diffSha256: row.diff_sha256.toString('hex'),
    approvedDiffSha256: row.approved_diff_sha256?.toString('hex') ?? null,
  };
}

export function toStoredChange(row: ChangeRequestRow): StoredChange {
  return {
    id: row.id,
    kind: row.kind,
    entityId: row.entity_id,
    targetType: row.target_type,
    targetKey: row.target_key,
    before: row.before_state,
    after: row.after_state,
    requestedBy: row.requested_by,
  };
}
