import {
  changeRequestSchema,
  type Grant,
  type GrantRequestInput,
  grantListSchema,
} from '@peytonix/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiRequest } from '../api/client.ts';
import { changeRequestKeys } from '../changes/change-requests-api.ts';

export type { Grant };

export const grantKeys = {
  list: (entityId: string) => ['grants', entityId] as const,
};

/** Grants on `entityId` and every entity below it, or on every readable entity when it is empty. */
export function useGrants(entityId: string) {
  return useQuery({
    queryKey: grantKeys.list(entityId),
    queryFn: async ({ signal }) => {
      const query = entityId === '' ? '' : `?${new URLSearchParams({ entityId })}`;
      return (await apiRequest(`/api/v1/grants${query}`, { schema: grantListSchema, signal }))
        .items;
    },
  });
}

/** Create a grant.add change request; the grant exists only once another person approves it. */
export function useRequestGrant() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: GrantRequestInput) =>
      apiRequest('/api/v1/grant-requests', {
        method: 'POST',
        body: input,
        schema: changeRequestSchema,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: changeRequestKeys.all }),
  });
}

/** Create a grant.revoke change request; the grant ends only once another person approves it. */
export function useRequestRevocation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ grantId, justification }: { grantId: string; justification: string }) =>
      apiRequest(`/api/v1/grants/${encodeURIComponent(grantId)}/revoke-requests`, {
        method: 'POST',
        body: { justification },
        schema: changeRequestSchema,
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: changeRequestKeys.all }),
  });
}
