import {
  queuedRunSchema,
  runDetailSchema,
  runHistorySchema,
  type runRequestSchema,
  runRowsSchema,
  testListingSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

export type TestListing = z.infer<typeof testListingSchema>;
export type TestInScope = TestListing['tests'][number];
export type TestTemplate = TestListing['templates'][number];
export type RunRequest = z.input<typeof runRequestSchema>;
export type RunDetail = z.infer<typeof runDetailSchema>;
export type RunStatus = RunDetail['status'];
export type RunRows = z.infer<typeof runRowsSchema>;
export type RunHistory = z.infer<typeof runHistorySchema>;
export type RunHistoryItem = RunHistory['items'][number];

/** Filters of GET /api/v1/runs; undefined leaves a filter out. */
export interface RunHistoryFilters {
  /** Runs of tests in this entity and every entity below it. */
  entity?: string | undefined;
  test?: string | undefined;
  status?: RunStatus[] | undefined;
  /** true for previews and re-performances only, false for real runs only. */
  preview?: boolean | undefined;
}

/** Statuses after which a run never changes again. */
export const FINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
]);

/** How often a run page requests a run that has not ended, in milliseconds. */
const RUN_POLL_INTERVAL_MS = 1_000;

export const runKeys = {
  tests: ['tests'] as const,
  run: (id: string) => ['runs', id] as const,
  rows: (id: string) => ['runs', id, 'rows'] as const,
  history: (filters: RunHistoryFilters, limit: number, after: string | undefined) =>
    ['runs', 'history', filters, limit, after ?? null] as const,
};

export function listTests(signal?: AbortSignal) {
  return apiRequest('/api/v1/tests', { schema: testListingSchema, ...(signal ? { signal } : {}) });
}

export function requestRun(request: RunRequest) {
  return apiRequest('/api/v1/runs', { method: 'POST', body: request, schema: queuedRunSchema });
}

export function getRun(id: string, signal?: AbortSignal) {
  return apiRequest(`/api/v1/runs/${encodeURIComponent(id)}`, {
    schema: runDetailSchema,
    ...(signal ? { signal } : {}),
  });
}

export function cancelRun(id: string) {
  return apiRequest(`/api/v1/runs/${encodeURIComponent(id)}/cancel`, {
    method: 'POST',
    schema: runDetailSchema,
  });
}

/** Request a re-performance of run `id`; resolves with the id of the queued repeat. */
export function reperformRun(id: string) {
  return apiRequest(`/api/v1/runs/${encodeURIComponent(id)}/reperform`, {
    method: 'POST',
    schema: queuedRunSchema,
  });
}

/** Load one page of run history, newest first; `after` is the `next` of the previous page. */
export function listRunHistory(
  filters: RunHistoryFilters,
  limit: number,
  after: string | undefined,
  signal?: AbortSignal,
) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (filters.entity !== undefined) query.set('entity', filters.entity);
  if (filters.test !== undefined) query.set('test', filters.test);
  if (filters.status !== undefined && filters.status.length > 0) {
    query.set('status', filters.status.join(','));
  }
  if (filters.preview !== undefined) query.set('preview', String(filters.preview));
  if (after !== undefined) query.set('after', after);
  return apiRequest(`/api/v1/runs?${query}`, {
    schema: runHistorySchema,
    ...(signal ? { signal } : {}),
  });
}

export function listRunRows(id: string, signal?: AbortSignal) {
  return apiRequest(`/api/v1/runs/${encodeURIComponent(id)}/rows`, {
    schema: runRowsSchema,
    ...(signal ? { signal } : {}),
  });
}

/** Load the tests in the user's scope and the library templates. */
export function useTests(options: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: runKeys.tests,
    queryFn: ({ signal }) => listTests(signal),
    enabled: options.enabled ?? true,
  });
}

/** Load one run, and request it again every second until it reaches a final status or a request fails. */
export function useRun(id: string | undefined) {
  return useQuery({
    queryKey: runKeys.run(id ?? ''),
    queryFn: ({ signal }) => getRun(id ?? '', signal),
    enabled: id !== undefined,
    refetchInterval: (query) => {
      if (query.state.status === 'error') return false;
      const status = query.state.data?.status;
      return status !== undefined && FINAL_STATUSES.has(status) ? false : RUN_POLL_INTERVAL_MS;
    },
  });
}

export function useRunRows(id: string, enabled: boolean) {
  return useQuery({
    queryKey: runKeys.rows(id),
    queryFn: ({ signal }) => listRunRows(id, signal),
    enabled,
  });
}
