import {
  assigneeListSchema,
  bulkResultSchema,
  type DISPOSITION_VALUES,
  type EXCEPTION_STATUS_VALUES,
  exceptionCommentResultSchema,
  exceptionDetailSchema,
  exceptionListSchema,
  exceptionStepResultSchema,
  retestResultSchema,
  type SEVERITY_VALUES,
  testListingSchema,
} from '@peytonix/contracts';
import type { z } from 'zod';
import { apiRequest, apiResponse } from '../api/client.ts';
import { saveAttachment, type TransferProgress } from '../shared/save-file.ts';

// Client functions for the exception routes (docs/exception-workflow.md).

export type ExceptionStatus = (typeof EXCEPTION_STATUS_VALUES)[number];
export type Severity = (typeof SEVERITY_VALUES)[number];
export type Disposition = (typeof DISPOSITION_VALUES)[number];
export type ExceptionSummary = z.infer<typeof exceptionListSchema>['items'][number];
export type ExceptionDetail = z.infer<typeof exceptionDetailSchema>;
export type ExceptionEvent = ExceptionDetail['history'][number];
export type ExceptionComment = ExceptionDetail['comments'][number];
export type TestListing = z.infer<typeof testListingSchema>;
export type Assignee = z.infer<typeof assigneeListSchema>['items'][number];

/** The list filters, as GET /api/v1/exceptions names them. */
export interface ExceptionFilters {
  entity: string;
  test?: string | undefined;
  run?: string | undefined;
  status?: readonly ExceptionStatus[] | undefined;
  severity?: readonly Severity[] | undefined;
  /** An email, `me` or `none`. */
  assignee?: string | undefined;
  minAgeDays?: number | undefined;
  maxAgeDays?: number | undefined;
  q?: string | undefined;
}

export const exceptionKeys = {
  all: ['exceptions'] as const,
  lists: ['exceptions', 'list'] as const,
  list: (filters: ExceptionFilters, limit: number, after: string | undefined) =>
    ['exceptions', 'list', filters, limit, after ?? null] as const,
  detail: (id: string) => ['exceptions', 'detail', id] as const,
  assignees: (entityCode: string) => ['exceptions', 'assignees', entityCode] as const,
  tests: ['tests', 'listing'] as const,
};

function listQuery(filters: ExceptionFilters, limit: number, after: string | undefined): string {
  const query = new URLSearchParams({ entity: filters.entity, limit: String(limit) });
  if (filters.test !== undefined) query.set('test', filters.test);
  if (filters.run !== undefined) query.set('run', filters.run);
  if (filters.status !== undefined && filters.status.length > 0) {
    query.set('status', filters.status.join(','));
  }
  if (filters.severity !== undefined && filters.severity.length > 0) {
    query.set('severity', filters.severity.join(','));
  }
  if (filters.assignee !== undefined) query.set('assignee', filters.assignee);
  if (filters.minAgeDays !== undefined) query.set('minAgeDays', String(filters.minAgeDays));
  if (filters.maxAgeDays !== undefined) query.set('maxAgeDays', String(filters.maxAgeDays));
  if (filters.q !== undefined) query.set('q', filters.q);
  if (after !== undefined) query.set('after', after);
  return query.toString();
}

