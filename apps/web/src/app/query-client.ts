import { QueryClient } from '@tanstack/react-query';
import { isApiError } from '../api/api-error.ts';

const MAX_RETRIES = 2;

/**
 * Retry only failures that may pass on a second try: no response at all, or
 * a 5xx. A 4xx repeats the same answer, and the api client already
 * refreshed the session once on a 401.
 */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (failureCount >= MAX_RETRIES) return false;
  if (!isApiError(error)) return false;
  return error.status === undefined || error.status >= 500;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 30_000 },
      mutations: { retry: false },
    },
  });
}
