import { datasetDetailSchema, datasetListSchema } from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

export type DatasetSummary = z.infer<typeof datasetListSchema>['items'][number];
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;
export type DatasetVersion = DatasetDetail['versions'][number];

export const datasetKeys = {
  list: ['datasets'] as const,
  detail: (entityCode: string, name: string) => ['datasets', entityCode, name] as const,
};

export async function listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
  const list = await apiRequest('/api/v1/datasets', {
    schema: datasetListSchema,
    ...(signal ? { signal } : {}),
  });
  return list.items;
}

export function getDataset(entityCode: string, name: string, signal?: AbortSignal) {
  const query = new URLSearchParams({ entity: entityCode, name });
  return apiRequest(`/api/v1/datasets/by-name?${query}`, {
    schema: datasetDetailSchema,
    ...(signal ? { signal } : {}),
  });
}

/** The datasets of every entity in the user's scope. */
export function useDatasets() {
  return useQuery({ queryKey: datasetKeys.list, queryFn: ({ signal }) => listDatasets(signal) });
}

/** Load one dataset with its versions, newest first, once both the entity and the name are set. */
export function useDataset(entityCode: string, name: string) {
  return useQuery({
    queryKey: datasetKeys.detail(entityCode, name),
    queryFn: ({ signal }) => getDataset(entityCode, name, signal),
    enabled: entityCode !== '' && name !== '',
  });
}

/** Link to the page of one dataset. Names may contain any character except "@", so both go in the query string. */
export function datasetPath(entityCode: string, name: string): string {
  return `/datasets/show?${new URLSearchParams({ entity: entityCode, name })}`;
}