export function listExceptions(
  filters: ExceptionFilters,
  limit: number,
  after: string | undefined,
  signal?: AbortSignal,
) {
  return apiRequest(`/api/v1/exceptions?${listQuery(filters, limit, after)}`, {
    schema: exceptionListSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

export function getException(id: string, signal?: AbortSignal) {
  return apiRequest(`/api/v1/exceptions/${encodeURIComponent(id)}`, {
    schema: exceptionDetailSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

/** List the users that exceptions of the entity can be assigned to; needs exceptions.assign there. */
export function listAssignees(entityCode: string, signal?: AbortSignal) {
  const query = new URLSearchParams({ entity: entityCode });
  return apiRequest(`/api/v1/exceptions/assignees?${query.toString()}`, {
    schema: assigneeListSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

export function listTests(signal?: AbortSignal) {
  return apiRequest('/api/v1/tests', {
    schema: testListingSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

function step(id: string, path: string, body: Record<string, unknown>) {
  return apiRequest(`/api/v1/exceptions/${encodeURIComponent(id)}/${path}`, {
    method: 'POST',
    body,
    schema: exceptionStepResultSchema,
  });
}

/** Drop keys whose value is undefined, because the server's strict schemas reject unknown shapes. */
function defined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

export function assignException(id: string, assignee: string, revision: number) {
  return step(id, 'assign', { assignee, revision });
}

export interface ProposalInput {
  disposition: Disposition;
  rationale: string;
  /** Required with the disposition duplicate: the id of the original exception. */
  duplicateOf?: string | undefined;
}

export function proposeDisposition(id: string, proposal: ProposalInput, revision: number) {
  return step(id, 'propose', defined({ ...proposal, revision }));
}

/** The four decisions on a proposal, named by their route. */
export type Decision = 'approve' | 'return' | 'accept-risk' | 'decline-risk';

export function decide(id: string, decision: Decision, comment: string, revision: number) {
  const trimmed = comment.trim();
  return step(id, decision, defined({ comment: trimmed === '' ? undefined : trimmed, revision }));
}

export function addComment(id: string, body: string) {
  return apiRequest(`/api/v1/exceptions/${encodeURIComponent(id)}/comments`, {
    method: 'POST',
    body: { body },
    schema: exceptionCommentResultSchema,
  });
}

/** Add a new version of the comment thread `threadId`; only its author may. */
export function editComment(id: string, threadId: string, body: string) {
  return apiRequest(
    `/api/v1/exceptions/${encodeURIComponent(id)}/comments/${encodeURIComponent(threadId)}/versions`,
    { method: 'POST', body: { body }, schema: exceptionCommentResultSchema },
  );
}

export function bulkAssign(exceptionIds: readonly string[], assignee: string) {
  return apiRequest('/api/v1/exceptions/bulk/assign', {
    method: 'POST',
    body: { exceptionIds, assignee },
    schema: bulkResultSchema,
  });
}

export function bulkPropose(exceptionIds: readonly string[], proposal: ProposalInput) {
  return apiRequest('/api/v1/exceptions/bulk/propose', {
    method: 'POST',
    body: defined({ exceptionIds, ...proposal }),
    schema: bulkResultSchema,
  });
}

export function requestRetest(exceptionIds: readonly string[]) {
  return apiRequest('/api/v1/exceptions/retest', {
    method: 'POST',
    body: { exceptionIds },
    schema: retestResultSchema,
  });
}

export type ExportFormat = 'csv' | 'xlsx';

/** Scope of an export: every exception of a test, or the exceptions one run flagged. */
export type ExportTarget =
  | { kind: 'test'; entityCode: string; testKey: string }
  | { kind: 'run'; runId: string };

/**
 * Download the exceptions of a test or a run as CSV or XLSX and save the
 * file under the name the server gives it. Resolves with that name.
 */
export async function exportExceptions(
  target: ExportTarget,
  format: ExportFormat,
  onProgress: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  const query = new URLSearchParams({ format });
  if (target.kind === 'run') query.set('run', target.runId);
  else {
    query.set('entity', target.entityCode);
    query.set('test', target.testKey);
  }
  const response = await apiResponse(
    `/api/v1/exceptions/export?${query.toString()}`,
    signal === undefined ? {} : { signal },
  );
  // The server breaks the transfer off when the export fails after its first bytes.
  return saveAttachment(
    response,
    `exceptions.${format}`,
    'The export broke off before the whole file arrived, so nothing was saved. The server ends an export that fails or stalls; retry, and if it breaks off again, give the request id to an administrator.',
    onProgress,
    signal,
  );
}
