import { useQuery } from '@tanstack/react-query';
import { getAccount, listPasskeys, listSessions } from './identity-api.ts';

/** Query keys of the signed-in user's data; invalidate `all` after signing in or out. */
export const accountKeys = {
  all: ['account'] as const,
  overview: ['account', 'overview'] as const,
  sessions: ['account', 'sessions'] as const,
  passkeys: ['account', 'passkeys'] as const,
};

/**
 * Loads the signed-in user, their session's assurance and their second
 * factors. With `refetchOnMount` the calling component requests the account
 * again when it mounts, even when another component loaded it moments ago.
 */
export function useAccount(options: { refetchOnMount?: boolean } = {}) {
  return useQuery({
    queryKey: accountKeys.overview,
    queryFn: ({ signal }) => getAccount(signal),
    ...(options.refetchOnMount === true ? { refetchOnMount: 'always' as const } : {}),
  });
}

export function useSessions() {
  return useQuery({
    queryKey: accountKeys.sessions,
    queryFn: ({ signal }) => listSessions(signal),
  });
}

export function usePasskeys() {
  return useQuery({
    queryKey: accountKeys.passkeys,
    queryFn: ({ signal }) => listPasskeys(signal),
  });
}
