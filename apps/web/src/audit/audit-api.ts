import {
  type AuditEvent,
  auditEventPageSchema,
  auditPublicKeySchema,
  checkpointListSchema,
  inclusionProofSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { isApiError } from '../api/api-error.ts';
import { apiRequest } from '../api/client.ts';

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

const readinessCheckSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'fail']),
  detail: z.string().optional(),
});
const readinessSchema = z.object({ checks: z.array(readinessCheckSchema) });
export type ReadinessCheck = z.infer<typeof readinessCheckSchema>;

/**
 * Load the server's readiness checks (GET /health/ready). A 503 still lists
 * every check in its problem document, so a failing audit check is shown
 * rather than thrown.
 */
export function useReadiness() {
  return useQuery({
    queryKey: ['health', 'ready'],
    queryFn: async ({ signal }) => {
      try {
        return (await apiRequest('/health/ready', { schema: readinessSchema, signal })).checks;
      } catch (error) {
        if (isApiError(error) && error.status === 503) {
          const parsed = z.array(readinessCheckSchema).safeParse(error.extensions.checks);
          if (parsed.success) return parsed.data;
        }
        throw error;
      }
    },
  });
}
