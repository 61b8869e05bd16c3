import { type SIGN_OFF_TARGET_TYPES, signOffListSchema, signOffSchema } from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

// Client functions for the sign-off routes (docs/exception-workflow.md, "Sign-offs").

export type SignOffTargetType = (typeof SIGN_OFF_TARGET_TYPES)[number];
export type SignOffListing = z.infer<typeof signOffListSchema>;
export type SignOff = z.infer<typeof signOffSchema>;
export type SignOffLevel = SignOff['level'];

/** An item that can be signed off, as the API names it: a run id, or an engagement's entity code. */
export interface SignOffTarget {
  targetType: SignOffTargetType;
  target: string;
}

export const signOffKeys = {
  all: ['sign-offs'] as const,
  list: (target: SignOffTarget) => ['sign-offs', target.targetType, target.target] as const,
};

export function listSignOffs(target: SignOffTarget, signal?: AbortSignal) {
  const query = new URLSearchParams({ targetType: target.targetType, target: target.target });
  return apiRequest(`/api/v1/sign-offs?${query}`, {
    schema: signOffListSchema,
    ...(signal ? { signal } : {}),
  });
}

/** Sign the item as it is now at `level`. The server records the SHA-256 of its content. */
export function signOff(target: SignOffTarget, level: SignOffLevel) {
  return apiRequest(`/api/v1/sign-offs/${level}`, {
    method: 'POST',
    body: { targetType: target.targetType, target: target.target },
    schema: signOffSchema,
  });
}

/** Withdraw every sign-off of the item that `signOffId` belongs to, and resolve with the item's listing. */
export function withdrawSignOff(signOffId: string, reason: string) {
  return apiRequest(`/api/v1/sign-offs/${encodeURIComponent(signOffId)}/withdraw`, {
    method: 'POST',
    body: { reason },
    schema: signOffListSchema,
  });
}

/** Load the item's sign-offs, newest first, with the SHA-256 of its content now. */
export function useSignOffs(target: SignOffTarget) {
  return useQuery({
    queryKey: signOffKeys.list(target),
    queryFn: ({ signal }) => listSignOffs(target, signal),
  });
}
