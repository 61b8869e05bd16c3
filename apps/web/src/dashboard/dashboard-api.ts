import {
  exceptionAgeingSchema,
  exceptionCountsSchema,
  exceptionTrendSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import { apiRequest } from '../api/client.ts';

export const dashboardKeys = {
  counts: (entity: string) => ['exception-summaries', 'counts', entity] as const,
  ageing: (entity: string) => ['exception-summaries', 'ageing', entity] as const,
  trend: (entity: string, test: string, runs: number) =>
    ['exception-summaries', 'trend', entity, test, runs] as const,
};

function withSignal(signal: AbortSignal | undefined) {
  return signal === undefined ? {} : { signal };
}

export function getExceptionCounts(entity: string, signal?: AbortSignal) {
  return apiRequest(`/api/v1/exception-summaries/counts?${new URLSearchParams({ entity })}`, {
    schema: exceptionCountsSchema,
    ...withSignal(signal),
  });
}

export function getExceptionAgeing(entity: string, signal?: AbortSignal) {
  return apiRequest(`/api/v1/exception-summaries/ageing?${new URLSearchParams({ entity })}`, {
    schema: exceptionAgeingSchema,
    ...withSignal(signal),
  });
}

/** Fetch the latest `runs` succeeded real runs of test `test`, which belongs to entity `entity` itself. */
export function getExceptionTrend(
  entity: string,
  test: string,
  runs: number,
  signal?: AbortSignal,
) {
  const query = new URLSearchParams({ entity, test, runs: String(runs) });
  return apiRequest(`/api/v1/exception-summaries/trend?${query}`, {
    schema: exceptionTrendSchema,
    ...withSignal(signal),
  });
}

export function useExceptionCounts(entity: string) {
  return useQuery({
    queryKey: dashboardKeys.counts(entity),
    queryFn: ({ signal }) => getExceptionCounts(entity, signal),
    enabled: entity !== '',
  });
}

export function useExceptionAgeing(entity: string) {
  return useQuery({
    queryKey: dashboardKeys.ageing(entity),
    queryFn: ({ signal }) => getExceptionAgeing(entity, signal),
    enabled: entity !== '',
  });
}

export function useExceptionTrend(entity: string, test: string, runs: number) {
  return useQuery({
    queryKey: dashboardKeys.trend(entity, test, runs),
    queryFn: ({ signal }) => getExceptionTrend(entity, test, runs, signal),
    enabled: entity !== '' && test !== '',
  });
}
