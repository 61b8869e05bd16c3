import {
  type ChangeRequest,
  type ChangeRequestStatus,
  type ChangeRequestSummary,
  changeRequestDetailSchema,
  changeRequestListSchema,
  changeRequestSchema,
} from '@peytonix/contracts';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../api/client.ts';
import { canonicalJson, sha256HexOfText } from '../shared/canonical-json.ts';

export type { ChangeRequest, ChangeRequestStatus, ChangeRequestSummary };

/** Maximum number of requests the server lists in one response. */
export const MAX_LISTED_REQUESTS = 500;

export const changeRequestKeys = {
  all: ['change-requests'] as const,
  list: (status: ChangeRequestStatus | undefined) =>
    ['change-requests', 'list', status ?? 'any'] as const,
  detail: (id: string) => ['change-requests', 'detail', id] as const,
};

/**
 * Requests in the user's scope and their own, newest first, in pages of
 * MAX_LISTED_REQUESTS; fetchNextPage loads the next older page.
 */
export function useChangeRequests(status: ChangeRequestStatus | undefined) {
  return useInfiniteQuery({
    queryKey: changeRequestKeys.list(status),
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ signal, pageParam }) => {
      const query = new URLSearchParams({ limit: String(MAX_LISTED_REQUESTS) });
      if (status !== undefined) query.set('status', status);
      if (pageParam !== undefined) query.set('cursor', pageParam);
      return await apiRequest(`/api/v1/change-requests?${query}`, {
        schema: changeRequestListSchema,
        signal,
      });
    },
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

export function useChangeRequest(id: string) {
  return useQuery({
    queryKey: changeRequestKeys.detail(id),
    queryFn: ({ signal }) =>
      apiRequest(`/api/v1/change-requests/${encodeURIComponent(id)}`, {
        schema: changeRequestDetailSchema,
        signal,
      }),
  });
}

/**
 * Recompute the request's diff hash, SHA-256 of the canonical JSON of
 * {kind, targetKey, before, after}, from the states the screen shows.
 */
export async function computeDiffSha256(request: ChangeRequest): Promise<string> {
  return await sha256HexOfText(
    canonicalJson({
      kind: request.kind,
      targetKey: request.targetKey,
      before: request.before,
      after: request.after,
    }),
  );
}

export type Decision =
  | { verdict: 'approve'; diffSha256: string; note: string }
  | { verdict: 'reject'; note: string };

/** Approve (with the reviewed diff hash) or reject a request; refreshes every request list afterwards. */
export function useDecideChangeRequest(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (decision: Decision) => {
      const path = `/api/v1/change-requests/${encodeURIComponent(id)}/${decision.verdict}`;
      const body =
        decision.verdict === 'approve'
          ? {
              diffSha256: decision.diffSha256,
              ...(decision.note === '' ? {} : { note: decision.note }),
            }
          : { note: decision.note };
      return apiRequest(path, { method: 'POST', body, schema: changeRequestSchema });
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(changeRequestKeys.detail(id), updated);
    },
    // A stale or closed request changed status on the server too, so reload it either way.
    onSettled: () => queryClient.invalidateQueries({ queryKey: changeRequestKeys.all }),
  });
}

export const KIND_LABELS: Readonly<Record<string, string>> = {
  'grant.add': 'Grant a role',
  'grant.revoke': 'Revoke a role',
  'entity.move': 'Move an entity',
  'setting.update': 'Change a setting',
  'test_version.activate': 'Activate a test version',
};

export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

export const STATUS_COLORS: Readonly<Record<ChangeRequestStatus, string>> = {
  pending: 'blue',
  approved: 'teal',
  applied: 'green',
  rejected: 'red',
  stale: 'orange',
  expired: 'gray',
};
