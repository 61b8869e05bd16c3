import {
  type AuditEvent,
  auditEventPageSchema,
  auditPublicKeySchema,
  auditVerificationSchema,
  checkpointListSchema,
  inclusionProofSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import { apiRequest, apiResponse } from '../api/client.ts';
import { saveAttachment, type TransferProgress } from '../shared/save-file.ts';

export type { AuditEvent };

/** The search filters of GET /api/v1/audit/events, as the query string carries them. */
export const FILTER_NAMES = [
  'action',
  'actorId',
  'actorType',
  'outcome',
  'targetType',
  'targetId',
  'entityId',
  'from',
  'to',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];
export type AuditFilters = Partial<Record<FilterName, string>>;

/** Events on one page of the search; the server allows 1 to 200. */
export const PAGE_SIZE = 50;

function searchPath(filters: AuditFilters, cursor: string | undefined, limit: number): string {
  const query = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined && value !== '') query.set(name, value);
  }
  if (cursor !== undefined) query.set('cursor', cursor);
  query.set('limit', String(limit));
  return `/api/v1/audit/events?${query}`;
}

export function searchAuditEvents(
  filters: AuditFilters,
  cursor: string | undefined,
  limit: number,
  signal?: AbortSignal,
) {
  return apiRequest(searchPath(filters, cursor, limit), {
    schema: auditEventPageSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

/** Load one page of events, newest first. Every search is itself written to the audit trail. */
export function useAuditEvents(filters: AuditFilters, cursor: string | undefined) {
  return useQuery({
    queryKey: ['audit', 'events', filters, cursor ?? null],
    queryFn: ({ signal }) => searchAuditEvents(filters, cursor, PAGE_SIZE, signal),
  });
}

export function useCheckpoints() {
  return useQuery({
    queryKey: ['audit', 'checkpoints'],
    queryFn: async ({ signal }) =>
      (await apiRequest('/api/v1/audit/checkpoints', { schema: checkpointListSchema, signal }))
        .checkpoints,
  });
}

export function usePublicKey() {
  return useQuery({
    queryKey: ['audit', 'public-key'],
    queryFn: ({ signal }) =>
      apiRequest('/api/v1/audit/public-key', { schema: auditPublicKeySchema, signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useInclusionProof(seq: number | undefined) {
  return useQuery({
    queryKey: ['audit', 'inclusion-proof', seq],
    queryFn: ({ signal }) =>
      apiRequest(`/api/v1/audit/events/${seq}/inclusion-proof`, {
        schema: inclusionProofSchema,
        signal,
      }),
    enabled: seq !== undefined,
    retry: false,
  });
}

/** Load the latest stored verification of the whole chain and whether it is recent. */
export function useVerification() {
  return useQuery({
    queryKey: ['audit', 'verification'],
    queryFn: ({ signal }) =>
      apiRequest('/api/v1/audit/verification', { schema: auditVerificationSchema, signal }),
  });
}

/**
 * Download the signed export of the whole trail and save it under the name
 * the server gives it. Resolves with that name. Only callers with the audit
 * read grant on the organization root may download it.
 */
export async function downloadSignedExport(
  onProgress: (progress: TransferProgress) => void,
  signal?: AbortSignal,
): Promise<string> {
  const response = await apiResponse(
    '/api/v1/audit/export',
    signal === undefined ? {} : { signal },
  );
  // The server breaks the transfer off when the export fails after its first bytes.
  return saveAttachment(
    response,
    'audit-trail.jsonl',
    'The signed export broke off before the whole file arrived, so nothing was saved. The server ends an export that fails or stalls; retry, and if it breaks off again, give the request id to an administrator.',
    onProgress,
    signal,
  );
}
