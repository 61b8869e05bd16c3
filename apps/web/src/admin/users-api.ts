import {
  createdUserSchema,
  type createUserInputSchema,
  revokedSessionsSchema,
  userListSchema,
  userSummarySchema,
} from '@peytonix/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

export type UserSummary = z.infer<typeof userSummarySchema>;
export type CreatedUser = z.infer<typeof createdUserSchema>;
export type CreateUserInput = z.input<typeof createUserInputSchema>;

export const userKeys = { list: ['users'] as const };

/** Load every user of the organization, which needs users.read on the organization root. */
export function useUsers(enabled = true) {
  return useQuery({
    queryKey: userKeys.list,
    queryFn: async ({ signal }) =>
      (await apiRequest('/api/v1/users', { schema: userListSchema, signal })).items,
    enabled,
  });
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateUserInput) =>
      apiRequest('/api/v1/users', { method: 'POST', body: input, schema: createdUserSchema }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: userKeys.list }),
  });
}

/** The user actions of POST /api/v1/users/:id/<action>. */
export type UserAction = 'suspend' | 'reactivate' | 'deprovision' | 'revoke-sessions';

/** Run one user action; resolves with the number of ended sessions for revoke-sessions, else undefined. */
export function useUserAction() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ userId, action }: { userId: string; action: UserAction }) => {
      const path = `/api/v1/users/${encodeURIComponent(userId)}/${action}`;
      if (action === 'revoke-sessions') {
        return (await apiRequest(path, { method: 'POST', schema: revokedSessionsSchema })).revoked;
      }
      await apiRequest(path, { method: 'POST', schema: userSummarySchema });
      return undefined;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: userKeys.list }),
  });
}
